#!/usr/bin/python3
"""Watch jflowd's metrics file while it runs: the drain interval, and the
invariant of every copy written.

Usage: metrics_watch.py METRICS.prom --until FILE [--every MS] [--check]
                        [--max-interval S] [--min-samples N]

Reads the file every MS milliseconds (20) until FILE exists. Each copy
jflowd wrote (a new jflowd_uptime_seconds) is one sample; between two
samples whose jflowd_drains_total differ by one, the uptime difference is
one drain interval, and so is the time since the last copy when FILE
appears. Prints the samples, the drains and the intervals (max, mean). Exits 1 when the longest interval exceeds --max-interval, when
fewer than --min-samples copies were seen, or with --check when any copy
fails the invariants of metrics_check.py (strict parse included).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics_check  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--until", required=True)
    ap.add_argument("--every", type=float, default=20)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--max-interval", type=float)
    ap.add_argument("--min-samples", type=int, default=1)
    ap.add_argument("--json", help="write the figures to this file")
    args = ap.parse_args()

    last_up = None
    last_seen = time.monotonic()
    samples, bad = [], 0
    while not os.path.exists(args.until):
        try:
            with open(args.path) as f:
                text = f.read()
        except FileNotFoundError:
            text = ""
        if text:
            m = metrics_check.parse_text(text)
            up = metrics_check.series(m, "jflowd_uptime_seconds")[()]
            if up != last_up:
                last_up = up
                last_seen = time.monotonic()
                drains = metrics_check.one(m, "jflowd_drains_total")
                samples.append((up, drains))
                if args.check:
                    lines = []
                    if not metrics_check.check(m, out=lines.append):
                        bad += 1
                        print(f"metrics_watch: copy at uptime {up}: " + "; ".join(lines))
        time.sleep(args.every / 1000)

    intervals = [b[0] - a[0] for a, b in zip(samples, samples[1:]) if b[1] - a[1] == 1]
    # The drain still under way at the end counts too: the time since the
    # last copy appeared (within a sampling period).
    silence = time.monotonic() - last_seen - args.every / 1000
    if samples and silence > 0:
        intervals.append(silence)
    ok = True
    print(f"metrics_watch: {len(samples)} copies, "
          f"{samples[-1][1] - samples[0][1] if samples else 0} drains")
    if intervals:
        srt = sorted(intervals)
        p99 = srt[min(len(srt) - 1, int(0.99 * len(srt)))]
        print(f"metrics_watch: drain interval max {max(intervals):.3f} s, "
              f"p99 {p99:.3f} s, mean {sum(intervals) / len(intervals):.3f} s "
              f"over {len(intervals)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"copies": len(samples),
                       "drains": samples[-1][1] - samples[0][1] if samples else 0,
                       "max": max(intervals) if intervals else None,
                       "p99": p99 if intervals else None,
                       "mean": sum(intervals) / len(intervals) if intervals else None,
                       "bad": bad}, f)
    if len(samples) < args.min_samples:
        print(f"metrics_watch: only {len(samples)} copies, expected {args.min_samples}")
        ok = False
    if args.max_interval is not None and (not intervals or max(intervals) > args.max_interval):
        print(f"metrics_watch: a drain interval above {args.max_interval} s")
        ok = False
    if args.check:
        print(f"metrics_watch: {bad} of {len(samples)} copies fail the invariant")
        ok = ok and bad == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
