#!/usr/bin/python3
"""Compare what a collector stored with what was sent, per flow.

Usage: flowcmp.py EXPECT.csv[,EXPECT2.csv...] COLLECTED [--format nfdump|nfdump-json|pmacct|ipfixdump]
                  [--vlan] [--family 4|6] [--times | --times-ceil-s] [--max-records N]
                  [--lost-packets N --lost-octets N]

EXPECT.csv comes from `jflowd-trafgen --expect` or from pcapflows.py (which
adds first_ms/last_ms for --times). COLLECTED is `nfdump -o csv` (header
line included), `nfdump -o json` (a JSON array: without -q), pmacct's print
plugin in CSV (aggregate on the 5-tuple, plus vlan for --vlan), or the text
of `ipfixDump --in FILE`. Records of one flow (several records after
timeouts; pmacct also sums equal keys within a purge) are summed; --times
compares the earliest first and the latest last time of those records, in
ms, with the truth; --times-ceil-s with the truth rounded up to the second
(pmacct's v9 times: unix_secs - (sysUpTime - x) / 1000 in integer
arithmetic, which an exact header turns into exactly that). A record the
loader cannot read is an error, never
skipped. Exits 0 when every flow matches exactly, 1 otherwise, printing
the differences. With --lost-packets/--lost-octets (what jflowd's metrics
say it dropped) a flow may have less at the collector, never more, and the
shortfall over all flows must be exactly those numbers.
"""
import argparse
import csv
import datetime
import ipaddress
import json
import re
import sys

PROTO = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMP6": 58, "ICMPV6": 58, "IPV6-ICMP": 58,
         "SCTP": 132, "GRE": 47}


def proto_num(p):
    p = p.strip()
    return int(p) if p.isdigit() else PROTO[p.upper()]


def addr(a):
    return str(ipaddress.ip_address(a.strip()))


def utc_ms(text, fmt):
    t = datetime.datetime.strptime(text, fmt).replace(tzinfo=datetime.timezone.utc)
    return round(t.timestamp() * 1000)


class Got:
    """What a collector holds for one flow."""
    __slots__ = ("packets", "octets", "records", "first", "last")

    def __init__(self):
        self.packets = self.octets = self.records = 0
        self.first = self.last = None

    def add(self, packets, octets, first=None, last=None):
        self.packets += packets
        self.octets += octets
        self.records += 1
        if first is not None:
            self.first = first if self.first is None else min(self.first, first)
        if last is not None:
            self.last = last if self.last is None else max(self.last, last)


def load_expect(paths, with_vlan, family):
    """One or several expect files, comma separated: several senders of the
    same flows add up (a flow appears once per file)."""
    flows = {}
    for path in paths.split(","):
        seen = set()
        with open(path) as f:
            for row in csv.DictReader(f):
                if family and int(row["family"]) != family:
                    continue
                key = (addr(row["src"]), addr(row["dst"]), int(row["sport"]),
                       int(row["dport"]), int(row["proto"]))
                if with_vlan:
                    key += (int(row["vlan"]),)
                if key in seen:
                    raise SystemExit(f"flowcmp: {path}: flow {key} twice")
                seen.add(key)
                first = int(row["first_ms"]) if row.get("first_ms") else None
                last = int(row["last_ms"]) if row.get("last_ms") else None
                if key in flows:
                    pk, oc, f0, l0 = flows[key]
                    first = min(x for x in (first, f0) if x is not None) \
                        if first is not None or f0 is not None else None
                    last = max(x for x in (last, l0) if x is not None) \
                        if last is not None or l0 is not None else None
                    flows[key] = (pk + int(row["packets"]), oc + int(row["octets"]), first, last)
                else:
                    flows[key] = (int(row["packets"]), int(row["octets"]), first, last)
    return flows


def load_nfdump(path, with_vlan):
    flows = {}
    with open(path) as f:
        rows = list(csv.reader(f))
    if not rows:
        return flows
    header = rows[0]
    col = {name: i for i, name in enumerate(header)}
    for row in rows[1:]:
        if not row or row[0] == "Summary":
            break  # the summary block closes the records
        if len(row) != len(header):
            raise SystemExit(f"flowcmp: {path}: bad record {row}")
        pr = proto_num(row[col["pr"]])
        key = (addr(row[col["sa"]]), addr(row[col["da"]]), int(row[col["sp"]]),
               int(row[col["dp"]]), pr)
        if with_vlan:
            key += (int(row[col["svln"]]),)
        flows.setdefault(key, Got()).add(int(row[col["ipkt"]]), int(row[col["ibyt"]]))
    return flows


def load_nfdump_json(path, with_vlan):
    """`nfdump -o json` (TZ=UTC): times in ms."""
    flows = {}
    with open(path) as f:
        text = f.read()
    recs = json.loads(text) if text.strip() else []
    for r in recs:
        if r.get("type") != "FLOW":
            continue
        src = r.get("src4_addr", r.get("src6_addr"))
        dst = r.get("dst4_addr", r.get("dst6_addr"))
        pr = int(r["proto"])
        if pr in (1, 58):
            sp, dp = 0, int(r["icmp_type"]) * 256 + int(r["icmp_code"])
        else:
            sp, dp = int(r["src_port"]), int(r["dst_port"])
        key = (addr(src), addr(dst), sp, dp, pr)
        if with_vlan:
            key += (int(r.get("src_vlan", 0)),)
        fmt = "%Y-%m-%dT%H:%M:%S.%f"
        flows.setdefault(key, Got()).add(int(r["in_packets"]), int(r["in_bytes"]),
                                         utc_ms(r["first"], fmt), utc_ms(r["last"], fmt))
    return flows


def load_pmacct(path, with_vlan):
    flows = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            if not row.get("SRC_IP"):
                raise SystemExit(f"flowcmp: {path}: bad record {row}")
            key = (addr(row["SRC_IP"]), addr(row["DST_IP"]), int(row["SRC_PORT"]),
                   int(row["DST_PORT"]), proto_num(row["PROTOCOL"]))
            if with_vlan:
                key += (int(row["VLAN"]),)
            first = last = None
            if row.get("TIMESTAMP_START"):
                fmt = "%Y-%m-%d %H:%M:%S.%f"
                first = utc_ms(row["TIMESTAMP_START"], fmt)
                last = utc_ms(row["TIMESTAMP_END"], fmt)
            flows.setdefault(key, Got()).add(int(row["PACKETS"]), int(row["BYTES"]),
                                             first, last)
    return flows


FIELD = re.compile(r"^\s*\((\d+)\)(?: \(S\))?\s+\w+ : (.*)$")


def load_ipfixdump(path, with_vlan):
    """The text of `ipfixDump --in FILE`: flow records of templates 256-259."""
    flows = {}

    def flush(tid, fields):
        if tid is None or not 256 <= tid <= 259:
            return
        try:
            src = fields.get(8, fields.get(27))
            dst = fields.get(12, fields.get(28))
            key = (addr(src), addr(dst), int(fields[7]), int(fields[11]), int(fields[4]))
            if with_vlan:
                key += (int(fields[58]),)
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            flows.setdefault(key, Got()).add(int(fields[2]), int(fields[1]),
                                             utc_ms(fields[152], fmt), utc_ms(fields[153], fmt))
        except (KeyError, ValueError) as e:
            raise SystemExit(f"flowcmp: {path}: bad data record {fields}: {e}")

    tid, fields = None, {}
    with open(path) as f:
        for line in f:
            if line.startswith("--- "):
                flush(tid, fields)
                tid, fields = None, {}
                continue
            m = re.match(r"^\s*count:\s*\d+\s+tid:\s*(\d+)", line)
            if m:
                tid = int(m.group(1))
                continue
            m = FIELD.match(line)
            if m and tid is not None:
                fields[int(m.group(1))] = m.group(2).strip()
    flush(tid, fields)
    return flows


LOADERS = {"nfdump": load_nfdump, "nfdump-json": load_nfdump_json, "pmacct": load_pmacct,
           "ipfixdump": load_ipfixdump}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("expect")
    ap.add_argument("collected")
    ap.add_argument("--format", default="nfdump", choices=sorted(LOADERS))
    ap.add_argument("--vlan", action="store_true", help="VLAN id is part of the key")
    ap.add_argument("--family", type=int, choices=[4, 6],
                    help="only flows of this family are expected (v5: 4)")
    ap.add_argument("--times", action="store_true",
                    help="first/last times (ms) must equal EXPECT's first_ms/last_ms")
    ap.add_argument("--times-ceil-s", action="store_true",
                    help="as --times, with the truth rounded up to whole seconds")
    ap.add_argument("--max-records", type=int,
                    help="at most N records per flow at the collector")
    ap.add_argument("--lost-packets", type=int)
    ap.add_argument("--lost-octets", type=int)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    exp = load_expect(args.expect, args.vlan, args.family)
    got = LOADERS[args.format](args.collected, args.vlan)

    bad = 0

    def report(msg):
        nonlocal bad
        bad += 1
        if bad <= 20:
            print(msg)

    lossy = args.lost_packets is not None
    for key, (pk, oc, first, last) in sorted(exp.items()):
        g = got.get(key)
        if g is None:
            if not lossy:
                report(f"MISSING {key}: expected {pk} packets {oc} octets")
            continue
        if lossy:
            if g.packets > pk or g.octets > oc:
                report(f"MORE    {key}: sent {pk}/{oc}, collector has {g.packets}/{g.octets}")
        elif (g.packets, g.octets) != (pk, oc):
            report(f"DIFFER  {key}: expected {pk}/{oc}, collector has {g.packets}/{g.octets} "
                   f"in {g.records} records")
        if args.times or args.times_ceil_s:
            if first is None:
                raise SystemExit("flowcmp: --times needs first_ms/last_ms in EXPECT")
            if args.times_ceil_s:
                first, last = -(-first // 1000) * 1000, -(-last // 1000) * 1000
            if (g.first, g.last) != (first, last):
                report(f"TIMES   {key}: expected {first}..{last} ms, collector has "
                       f"{g.first}..{g.last} (off by {None if g.first is None else g.first - first}"
                       f"/{None if g.last is None else g.last - last})")
        if args.max_records and g.records > args.max_records:
            report(f"RECORDS {key}: {g.records} records, at most {args.max_records} expected")
    for key, g in sorted(got.items()):
        if key not in exp:
            report(f"EXTRA   {key}: {g.packets} packets {g.octets} octets in {g.records} records")
    tp = sum(v[0] for v in exp.values())
    to = sum(v[1] for v in exp.values())
    gp = sum(v.packets for v in got.values())
    go = sum(v.octets for v in got.values())
    nrec = sum(v.records for v in got.values())
    if lossy and (tp - gp, to - go) != (args.lost_packets, args.lost_octets):
        report(f"LOST    collector is short of {tp - gp} packets, {to - go} octets; "
               f"jflowd counted {args.lost_packets} packets, {args.lost_octets} octets dropped")
    print(f"flowcmp: {len(exp)} flows expected, {len(got)} at the collector in {nrec} records; "
          f"packets {gp}/{tp}, octets {go}/{to}; {bad} differences"
          f"{' (times checked)' if args.times or args.times_ceil_s else ''}"
          f"{f'; shortfall {tp - gp} packets, {to - go} octets' if lossy else ''}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
