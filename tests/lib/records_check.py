#!/usr/bin/python3
"""Check the records of long-lived flows against the active timeout and the
capture's clock.

Usage: records_check.py NFDUMP.json --active S --start T0 --end T1
                        --flows N [--records-per-flow K]

NFDUMP.json is `nfdump -o json` output (a JSON array). Every flow must have
exactly K records (default ceil((T1 - T0) / S)); no record may last longer
than the active timeout; consecutive records of a flow follow each other
(next first >= previous last) with first times S apart (within one tick);
every time lies inside the capture [T0, T1].
"""
import argparse
import json
import math
import sys
from collections import defaultdict
from datetime import datetime, timezone


def ms(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=timezone.utc).timestamp()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--active", type=float, required=True)
    ap.add_argument("--start", type=float, required=True)
    ap.add_argument("--end", type=float, required=True)
    ap.add_argument("--flows", type=int, required=True)
    ap.add_argument("--records-per-flow", type=int)
    ap.add_argument("--tick", type=float, default=1.0)
    a = ap.parse_args()

    recs = json.load(open(a.json))
    by_flow = defaultdict(list)
    for r in recs:
        src = r.get("src4_addr") or r.get("src6_addr")
        dst = r.get("dst4_addr") or r.get("dst6_addr")
        key = (src, dst, r.get("src_port", 0), r.get("dst_port", 0), r["proto"])
        by_flow[key].append((ms(r["first"]), ms(r["last"]), r["in_packets"]))
    want = a.records_per_flow or math.ceil((a.end - a.start) / a.active)
    bad = 0
    if len(by_flow) != a.flows:
        print(f"records_check: {len(by_flow)} flows, expected {a.flows}")
        bad += 1
    for key, rs in by_flow.items():
        rs.sort()
        if len(rs) != want:
            print(f"records_check: {key}: {len(rs)} records, expected {want}")
            bad += 1
        for i, (f, l, p) in enumerate(rs):
            if not (a.start - 0.001 <= f <= l <= a.end + 0.001):
                print(f"records_check: {key} record {i}: [{f:.3f}, {l:.3f}] outside the capture")
                bad += 1
            if l - f > a.active:
                print(f"records_check: {key} record {i}: lasts {l - f:.3f} s > active {a.active}")
                bad += 1
            if i:
                pf, pl, _ = rs[i - 1]
                if f < pl or abs((f - pf) - a.active) > a.tick + 0.001:
                    print(f"records_check: {key} record {i} starts {f - pf:.3f} s after the "
                          f"previous one (active timeout {a.active})")
                    bad += 1
    print(f"records_check: {len(recs)} records of {len(by_flow)} flows, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
