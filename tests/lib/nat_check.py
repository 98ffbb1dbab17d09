#!/usr/bin/python3
"""Check what nfcapd stored from a NAT router against what conntrack showed.

Usage: nat_check.py SNAPSHOTS NFDUMP_RAW NFDUMP_RAW6 T_GONE [STORM_SPORT STORM_N]

SNAPSHOTS: blocks "WINDOW T0 T1" (ms: before the session's first packet,
after its last), each followed by the `conntrack -L` lines taken while it
flowed. NFDUMP_RAW: `nfdump -o raw` of everything stored, checked for IPv4;
NFDUMP_RAW6 the same for IPv6 (nfdump 1.7.1 stores IE 281/282 from v9 only,
not from IPFIX). T_GONE: ms when
conntrack had no entry left. STORM_*: the burst of UDP sessions from source
ports STORM_SPORT.. (create and delete each, times not checked).

Every translated session must have flow records in both directions whose
post-NAT fields (IE 225-228) are the other side conntrack showed, and
exactly one create (natEvent 4) and one delete (5) event with the right
translation, created within its window and deleted after it, by T_GONE.
Prints the per-flow table; exits 1 on the first kind of failure found.
"""
import re
import sys

SLACK_MS = 1000


def conntrack_entries(path):
    """Translated entries: (proto, orig, reply, t0, t1), orig/reply as
    (src, dst, sport, dport, icmp_id) with ICMP sport 0, dport type*256+code."""
    entries = {}
    t0 = t1 = None
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "WINDOW":
            t0, t1 = int(f[1]), int(f[2])
            continue
        kv = [tok.split("=", 1) for tok in f if "=" in tok]
        proto = int(f[1])
        if proto == 58:
            proto = 1  # ICMPv6: checked as ICMP (type * 256 + code)
        dirs, cur = [], None
        for k, v in kv:
            if k == "src":
                cur = {}
                dirs.append(cur)
            if cur is not None and k in ("src", "dst", "sport", "dport", "type", "code", "id"):
                cur.setdefault(k, v)
        if len(dirs) < 2:
            continue

        def tup(d):
            if "type" in d:
                return (d["src"], d["dst"], 0, int(d["type"]) * 256 + int(d["code"]),
                        int(d.get("id", 0)))
            return (d["src"], d["dst"], int(d.get("sport", 0)), int(d.get("dport", 0)), 0)

        o, r = tup(dirs[0]), tup(dirs[1])
        if (o[0], o[1]) == (r[1], r[0]) and o[2:4] == (r[3], r[2]) and proto != 1:
            continue  # untranslated
        if proto == 1 and (o[0], o[1]) == (r[1], r[0]):
            continue
        key = (proto, o)
        if key not in entries:
            entries[key] = (proto, o, r, t0, t1)
    return list(entries.values())


def nfdump_records(path):
    recs, cur = [], None
    for line in open(path):
        if line.startswith("Flow Record"):
            cur = {}
            recs.append(cur)
            continue
        m = re.match(r"\s+(.+?)\s+=\s+(\S+)", line)
        if cur is not None and m:
            cur[m.group(1)] = m.group(2)
    out = []
    for r in recs:
        if "src addr" not in r or "proto" not in r:
            continue
        proto = int(r["proto"])
        if proto == 58:
            proto = 1  # ICMPv6, checked as ICMP
        if proto == 1:
            t, c = r.get("ICMP", "0.0").split(".")
            sport, dport = 0, int(t) * 256 + int(c)
        else:
            sport, dport = int(r.get("src port", 0)), int(r.get("dst port", 0))
        out.append({
            "proto": proto, "src": r["src addr"], "dst": r["dst addr"], "sport": sport,
            "dport": dport, "xsrc": r.get("src xlt ip"), "xdst": r.get("dst xlt ip"),
            "xsport": int(r.get("src xlt port", -1)), "xdport": int(r.get("dst xlt port", -1)),
            "event": int(r["nat event"].rstrip(":")) if "nat event" in r else None,
            "time": int(r["Event time"]) if "Event time" in r else None,
            "in": int(r["input"]) if "input" in r else None,
            "out": int(r["output"]) if "output" in r else None,
        })
    return out


def main():
    snap, raw, raw6, t_gone = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    storm = (int(sys.argv[5]), int(sys.argv[6])) if len(sys.argv) > 6 else None
    entries = conntrack_entries(snap)
    stores = {}
    for fam, path in ((4, raw), (6, raw6)):
        recs = [r for r in nfdump_records(path) if (":" in r["src"]) == (fam == 6)]
        stores[fam] = ([r for r in recs if r["event"] is None],
                       [r for r in recs if r["event"] is not None])
    flows, events = stores[4]
    errors = []
    names = {1: "icmp", 6: "tcp", 17: "udp"}
    if not entries:
        sys.exit("nat_check: no translated session in the conntrack snapshots")
    print("%-5s %-4s %-28s %-28s %-28s %s" % ("proto", "dir", "flow (as metered)",
                                             "post-NAT at nfcapd", "conntrack's other side",
                                             "ok"))
    for proto, o, r, t0, t1 in entries:
        icmp = proto == 1
        flows, events = stores[6 if ":" in o[0] else 4]
        for name, me, other in (("orig", o, r), ("reply", r, o)):
            want = (other[1], other[0], me[2] if icmp else other[3], me[3] if icmp else other[2])
            got = [f for f in flows if f["proto"] == proto and (f["src"], f["dst"]) == me[:2]
                   and (f["sport"], f["dport"]) == me[2:4]]
            if not got:
                errors.append("no flow record for %s %s %s" % (names.get(proto), name, me))
                continue
            for f in got:
                x = (f["xsrc"], f["xdst"], f["xsport"], f["xdport"])
                ok = x == want
                print("%-5s %-5s %-28s %-28s %-28s %s" % (
                    names.get(proto), name, "%s:%d>%s:%d" % (me[0], me[2], me[1], me[3]),
                    "%s:%d>%s:%d" % (x[0], x[2], x[1], x[3]),
                    "%s:%d>%s:%d" % (want[0], want[2], want[1], want[3]), "yes" if ok else "NO"))
                if not ok:
                    errors.append("flow %s %s: post-NAT %s, conntrack says %s" %
                                  (names.get(proto), me, x, want))
        # Events: one create, one delete, with the translation, in time.
        want_x = (r[1], r[0], o[4] if icmp else r[3], o[3] if icmp else r[2])
        # The interfaces: toward the source, where the original direction
        # came in; toward the destination, where the reply came in.
        ins = {f["in"] for f in flows if f["proto"] == proto and (f["src"], f["dst"]) == o[:2]
               and (f["sport"], f["dport"]) == o[2:4]}
        outs = {f["in"] for f in flows if f["proto"] == proto and (f["src"], f["dst"]) == r[:2]
                and (f["sport"], f["dport"]) == r[2:4]}
        # ICMP: nfdump keeps an event's type and code only from IPFIX; the
        # post-NAPT ports carry identifier and type/code in both formats.
        mine = [e for e in events if e["proto"] == proto and (e["src"], e["dst"]) == o[:2]
                and ((e["xsport"], e["xdport"]) == (o[4], o[3]) if icmp
                     else (e["sport"], e["dport"]) == o[2:4])]
        for code, what in ((4, "create"), (5, "delete")):
            ev = [e for e in mine if e["event"] == code]
            if len(ev) != 1:
                errors.append("%s %s: %d %s events, expected 1" % (names.get(proto), o, len(ev),
                                                                   what))
                continue
            e = ev[0]
            x = (e["xsrc"], e["xdst"], e["xsport"], e["xdport"])
            if x != want_x:
                errors.append("%s event %s: translation %s, conntrack says %s" %
                              (what, o, x, want_x))
            if ins and outs and (e["in"], e["out"]) not in {(i, j) for i in ins for j in outs}:
                errors.append("%s event %s: interfaces in %s out %s, the flows came in on "
                              "%s and %s" % (what, o, e["in"], e["out"], ins, outs))
            if code == 4 and not (t0 - 50 <= e["time"] <= t1 + SLACK_MS):
                errors.append("create of %s at %d, outside its session %d..%d" %
                              (o, e["time"], t0, t1))
            if code == 5 and not (t1 <= e["time"] <= t_gone + SLACK_MS):
                errors.append("delete of %s at %d, not between its last packet %d and %d" %
                              (o, e["time"], t1, t_gone))
        print("%-5s event %-28s create %s delete %s" % (
            names.get(proto), "%s:%d>%s:%d" % (o[0], o[2], o[1], o[3]),
            sum(1 for e in mine if e["event"] == 4), sum(1 for e in mine if e["event"] == 5)))
    flows, events = stores[4]
    if storm:
        base, n = storm
        bad = 0
        for sp in range(base, base + n):
            ev = [e for e in events if e["proto"] == 17 and e["sport"] == sp]
            c = sum(1 for e in ev if e["event"] == 4)
            d = sum(1 for e in ev if e["event"] == 5)
            if (c, d) != (1, 1):
                bad += 1
                if bad <= 5:
                    errors.append("burst session from port %d: %d creates, %d deletes" %
                                  (sp, c, d))
        print("burst: %d sessions, %d without exactly one create and one delete" % (n, bad))
    if errors:
        for e in errors:
            print("FAIL:", e)
        sys.exit(1)
    print("nat_check: %d sessions (%d IPv6), %d flow records, %d events: all as conntrack "
          "showed" % (len(entries), sum(1 for e in entries if ":" in e[1][0]),
                      len(stores[4][0]) + len(stores[6][0]),
                      len(stores[4][1]) + len(stores[6][1])))


if __name__ == "__main__":
    main()
