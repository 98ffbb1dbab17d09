#!/usr/bin/python3
"""Agent CPU under steady traffic (issue 13): jflowd metering N flows fed
at a steady rate, on the receiver of bench/run.py's end-to-end setup.
Reports, over the second half of the generation (the first half inserts
the flows), the agent's CPU share and the share spent reading the flow
table (jflowd_table_read_seconds_total), memory per flow, and the lossless
check against the collector.

  sudo bench/steady.py BUILD FLOWS PPS SECONDS REPS
"""
import os
import re
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402


def met(path, name):
    for ln in open(path):
        if ln.startswith(name + " "):
            return float(ln.split()[1])
    return None


def main():
    build, flows, pps, dur, reps = (os.path.abspath(sys.argv[1]), int(sys.argv[2]),
                                    int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    args = types.SimpleNamespace(build=build, src=os.path.dirname(build), quick=True, reps=1,
                                 e2e_flows="", e2e_meters="", e2e_paced=None, keep=False)
    rn = R.Runner(False)
    b = R.Bench(args, rn)
    try:
        b.e2e_setup()
        tx, rx = b.e2e_ns
        for rep in range(reps):
            d = rn.path(f"steady-{rep}")
            os.makedirs(d)
            nf = b.start_nfcapd(rx, os.path.join(d, "nf"))
            metrics = os.path.join(d, "m.prom")
            p = rn.start(["ip", "netns", "exec", rx, "taskset", "-c", b.cpu_sut,
                          b.exe("src", "jflowd"), "-i", "brx0", "--mirror", "-n",
                          "ipfix://127.0.0.1:4739", "--metrics-file", metrics,
                          "--max-flows", str(max(131072, flows))],
                         err=os.path.join(d, "err"))
            R.wait_for(lambda: os.path.exists(metrics), 30)
            b.napi_threads_pinned()
            g = rn.start(["ip", "netns", "exec", tx, b.exe("bench", "jflowd-xdpgen"),
                          "--iface", "btx0", "--flows", str(flows), "--sizes", "64",
                          "--duration", str(dur), "--cpu", b.cpu_aux, "--hold", "bhold0",
                          "--pps", str(pps)])
            time.sleep(dur / 2)
            pids = R.proc_tree(p.pid)
            c0, r0, w0 = (R.proc_cpu_s(pids), met(metrics, "jflowd_table_read_seconds_total"),
                          time.monotonic())
            time.sleep(dur / 2 - 1)
            c1, r1, w1 = (R.proc_cpu_s(pids), met(metrics, "jflowd_table_read_seconds_total"),
                          time.monotonic())
            live = met(metrics, "jflowd_table_flows")
            g.wait(timeout=60)
            rn.procs.remove(g)
            time.sleep(1.5)
            parts = [ln.strip() for ln in open(metrics) if ln.startswith("jflowd_memory_bytes{")]
            mem = sum(float(x.split()[1]) for x in parts)
            st = open(f"/proc/{p.pid}/status").read()
            rss = int(re.search(r"VmRSS:\s+(\d+)", st).group(1)) * 1024
            rc = rn.stop(p, timeout=180)
            mc = b.metrics_check(metrics)
            col = b.stop_nfcapd(rx, nf, os.path.join(d, "nf"))
            print(f"rep {rep}: {flows} flows at {pps} pps: live slots {live:.0f}; agent CPU "
                  f"{(c1 - c0) / (w1 - w0) * 100:.1f} % of a core over {w1 - w0:.1f} s; reading "
                  f"the table {(r1 - r0) / (w1 - w0) * 100:.1f} %; memory {mem:.0f} bytes "
                  f"({mem / max(131072, flows):.0f} per flow of --max-flows) {parts}; VmRSS {rss}; "
                  f"exit {rc}; metrics {mc}; collector {col}", flush=True)
    finally:
        rn.cleanup()


if __name__ == "__main__":
    main()
