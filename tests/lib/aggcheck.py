#!/usr/bin/python3
"""Compare a collector's prefix aggregates with what was sent.

Usage: aggcheck.py EXPECT.csv[,EXPECT2.csv...] NFDUMP.csv [--v4 N] [--v6 N]
                   [--proto] [--min-aggregates N] [--coarsen] [--one-record]

EXPECT.csv comes from `jflowd-trafgen --expect` (one line per 5-tuple flow
sent). NFDUMP.csv is `nfdump -o csv -N` of the records a monitor keyed by
source and destination /N (IPv4 --v4, IPv6 --v6) and, with --proto, the
protocol. The flows sent, grouped by that key, must equal the collector's
records grouped the same way, packets and octets exactly; every record's
addresses must be the network of its prefix (host bits zero) and its ports
zero (the monitor does not key by them). With --coarsen the records may
be finer than /N (a record that changed at a reload from /24 to /16): each
is counted in the /N aggregate that holds it. With --one-record each
aggregate must be one record (merged before export, timeouts longer than
the test). Exits 0 when every aggregate
matches, 1 otherwise, printing the differences.
"""
import argparse
import csv
import ipaddress
import sys

PROTO = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMP6": 58, "ICMPV6": 58, "IPV6-ICMP": 58}


def net(a, v4, v6):
    ip = ipaddress.ip_address(a.strip())
    n = v4 if ip.version == 4 else v6
    return str(ipaddress.ip_network(f"{ip}/{n}", strict=False).network_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("expect")
    ap.add_argument("got")
    ap.add_argument("--v4", type=int, default=24)
    ap.add_argument("--v6", type=int, default=48)
    ap.add_argument("--proto", action="store_true")
    ap.add_argument("--min-aggregates", type=int, default=1)
    ap.add_argument("--coarsen", action="store_true")
    ap.add_argument("--one-record", action="store_true")
    args = ap.parse_args()

    want = {}
    flows = 0
    for path in args.expect.split(","):
        with open(path) as f:
            for row in csv.DictReader(f):
                key = (net(row["src"], args.v4, args.v6), net(row["dst"], args.v4, args.v6))
                if args.proto:
                    key += (int(row["proto"]),)
                p, o = want.get(key, (0, 0))
                want[key] = (p + int(row["packets"]), o + int(row["octets"]))
                flows += 1
    got = {}
    bad = 0
    records = 0
    with open(args.got) as f:
        rows = list(csv.reader(f))
    col = {name: i for i, name in enumerate(rows[0])} if rows else {}
    for row in rows[1:]:
        if not row or row[0] == "Summary":
            break
        sa, da = row[col["sa"]].strip(), row[col["da"]].strip()
        if args.coarsen:
            sa, da = net(sa, args.v4, args.v6), net(da, args.v4, args.v6)
        elif net(sa, args.v4, args.v6) != str(ipaddress.ip_address(sa)) or \
                net(da, args.v4, args.v6) != str(ipaddress.ip_address(da)):
            print(f"aggcheck: record {sa} -> {da}: host bits set")
            bad += 1
        if int(row[col["sp"]]) or int(row[col["dp"]]):
            print(f"aggcheck: record {sa} -> {da}: ports {row[col['sp']]} {row[col['dp']]}")
            bad += 1
        key = (str(ipaddress.ip_address(sa)), str(ipaddress.ip_address(da)))
        if args.proto:
            p = row[col["pr"]].strip()
            key += (int(p) if p.isdigit() else PROTO[p.upper()],)
        p, o = got.get(key, (0, 0))
        got[key] = (p + int(row[col["ipkt"]]), o + int(row[col["ibyt"]]))
        records += 1
    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            print(f"aggcheck: {key}: sent {want.get(key)}, collector {got.get(key)}")
            bad += 1
    print(f"aggcheck: {flows} flows sent in {len(want)} aggregates; collector: {records} "
          f"records in {len(got)} aggregates; {bad} differences")
    if args.one_record and records != len(got):
        print(f"aggcheck: {records} records for {len(got)} aggregates: not one record each")
        bad += 1
    if len(want) < args.min_aggregates:
        print(f"aggcheck: fewer than {args.min_aggregates} aggregates: the test proves little")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
