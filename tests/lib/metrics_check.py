#!/usr/bin/python3
"""Check jflowd's lossless invariant from its metrics file alone.

Usage: metrics_check.py METRICS.prom [--no-loss] [--expect-metered N]
                        [--monitor NAME] [--print]

For the totals and for every monitor (jflowd_monitor_*{monitor=...}):
  metered == exported + cached + sum(unaccounted by reason)
and for every collector of every exporter of a monitor
  monitor's exported == collector packets + dropped + unexportable + absent
(absent: exported before a reload added the collector). --expect-metered
applies to the totals, or with --monitor to that monitor.
Exits 1 when an equation does not hold, or with --no-loss when anything is
unaccounted, dropped or still cached (at exit the cache must be empty). A
series the check reads that is missing from the file is an error, never
zero; so is a file without any collector series (jflowd always has one),
a malformed line, and a series given twice (node_exporter rejects the
whole file then).
"""
import argparse
import re
import sys
from collections import defaultdict

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_text(text):
    """name -> {labels: value}. Strict, as node_exporter: a malformed line
    or a series given twice (same name and labels) is an error."""
    m = defaultdict(dict)
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        g = LINE.match(line.strip())
        if not g:
            raise SystemExit(f"metrics_check: bad line: {line!r}")
        labels = tuple(sorted(LABEL.findall(g.group(3) or "")))
        if labels in m[g.group(1)]:
            raise SystemExit(f"metrics_check: duplicate series: {line!r}")
        m[g.group(1)][labels] = float(g.group(4))
    return m


def parse(path):
    with open(path) as f:
        return parse_text(f.read())


def series(m, name):
    """Every sample of a series: missing is an error, not zero."""
    vals = m.get(name)
    if not vals:
        raise SystemExit(f"metrics_check: {name} missing")
    return vals


def one(m, name):
    return int(sum(series(m, name).values()))


def sample(m, name, labels):
    vals = series(m, name)
    if labels not in vals:
        raise SystemExit(f"metrics_check: {name}{{{dict(labels)}}} missing")
    return int(vals[labels])


def check_monitors(m, monitor=None, expect_metered=None, out=print):
    """The invariant per monitor; True when it holds."""
    ok = True
    if "jflowd_monitor_packets_metered_total" not in m and not monitor:
        return ok    # a jflowd from before monitors
    metered = {dict(k)["monitor"]: int(v)
               for k, v in series(m, "jflowd_monitor_packets_metered_total").items()}
    if monitor and monitor not in metered:
        raise SystemExit(f"metrics_check: no monitor {monitor}")
    for mon, met in sorted(metered.items()):
        lab = (("monitor", mon),)
        exported = sample(m, "jflowd_monitor_packets_exported_total", lab)
        cached = sample(m, "jflowd_monitor_packets_cached", lab)
        unacc = {dict(k).get("reason"): int(v)
                 for k, v in series(m, "jflowd_monitor_packets_unaccounted_total").items()
                 if dict(k).get("monitor") == mon}
        lost = sum(unacc.values())
        out(f"metrics: monitor {mon}: metered {met} = exported {exported} + cached "
            f"{cached} + unaccounted {lost} {dict((k, v) for k, v in unacc.items() if v)}")
        if met != exported + cached + lost:
            out(f"metrics: MONITOR {mon}: INVARIANT BROKEN: difference "
                f"{met - exported - cached - lost}")
            ok = False
        if monitor == mon and expect_metered is not None and met != expect_metered:
            out(f"metrics: monitor {mon}: metered {met}, expected {expect_metered}")
            ok = False
    return ok


def check(m, no_loss=False, expect_metered=None, monitor=None, out=print):
    """The invariants over a parsed file, in total, per monitor and per
    collector; True when they hold."""
    ok = check_monitors(m, monitor, expect_metered, out)
    metered = one(m, "jflowd_packets_metered_total")
    exported = one(m, "jflowd_packets_exported_total")
    cached = one(m, "jflowd_packets_cached")
    unacc = {dict(k).get("reason"): int(v)
             for k, v in series(m, "jflowd_packets_unaccounted_total").items()}
    lost = sum(unacc.values())
    out(f"metrics: metered {metered} = exported {exported} + cached {cached} "
        f"+ unaccounted {lost} {dict((k, v) for k, v in unacc.items() if v)}")
    if metered != exported + cached + lost:
        out(f"metrics: INVARIANT BROKEN: difference {metered - exported - cached - lost}")
        ok = False
    if one(m, "jflowd_spill_mismatch_total"):
        out("metrics: spill counter and spill ring disagree")
        ok = False
    if one(m, "jflowd_count_mismatch_total"):
        out("metrics: the program's count of packets in flows and the agent's reads disagree")
        ok = False
    if expect_metered is not None and not monitor and metered != expect_metered:
        out(f"metrics: metered {metered}, expected {expect_metered}")
        ok = False
    if "jflowd_monitor_packets_exported_total" in m:
        mon_exported = {dict(k)["monitor"]: int(v)
                        for k, v in series(m, "jflowd_monitor_packets_exported_total").items()}
    else:   # a jflowd from before monitors: one stream of everything
        mon_exported = {None: exported}
    for labels, pk in series(m, "jflowd_collector_packets_total").items():
        lab = dict(labels)
        drop = sample(m, "jflowd_collector_dropped_packets_total", labels)
        unexp = sample(m, "jflowd_collector_unexportable_packets_total", labels)
        absent = (sample(m, "jflowd_collector_absent_packets_total", labels)
                  if "jflowd_collector_absent_packets_total" in m else 0)
        exp = mon_exported.get(lab.get("monitor"))
        if exp is None:
            raise SystemExit(f"metrics_check: collector {lab} names no monitor")
        out(f"metrics: collector {lab['collector']} (monitor {lab.get('monitor')}, exporter "
            f"{lab.get('exporter')}): sent {int(pk)} + dropped {drop} + unexportable {unexp} "
            f"+ absent {absent} (monitor exported {exp})")
        if int(pk) + drop + unexp + absent != exp:
            out("metrics: COLLECTOR INVARIANT BROKEN")
            ok = False
        if no_loss and drop:
            out(f"metrics: collector {lab['collector']}: {drop} packets dropped, "
                "--no-loss given")
            ok = False
        # UDP: sent while the collector refused them (port unreachable).
        refused = sample(m, "jflowd_collector_refused_packets_total", labels)
        if refused:
            out(f"metrics: collector {lab['collector']}: {refused} packets sent "
                f"while it refused them")
            if no_loss:
                ok = False
    if no_loss and lost:
        out("metrics: packets unaccounted, --no-loss given")
        ok = False
    if no_loss and cached:
        out(f"metrics: {cached} packets still cached at exit, --no-loss given")
        ok = False
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--no-loss", action="store_true")
    ap.add_argument("--expect-metered", type=int)
    ap.add_argument("--monitor")
    ap.add_argument("--print", action="store_true")
    args = ap.parse_args()
    ok = check(parse(args.path), args.no_loss, args.expect_metered, args.monitor)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
