#!/usr/bin/python3
"""Compare what a collector stored with what jflowd-trafgen sent, per flow.

Usage: flowcmp.py EXPECT.csv[,EXPECT2.csv...] COLLECTED.csv [--format nfdump|pmacct]
                  [--vlan]

EXPECT.csv comes from `jflowd-trafgen --expect` (several are summed: two
senders of the same flows); COLLECTED.csv from
`nfdump -o csv` (header line included) or pmacct's print plugin (csv).
Records of one flow (several records after timeouts) are summed. Exits 0 when
every flow matches exactly, 1 otherwise, printing the differences.
"""
import argparse
import csv
import ipaddress
import sys
from collections import defaultdict

PROTO = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMP6": 58, "ICMPV6": 58, "SCTP": 132, "GRE": 47}


def proto_num(p):
    p = p.strip()
    return int(p) if p.isdigit() else PROTO[p.upper()]


def addr(a):
    return str(ipaddress.ip_address(a.strip()))


def load_expect(paths, with_vlan):
    flows = {}
    for path in paths.split(","):
        with open(path) as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            key = (addr(row["src"]), addr(row["dst"]), int(row["sport"]),
                   int(row["dport"]), int(row["proto"]))
            if with_vlan:
                key += (int(row["vlan"]),)
            pk, oc = flows.get(key, (0, 0))
            flows[key] = (pk + int(row["packets"]), oc + int(row["octets"]))
    return flows


def load_nfdump(path, with_vlan):
    flows = defaultdict(lambda: [0, 0, 0])
    with open(path) as f:
        rows = list(csv.reader(f))
    if not rows:
        return flows
    header = rows[0]
    col = {name: i for i, name in enumerate(header)}
    for row in rows[1:]:
        if len(row) < len(header) or not row[col["sa"]].strip():
            continue  # summary lines
        pr = proto_num(row[col["pr"]])
        sp, dp = int(row[col["sp"]]), int(row[col["dp"]])
        key = (addr(row[col["sa"]]), addr(row[col["da"]]), sp, dp, pr)
        if with_vlan:
            key += (int(row[col["svln"]]),)
        v = flows[key]
        v[0] += int(row[col["ipkt"]])
        v[1] += int(row[col["ibyt"]])
        v[2] += 1
    return flows


def load_pmacct(path, with_vlan):
    flows = defaultdict(lambda: [0, 0, 0])
    with open(path) as f:
        for row in csv.DictReader(f):
            if not row.get("SRC_IP"):
                continue
            pr = proto_num(row["PROTOCOL"].replace("ipv6-icmp", "58").replace("icmp", "1")
                           .replace("tcp", "6").replace("udp", "17"))
            key = (addr(row["SRC_IP"]), addr(row["DST_IP"]), int(row["SRC_PORT"]),
                   int(row["DST_PORT"]), pr)
            if with_vlan:
                key += (int(row.get("VLAN", 0) or 0),)
            v = flows[key]
            v[0] += int(row["PACKETS"])
            v[1] += int(row["BYTES"])
            v[2] += 1
    return flows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("expect")
    ap.add_argument("collected")
    ap.add_argument("--format", default="nfdump", choices=["nfdump", "pmacct"])
    ap.add_argument("--vlan", action="store_true", help="VLAN id is part of the key")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    exp = load_expect(args.expect, args.vlan)
    got = (load_nfdump if args.format == "nfdump" else load_pmacct)(args.collected, args.vlan)

    bad = 0
    for key, (pk, oc) in sorted(exp.items()):
        g = got.get(key)
        if g is None:
            bad += 1
            if bad <= 20:
                print(f"MISSING {key}: expected {pk} packets {oc} octets")
        elif (g[0], g[1]) != (pk, oc):
            bad += 1
            if bad <= 20:
                print(f"DIFFER  {key}: expected {pk}/{oc}, collector has {g[0]}/{g[1]} "
                      f"in {g[2]} records")
    for key, g in sorted(got.items()):
        if key not in exp:
            bad += 1
            if bad <= 20:
                print(f"EXTRA   {key}: {g[0]} packets {g[1]} octets in {g[2]} records")
    tp = sum(v[0] for v in exp.values())
    to = sum(v[1] for v in exp.values())
    gp = sum(v[0] for v in got.values())
    go = sum(v[1] for v in got.values())
    nrec = sum(v[2] for v in got.values())
    print(f"flowcmp: {len(exp)} flows expected, {len(got)} at the collector in {nrec} records; "
          f"packets {gp}/{tp}, octets {go}/{to}; {bad} differences")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
