#!/usr/bin/python3
"""Where a packet's time goes end to end, by source line of the XDP program.

On bench/run.py's end-to-end setup (a veth pair in two namespaces, the
receive path and jflowd pinned to one CPU, jflowd-xdpgen on the other),
jflowd meters FLOWS flows fed at PPS packets a second; after a warm-up,
perf samples the receiving CPU for SECONDS while the veth's XDP counter
gives the packets the program saw in that window. Each run prints the
CPU time per packet split into the XDP program, the rest of the kernel
(veth, page pool) and user space (the agent), and the program's source
lines by time per packet (bench_prog_lines maps the samples' addresses to
the program's line info).

With --base, a second build (any tree: only its jflowd is used) runs
alternately with the first, and the medians are printed side by side,
lines matched by their text (line numbers differ between trees). Compare
runs in the same state: both carrying the rate (few frames refused by the
receiver's ring). A receiver that falls behind pays more per packet (its
queue grows, its frames leave the cache), so two runs in different states
differ by far more than their programs do.

  sudo bench/xdp_lines.py BUILD [--base BUILD2] [--flows N] [--pps P]
       [--warmup S] [--seconds S] [--reps N] [--top N] [--args "JFLOWD OPTIONS"]

Needs perf (Debian: linux-perf).
"""
import argparse
import collections
import bisect
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402

IDLE = ("halt", "idle", "mwait")


def xdp_prog_id(rx):
    out = subprocess.run(["ip", "-j", "-n", rx, "-d", "link", "show", "brx0"],
                         capture_output=True, text=True).stdout
    xdp = (json.loads(out)[0].get("xdp") or {}) if out.strip() else {}
    if "prog" in xdp:
        return xdp["prog"]["id"]
    for a in xdp.get("attached", []):
        if "prog" in a:
            return a["prog"]["id"]
    return None


def line_table(tool, prog_id):
    """Sorted (address, "file: text") of the program's line info."""
    out = subprocess.run([tool, str(prog_id)],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for ln in out.splitlines():
        g = re.match(r"0x([0-9a-f]+) ([^:]+):(\d+): (.*)", ln)
        if g:
            rows.append((int(g.group(1), 16), f"{g.group(2)}: {g.group(4).strip()[:80]}"))
    rows.sort()
    return rows


def one_run(b, rn, build, a, tag):
    tx, rx = b.e2e_ns
    d = rn.path(tag)
    os.makedirs(d)
    nf = b.start_nfcapd(rx, os.path.join(d, "nf"))
    metrics = os.path.join(d, "m.prom")
    p = rn.start(["ip", "netns", "exec", rx, "taskset", "-c", b.cpu_sut,
                  os.path.join(build, "src", "jflowd"), "-i", "brx0", "--mirror", "-n",
                  "ipfix://127.0.0.1:4739", "--metrics-file", metrics] + a.args.split(),
                 err=os.path.join(d, "err"))
    if not R.wait_for(lambda: os.path.exists(metrics), 30):
        raise R.Failed(f"jflowd did not start: {open(os.path.join(d, 'err')).read()[-300:]}")
    b.napi_threads_pinned()
    gen = ["ip", "netns", "exec", tx, b.exe("bench", "jflowd-xdpgen"), "--iface", "btx0",
           "--flows", str(a.flows), "--sizes", "64", "--cpu", b.cpu_aux, "--hold", "bhold0",
           "--pps", str(a.pps)]
    rn.run(gen + ["--duration", str(a.warmup)], timeout=a.warmup + 60)
    g = rn.start(gen + ["--duration", str(a.seconds + 3)])
    time.sleep(1)
    e0, s0 = b.ethtool(rx, "brx0"), b.ethtool(tx, "btx0")
    t0 = time.monotonic()
    data = os.path.join(d, "perf.data")
    rn.run(["perf", "record", "-q", "-o", data, "-e", "cpu-clock", "-F", "4000", "-C",
            b.cpu_sut, "--", "sleep", str(a.seconds)], timeout=a.seconds + 60)
    t1 = time.monotonic()
    e1, s1 = b.ethtool(rx, "brx0"), b.ethtool(tx, "btx0")
    lines = line_table(b.exe("bench", "bench_prog_lines"), xdp_prog_id(rx))
    g.wait(timeout=60)
    rn.procs.remove(g)
    rn.stop(p, timeout=180)
    b.stop_nfcapd(rx, nf, os.path.join(d, "nf"))
    # Packets jflowd could not count (all counted here, by reason):
    # a cold start at a high rate can overflow the first table.
    lost = {}
    for ln in open(metrics):
        g = re.match(r'jflowd_packets_unaccounted_total\{reason="(\w+)"\} (\d+)', ln)
        if g and int(g.group(2)):
            lost[g.group(1)] = int(g.group(2))
    pkts = e1["rx_queue_0_xdp_packets"] - e0["rx_queue_0_xdp_packets"]
    out = rn.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"], timeout=300).stdout
    addrs = [x for x, _ in lines]
    n = collections.Counter()
    by_line = collections.Counter()
    for ln in out.splitlines():
        f = ln.split()
        if len(f) < 2:
            continue
        sym, dso = " ".join(f[1:-1]), f[-1]
        n["all"] += 1
        if sym.startswith("bpf_prog_"):     # the program and its subprograms
            n["program"] += 1
            i = bisect.bisect_right(addrs, int(f[0], 16)) - 1
            by_line[lines[i][1] if i >= 0 else "?"] += 1
        elif any(w in sym for w in IDLE):
            n["idle"] += 1
        elif "kernel" in dso or "bpf" in dso:
            n["kernel"] += 1
        else:
            n["user"] += 1
    secs = (t1 - t0) / max(n["all"], 1)      # CPU seconds a sample stands for
    ns = {k: 1e9 * secs * n[k] / max(pkts, 1) for k in ("program", "kernel", "user")}
    lines_ns = {k: 1e9 * secs * v / max(pkts, 1) for k, v in by_line.items()}
    r = {"build": build, "pps": pkts / (t1 - t0), "busy": 1 - n["idle"] / max(n["all"], 1),
         "ring_drops": (s1.get("tx_queue_0_xdp_xmit_errors", 0) -
                        s0.get("tx_queue_0_xdp_xmit_errors", 0)),
         "ns": ns, "lines": lines_ns, "lost": lost}
    print(f"{tag}: {r['pps'] / 1e6:.3f} Mpps ({r['ring_drops']} frames the receiver's ring "
          f"refused), CPU {100 * r['busy']:.1f} % busy: per packet "
          f"{sum(ns.values()):.1f} ns = program {ns['program']:.1f} + kernel "
          f"{ns['kernel']:.1f} + user {ns['user']:.1f}; packets unaccounted in the run "
          f"{lost or 0}", flush=True)
    for k, v in sorted(lines_ns.items(), key=lambda x: -x[1])[:a.top]:
        print(f"  {v:7.1f} ns  {k}")
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("--base", default="", help="a second build, run alternately")
    ap.add_argument("--flows", type=int, default=1048576)
    ap.add_argument("--pps", type=int, default=3000000)
    ap.add_argument("--warmup", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--args", default="", help="more jflowd options (both builds)")
    a = ap.parse_args()
    if not shutil.which("perf"):
        sys.exit("xdp_lines: needs perf (Debian: linux-perf)")
    builds = [os.path.abspath(a.build)] + ([os.path.abspath(a.base)] if a.base else [])
    if not os.path.exists(os.path.join(builds[0], "bench", "bench_prog_lines")):
        sys.exit(f"xdp_lines: {builds[0]}/bench/bench_prog_lines missing: build it (the "
                 f"first build's serves both: it reads any loaded program)")
    args = types.SimpleNamespace(build=builds[0], src=os.path.dirname(builds[0]), quick=True,
                                 reps=1, e2e_flows="", e2e_meters="", e2e_paced=None,
                                 keep=False)
    rn = R.Runner(False)
    b = R.Bench(args, rn)
    res = collections.defaultdict(list)
    try:
        b.e2e_setup()
        for rep in range(a.reps):
            for bd in (builds if rep % 2 == 0 else builds[::-1]):
                res[bd].append(one_run(b, rn, bd, a, f"{os.path.basename(os.path.dirname(bd))}"
                                                     f"-{rep}"))
    finally:
        rn.cleanup()
    print(f"\nmedians of {a.reps} runs, {a.flows} flows at {a.pps} pps "
          f"({a.warmup} s warm-up, {a.seconds} s sampled):")
    med = statistics.median
    for bd in builds:
        rs = res[bd]
        print(f"  {bd}: {med([r['pps'] for r in rs]) / 1e6:.3f} Mpps, CPU "
              f"{100 * med([r['busy'] for r in rs]):.1f} %, per packet: program "
              f"{med([r['ns']['program'] for r in rs]):.1f} kernel "
              f"{med([r['ns']['kernel'] for r in rs]):.1f} user "
              f"{med([r['ns']['user'] for r in rs]):.1f} ns")
    if len(builds) == 2:
        keys = collections.Counter()
        for bd in builds:
            for r in res[bd]:
                keys.update(r["lines"])
        print(f"  by line (ns per packet, medians): {'build':>8} {'base':>8}")
        for k, _ in keys.most_common(a.top * 2):
            v = [med([r["lines"].get(k, 0.0) for r in res[bd]]) for bd in builds]
            print(f"  {v[0]:8.1f} {v[1]:8.1f}  {k}")


if __name__ == "__main__":
    main()
