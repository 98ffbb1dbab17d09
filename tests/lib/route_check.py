#!/usr/bin/python3
"""Check router-mode fields of every flow nfcapd stored against expectations.

Usage: route_check.py NFDUMP.json EXPECT.txt [--hosts A,B,...] [--no-fwd]

NFDUMP.json is `nfdump -o json`. EXPECT.txt has one line per flow:
  proto src dst sport dport in out nexthop srcmask dstmask fwd dir [FROM-TO]
with "*" for any port (ICMP); FROM-TO (Unix ms, either side may be empty)
limits the line to records whose first packet is in that window (the same
flow before and after a route change). Run nfdump with TZ=UTC. Every record that has one of --hosts as its
source or destination must match exactly one line on (proto, src, dst,
ports) and carry that line's in/out interface, next hop, masks, forwarding
status and direction; every line must match at least one record. Prints
the per-flow table (records summed per line). Exits 1 on any difference.
--no-fwd: the collector does not store forwarding status (nfdump 1.7.1
reads IE 89 from v9 only); it is not compared.
"""
import datetime
import ipaddress
import json
import sys


def utc_ms(s):
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def addr(a):
    return ipaddress.ip_address(a)


def main():
    args = sys.argv[1:]
    hosts = set()
    no_fwd = "--no-fwd" in args
    if no_fwd:
        args.remove("--no-fwd")
    if "--hosts" in args:
        i = args.index("--hosts")
        hosts = {addr(h) for h in args[i + 1].split(",")}
        del args[i:i + 2]
    with open(args[0]) as f:
        text = f.read()
    recs = [r for r in (json.loads(text) if text.strip() else []) if r.get("type") == "FLOW"]
    exp = []
    with open(args[1]) as f:
        for line in f:
            p = line.split()
            if not p or p[0].startswith("#"):
                continue
            lo, hi = 0, 1 << 62
            if len(p) > 12:
                a, b = p[12].split("-")
                lo, hi = int(a or 0), int(b or 1 << 62)
            exp.append({"proto": int(p[0]), "src": addr(p[1]), "dst": addr(p[2]),
                        "sport": p[3], "dport": p[4], "want": tuple(p[5:12]),
                        "lo": lo, "hi": hi, "pkts": 0, "bytes": 0, "recs": 0})
    bad = 0
    for r in recs:
        src = addr(r.get("src4_addr", r.get("src6_addr")))
        dst = addr(r.get("dst4_addr", r.get("dst6_addr")))
        if hosts and src not in hosts and dst not in hosts:
            continue
        pr = int(r["proto"])
        sp = str(r.get("src_port", 0))
        dp = str(r.get("dst_port", 0))
        first = utc_ms(r["first"])
        m = [e for e in exp if e["proto"] == pr and e["src"] == src and e["dst"] == dst
             and e["sport"] in ("*", sp) and e["dport"] in ("*", dp)
             and e["lo"] <= first < e["hi"]]
        if len(m) != 1:
            print(f"route_check: {pr} {src}:{sp} > {dst}:{dp}: {len(m)} expectations match")
            bad += 1
            continue
        e = m[0]
        nh = r.get("ip4_next_hop", r.get("ip6_next_hop", "0.0.0.0"))
        got = (str(r["input_snmp"]), str(r["output_snmp"]), str(addr(nh)),
               str(r["src_mask"]), str(r["dst_mask"]), str(r["fwd_status"]),
               str(r["direction"]))
        want = tuple(str(addr(v)) if i == 2 else v for i, v in enumerate(e["want"]))
        if no_fwd:
            got, want = got[:5] + got[6:], want[:5] + want[6:]
        if got != want:
            print(f"route_check: {pr} {src}:{sp} > {dst}:{dp}: got in/out/nh/smk/dmk/fwd/dir "
                  f"{' '.join(got)}, expected {' '.join(want)}")
            bad += 1
        e["pkts"] += int(r["in_packets"])
        e["bytes"] += int(r["in_bytes"])
        e["recs"] += 1
    print(f"{'proto':>5} {'src':>15} {'sport':>5} {'dst':>15} {'dport':>5} "
          f"{'in':>3} {'out':>3} {'next hop':>15} {'smk':>3} {'dmk':>3} {'fwd':>3} {'dir':>3} "
          f"{'pkts':>5} {'bytes':>7}")
    for e in exp:
        w = e["want"]
        print(f"{e['proto']:>5} {str(e['src']):>15} {e['sport']:>5} {str(e['dst']):>15} "
              f"{e['dport']:>5} {w[0]:>3} {w[1]:>3} {w[2]:>15} {w[3]:>3} {w[4]:>3} {w[5]:>3} "
              f"{w[6]:>3} {e['pkts']:>5} {e['bytes']:>7}")
        if not e["recs"]:
            print(f"route_check: no record for the line above")
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
