#!/usr/bin/python3
"""Run every jflowd benchmark and rewrite BENCHMARKS.md.

Called by scripts/bench after the release build. Each benchmark reports
ratios against a baseline measured in the same run, medians of several
runs. Everything it starts (processes, network namespaces) is stopped and
removed on exit, even on Ctrl-C; all traffic stays inside namespaces it
creates, on veth pairs and loopback.

usage: run.py --build DIR --src DIR [--quick] [--only LIST] [--out FILE]
"""
import argparse
import datetime
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

# ---------------------------------------------------------------- helpers


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=1, unit=""):
    if x is None:
        return "n/a"
    return f"{x:,.{nd}f}{unit}"


def mpps(x):
    return "n/a" if x is None else f"{x / 1e6:.2f}"


def pct(x, nd=1):
    return "n/a" if x is None else f"{100 * x:.{nd}f} %"


def ratio(x, nd=2):
    return "n/a" if x is None else f"{x:.{nd}f}x"


class Failed(Exception):
    """A measurement that could not be made; the table says why."""


class Runner:
    """Processes and namespaces started by this run, for cleanup."""

    def __init__(self, keep):
        self.procs = []
        self.netns = []
        self.keep = keep
        self.work = tempfile.mkdtemp(prefix="jflowd-bench.")

    def path(self, *p):
        return os.path.join(self.work, *p)

    def run(self, cmd, timeout=120, check=True, **kw):
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
        if check and r.returncode != 0:
            raise Failed(f"{' '.join(cmd)} exited {r.returncode}: "
                         f"{(r.stderr or r.stdout).strip()[-400:]}")
        return r

    def start(self, cmd, out=None, err=None):
        fo = open(out, "w") if out else subprocess.DEVNULL
        fe = open(err, "w") if err else subprocess.DEVNULL
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=30):
        """Signal one process we started and wait for it (bounded)."""
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        if p in self.procs:
            self.procs.remove(p)
        return p.returncode

    def add_netns(self, name):
        self.run(["ip", "netns", "add", name])
        self.netns.append(name)

    def cleanup(self):
        for p in list(self.procs):
            try:
                self.stop(p, timeout=10)
            except Exception:
                pass
        for ns in self.netns:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.netns = []
        if not self.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        else:
            log(f"work dir kept: {self.work}")


def wait_for(pred, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def kv(line):
    """'a=1 b=2.5' -> dict of floats."""
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.eE+-]+)", line)}


def json_lines(text):
    return [json.loads(x) for x in text.splitlines() if x.startswith("{")]


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_tree(pid):
    """pid and its descendants, threads' children included."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def proc_cpu_s(pids):
    """utime + stime of the processes (threads included), in seconds."""
    tot = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            tot += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return tot / CLK_TCK


def cpu_busy_s(cpu):
    """Busy time of one CPU from /proc/stat, in seconds."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = [int(x) for x in line.split()[1:]]
                return (sum(v[:8]) - v[3] - v[4]) / CLK_TCK
    return 0.0


# ----------------------------------------------------------- the benchmarks


class Bench:
    def __init__(self, args, rn):
        self.a = args
        self.rn = rn
        self.b = args.build
        self.src = args.src
        self.quick = args.quick
        self.reps = args.reps or (1 if args.quick else 3)
        self.reps_offline = 3 if args.quick else 5    # alternating pairs, short runs
        ncpu = os.cpu_count() or 1
        self.cpu_sut = "1" if ncpu > 1 else "0"    # system under test
        self.cpu_aux = "0"                        # generator, collectors
        self.res = {}
        self.errors = {}
        self.tag = f"jfb{os.getpid()}"
        self.profiles = {}

    def exe(self, *p):
        return os.path.join(self.b, *p)

    # -- machine ---------------------------------------------------------
    def machine(self):
        m = {}
        try:
            out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
            g = re.search(r"Model name:\s*(.+)", out)
            m["cpu"] = g.group(1).strip() if g else "?"
        except OSError:
            m["cpu"] = "?"
        m["cores"] = os.cpu_count()
        m["kernel"] = os.uname().release
        with open("/proc/meminfo") as f:
            m["mem_gib"] = int(f.readline().split()[1]) / 1048576
        with open("/proc/loadavg") as f:
            m["load"] = " ".join(f.read().split()[:3])
        m["clocksource"] = open(
            "/sys/devices/system/clocksource/clocksource0/current_clocksource").read().strip()
        g = subprocess.run(["git", "-C", self.src, "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", self.src, "status", "--porcelain", "--",
                                "src", "bpf", "include", "bench"],
                               capture_output=True, text=True).stdout.strip()
        m["commit"] = (g or "?") + (" + uncommitted changes" if dirty else "")
        m["branch"] = subprocess.run(["git", "-C", self.src, "rev-parse", "--abbrev-ref",
                                      "HEAD"], capture_output=True, text=True).stdout.strip()
        for tool, cmd in (("softflowd", ["softflowd", "-h"]), ("pmacctd", ["pmacctd", "-V"]),
                          ("nfcapd", ["nfcapd", "-V"])):
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
                txt = out.stdout + out.stderr
                g = re.search(r"(\d+\.\d+\.\d+)", txt)
                m[tool] = g.group(1) if g else "?"
            except (OSError, subprocess.TimeoutExpired):
                m[tool] = None
        self.res["machine"] = m

    # -- profiles ----------------------------------------------------------
    def profile(self, key, cmd, cpu=None, comm=None, label=None, timeout=120, top=14):
        """perf record -e cpu-clock; keep the top symbols. Without cpu: the
        command and its children only. With cpu: everything on that CPU,
        keeping the threads whose name starts with comm."""
        if not shutil.which("perf"):
            return
        data = self.rn.path(f"perf-{key}.data")
        rec = ["perf", "record", "-q", "-o", data, "-e", "cpu-clock", "-F", "999"]
        if cpu is not None:
            rec += ["-C", cpu]
        try:
            self.rn.run(rec + ["--"] + cmd, timeout=timeout, check=False)
            rep = self.rn.run(["perf", "report", "-i", data, "--no-children", "--sort",
                               "comm,sym", "--stdio"], timeout=120, check=False).stdout
        except subprocess.TimeoutExpired:
            return
        rows = []
        for line in rep.splitlines():
            g = re.match(r"\s*([0-9.]+)%\s+(\S+)\s+\[(.)\]\s+(.+)", line)
            if g and (comm is None or g.group(2).startswith(comm)):
                rows.append((float(g.group(1)), g.group(2), g.group(4).strip()))
        text = label or " ".join(cmd)
        self.profiles[key] = {"cmd": text.replace(self.rn.work + "/", ""), "rows": rows[:top]}

    # -- (a) XDP program cost ----------------------------------------------
    def xdp_cost(self):
        flows = "1024,10000,65536,1048576"
        cmd = [self.exe("bench", "bench_xdp_cost"), "--flows", flows, "--reps",
               str(self.reps), "--cpu", self.cpu_sut, "--cold-max",
               "1024" if self.quick else "65536"]
        log("xdp_cost: " + " ".join(cmd))
        r = self.rn.run(cmd, timeout=600)
        rows = json_lines(r.stdout)
        cmd6 = [self.exe("bench", "bench_xdp_cost"), "--flows", "65536", "--family", "6",
                "--reps", str(self.reps), "--cpu", self.cpu_sut, "--cold-max", "0",
                "--hot-repeat", "0"]
        rows += json_lines(self.rn.run(cmd6, timeout=300).stdout)
        self.res["xdp_cost"] = {"cmd": " ".join(cmd),
                                "cmd6": " ".join(cmd6), "rows": rows}
        hit = [x["hit_ns"] / x["trivial_ns"] for x in rows
               if x["bench"] == "xdp_cost" and x["trivial_ns"]]
        if hit and max(hit) > 2 and not self.quick:
            self.profile("xdp_hit", [self.exe("bench", "bench_xdp_cost"), "--flows", "1024",
                                     "--reps", "1", "--cpu", self.cpu_sut, "--cold-max",
                                     "0", "--hot-repeat", "20000000"])
            self.profile("xdp_hit_64k", [self.exe("bench", "bench_xdp_cost"), "--flows",
                                         "65536", "--reps", "5", "--cpu", self.cpu_sut,
                                         "--cold-max", "0", "--hot-repeat", "0"])

    # -- (d) drain and encode ------------------------------------------------
    def drain(self):
        cmd = [self.exe("bench", "bench_drain"), "--flows", "65536,1048576", "--reps",
               str(self.reps), "--cpu", self.cpu_sut]
        log("drain: " + " ".join(cmd))
        r = self.rn.run(cmd, timeout=600)
        self.res["drain"] = {"cmd": " ".join(cmd), "rows": json_lines(r.stdout)}
        worst = min(x["new_flows_per_s"] for x in self.res["drain"]["rows"])
        if worst < 5e6 and not self.quick:
            self.profile("drain", cmd[:-4] + ["--reps", "3", "--cpu", self.cpu_sut])

    # -- (g) NAT event storm ---------------------------------------------------
    def nat(self):
        """bench/nat_storm.sh: new NAT sessions flat out for 30 s (quick: 10),
        then paced rates, each session's create and delete events counted at
        nfcapd."""
        secs = "10" if self.quick else "30"
        paced = "20000" if self.quick else "10000,20000,40000,60000"
        cmd = ["bash", os.path.join(self.src, "bench", "nat_storm.sh"), secs, paced,
               "5" if self.quick else "10"]
        env = dict(os.environ, BUILD=self.b, SRC=self.src)
        log("nat: " + " ".join(cmd))
        r = self.rn.run(cmd, timeout=3600, env=env)
        self.res["nat"] = {"cmd": "bench/nat_storm.sh " + " ".join(cmd[2:]),
                           "rows": json_lines(r.stdout)}

    def encode(self):
        n = "2000000" if self.quick else "4000000"
        cmd = [self.exe("bench", "bench_encode"), "--records", n, "--reps",
               "3" if self.quick else "5", "--cpu", self.cpu_sut]
        log("encode: " + " ".join(cmd))
        r = self.rn.run(cmd, timeout=600)
        self.res["encode"] = {"cmd": " ".join(cmd), "rows": json_lines(r.stdout)}
        ipfix = [x for x in self.res["encode"]["rows"]
                 if x["format"] == "ipfix" and x["family"] == 4]
        if ipfix and 1e9 / ipfix[0]["encode_ns"] < 20e6 and not self.quick:
            self.profile("encode", cmd)

    # -- collectors ------------------------------------------------------------
    def udp_recvq(self, ns, port):
        r = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Hlun", f"sport = :{port}"],
                           capture_output=True, text=True)
        f = r.stdout.split()
        return int(f[1]) if len(f) > 1 else None

    def start_nfcapd(self, ns, d, port=4739):
        os.makedirs(d, exist_ok=True)
        p = self.rn.start(["ip", "netns", "exec", ns, "taskset", "-c", self.cpu_aux,
                           "nfcapd", "-w", d, "-p", str(port), "-b", "127.0.0.1",
                           "-B", "8388608"], err=d + ".log", out=d + ".out")
        if not wait_for(lambda: self.udp_recvq(ns, port) is not None, 10):
            self.rn.stop(p)
            raise Failed("nfcapd did not start")
        return p

    def stop_nfcapd(self, ns, p, d, port=4739):
        """Wait until nfcapd has read its socket empty, stop it, sum its file."""
        wait_for(lambda: self.udp_recvq(ns, port) in (0, None), 20)
        time.sleep(0.5)
        sk = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Huanm", f"sport = :{port}"],
                            capture_output=True, text=True).stdout
        g = re.search(r"skmem:\([^)]*\bd(\d+)", sk)
        self.rn.stop(p, timeout=60)
        r = self.rn.run(["nfdump", "-R", d, "-I"], check=False, timeout=120)
        tot = {"packets": 0, "flows": 0, "seq_failures": 0, "files": 0,
               "socket_drops": int(g.group(1)) if g else None}
        for line in r.stdout.splitlines():
            g = re.match(r"(Packets|Flows|Sequence failures): (\d+)$", line.strip())
            if g:
                k = {"Packets": "packets", "Flows": "flows",
                     "Sequence failures": "seq_failures"}[g.group(1)]
                tot[k] += int(g.group(2))
                if k == "flows":
                    tot["files"] += 1
        return tot

    def metrics_check(self, path):
        r = subprocess.run(["/usr/bin/python3", os.path.join(self.src, "tests", "lib",
                                                             "metrics_check.py"), path,
                            "--no-loss"], capture_output=True, text=True)
        g = re.search(r"metered (\d+) = exported (\d+) \+ cached (\d+) \+ unaccounted (\d+)",
                      r.stdout)
        return {"ok": r.returncode == 0, "out": (r.stdout + r.stderr).strip(),
                "metered": int(g.group(1)) if g else None,
                "unaccounted": int(g.group(4)) if g else None}

    # -- (c) offline replay ------------------------------------------------------
    def warm(self, path):
        """Read the whole file once, so every timed run starts from the same
        page cache: all of it resident, read just before."""
        buf = bytearray(1 << 20)
        with open(path, "rb", buffering=0) as f:
            while f.readinto(buf):
                pass

    def timed(self, cmd, timeout=600):
        """Run cmd to its end: (result, wall s, CPU s of the process)."""
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        r = self.rn.run(cmd, timeout=timeout, check=False)
        wall = time.monotonic() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
        return r, wall, cpu

    def offline(self):
        ns = self.tag + "off"
        self.rn.add_netns(ns)
        self.rn.run(["ip", "-n", ns, "link", "set", "lo", "up"])
        pcap = self.rn.path("replay.pcap")
        npk, nfl = 1000000, 50000
        gen = [self.exe("tests", "jflowd-trafgen"), "--out", pcap, "--packets", str(npk),
               "--flows", str(nfl), "--size", "64-1100", "--protos", "tcp,udp,icmp",
               "--families", "4,6", "--framing", "plain,vlan,mpls", "--rate", "50000"]
        log("offline: generating " + " ".join(gen))
        self.rn.run(gen, timeout=300)
        fsize = os.path.getsize(pcap)
        pm_conf = self.rn.path("pmacctd.conf")
        with open(pm_conf, "w") as f:
            f.write(f"""daemonize: false
pcap_savefile: {pcap}
plugins: nfprobe
nfprobe_receiver: 127.0.0.1:4739
nfprobe_version: 10
nfprobe_maxflows: 2000000
aggregate: src_host, dst_host, src_port, dst_port, proto, tos
plugin_buffer_size: 102400
plugin_pipe_size: 102400000
""")
        pin = ["taskset", "-c", self.cpu_sut]
        tools = {
            "bare libpcap loop": [self.exe("bench", "bench_pcap_loop"), pcap],
            "jflowd -r": [self.exe("src", "jflowd"), "-r", pcap, "-n",
                          "ipfix://127.0.0.1:4739", "--metrics-file", "@METRICS@", "-q"],
            "jflowd -r --export-rate 1000000": [
                self.exe("src", "jflowd"), "-r", pcap, "-n", "ipfix://127.0.0.1:4739",
                "--metrics-file", "@METRICS@", "-q", "--export-rate", "1000000"],
            "softflowd -r": ["softflowd", "-r", pcap, "-n", "127.0.0.1:4739", "-v", "10",
                             "-m", "2000000"],
            "pmacctd (pcap_savefile)": ["pmacctd", "-f", pm_conf],
        }
        need = {"softflowd -r": "softflowd", "pmacctd (pcap_savefile)": "pmacctd"}
        pair = ["bare libpcap loop", "jflowd -r"]
        runs = {k: [] for k in tools}

        def one(rep, name):
            cmd = tools[name]
            d = self.rn.path(f"off-{rep}-{list(tools).index(name)}-{name.split()[0]}")
            os.makedirs(d)
            metrics = os.path.join(d, "m.prom")
            cmd = [metrics if c == "@METRICS@" else c for c in cmd]
            nf = None
            if name != "bare libpcap loop":
                nf = self.start_nfcapd(ns, os.path.join(d, "nf"))
            self.warm(pcap)
            r, wall, cpu = self.timed(["ip", "netns", "exec", ns] + pin + cmd)
            run = {"wall": wall, "cpu": cpu, "rc": r.returncode, "rep": rep}
            if r.returncode != 0:
                run["error"] = (r.stderr or r.stdout).strip()[-300:]
            if nf:
                run["collector"] = self.stop_nfcapd(ns, nf, os.path.join(d, "nf"))
            else:
                run["loop"] = kv(r.stdout)
                run["seconds"] = run["loop"].get("seconds")
            if name.startswith("jflowd -r"):
                run["metrics"] = self.metrics_check(metrics)
                # Its own clock, as the loop's seconds=: from the start of
                # main to the last metrics write, after every record left.
                try:
                    g = re.search(r"^jflowd_uptime_seconds ([0-9.]+)$", open(metrics).read(),
                                  re.M)
                    run["seconds"] = float(g.group(1)) if g else None
                except OSError:
                    run["seconds"] = None
            if name.startswith("pmacctd"):
                g = re.search(r"sleeping for (\d+) seconds", r.stdout + r.stderr)
                run["startup_sleep"] = int(g.group(1)) if g else 0
            runs[name].append(run)
            log(f"offline {name}: {run.get('seconds') or wall:.3f} s (wall {wall:.3f}, CPU "
                f"{cpu:.3f}) " + (f"collector {run['collector']['packets']}" if nf else ""))

        # The pair under test alternates its order, one after the other on
        # the same warm file; the other tools follow.
        for rep in range(self.reps_offline):
            for name in (pair if rep % 2 == 0 else pair[::-1]):
                one(rep, name)
        for rep in range(self.reps):
            for name in tools:
                if name in pair or (name in need and not shutil.which(need[name])):
                    continue
                one(rep, name)
        self.res["offline"] = {"packets": npk, "flows": nfl, "bytes": fsize,
                               "gen": " ".join(gen[1:]).replace(pcap, "replay.pcap"),
                               "cmds": {k: " ".join(v).replace(pcap, "replay.pcap")
                                        .replace("@METRICS@", "m.prom")
                                        .replace(pm_conf, "pmacctd.conf")
                                        .replace(self.b + "/", "")
                                        for k, v in tools.items()},
                               "pmacctd_conf": open(pm_conf).read().replace(pcap,
                                                                            "replay.pcap"),
                               "runs": runs}
        # The second capture (issue 23): the same million packets over
        # 300 s, each flow's 20 packets back to back, flows starting all
        # along: they end by idle timeout while the file plays, so records
        # leave all along, not only at the end. (Spread evenly instead,
        # each flow's packets 15 s apart, the idle timeout, make every
        # packet a record of its own: a million records, bound by the
        # collector; docs/scale.md.)
        pcap2 = self.rn.path("replay300.pcap")
        gen2 = [c if c != pcap else pcap2 for c in gen] + ["--burst", "20"]
        gen2[gen2.index("--rate") + 1] = "3333"
        log("offline: generating " + " ".join(gen2))
        self.rn.run(gen2, timeout=300)
        long_runs = {"bare libpcap loop": [], "jflowd -r": []}
        for rep in range(self.reps_offline):
            for name in (pair if rep % 2 == 0 else pair[::-1]):
                d = self.rn.path(f"off300-{rep}-{name.split()[0]}")
                os.makedirs(d)
                metrics = os.path.join(d, "m.prom")
                cmd = [pcap2 if c == pcap else metrics if c == "@METRICS@" else c
                       for c in tools[name]]
                nf = None if name == "bare libpcap loop" else \
                    self.start_nfcapd(ns, os.path.join(d, "nf"))
                self.warm(pcap2)
                r, wall, cpu = self.timed(["ip", "netns", "exec", ns] + pin + cmd)
                run = {"wall": wall, "cpu": cpu, "rc": r.returncode, "rep": rep}
                if nf:
                    run["collector"] = self.stop_nfcapd(ns, nf, os.path.join(d, "nf"))
                    run["metrics"] = self.metrics_check(metrics)
                    g = re.search(r"^jflowd_uptime_seconds ([0-9.]+)$", open(metrics).read(),
                                  re.M) if os.path.exists(metrics) else None
                    run["seconds"] = float(g.group(1)) if g else None
                else:
                    run["seconds"] = kv(r.stdout).get("seconds")
                long_runs[name].append(run)
                log(f"offline 300 s {name}: {run.get('seconds') or wall:.3f} s (CPU {cpu:.3f})")
        self.res["offline"]["long"] = {
            "gen": " ".join(gen2[1:]).replace(pcap2, "replay300.pcap"),
            "bytes": os.path.getsize(pcap2), "runs": long_runs}
        rat = offline_pair_ratios(self.res["offline"])
        if rat and med(rat) > 1.3 and not self.quick:
            prof_cmd = ["ip", "netns", "exec", ns] + pin + [
                self.exe("src", "jflowd"), "-r", pcap, "-n", "ipfix://127.0.0.1:4739", "-q"]
            nfdir = self.rn.path("off-prof-nf")
            nf = self.start_nfcapd(ns, nfdir)
            self.warm(pcap)
            self.profile("offline", prof_cmd)
            self.stop_nfcapd(ns, nf, nfdir)

    # -- (b) end to end on a veth -------------------------------------------------
    def e2e_setup(self):
        tx, rx = self.tag + "tx", self.tag + "rx"
        self.rn.add_netns(tx)
        self.rn.add_netns(rx)
        for ns in (tx, rx):
            self.rn.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                         "net.ipv6.conf.all.disable_ipv6=1"])
            self.rn.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                         "net.ipv6.conf.default.disable_ipv6=1"])
            self.rn.run(["ip", "-n", ns, "link", "set", "lo", "up"])
        self.rn.run(["ip", "link", "add", "btx0", "netns", tx, "type", "veth", "peer",
                     "name", "brx0", "netns", rx])
        # Never up, never receives: keeps xdpgen's program in the XDP
        # dispatcher (see bench/xdpgen.c --hold).
        self.rn.run(["ip", "-n", tx, "link", "add", "bhold0", "type", "veth", "peer",
                     "name", "bhold1"])
        self.rn.run(["ip", "-n", tx, "link", "set", "btx0", "up"])
        self.rn.run(["ip", "-n", rx, "link", "set", "brx0", "up"])
        # GRO gives the receiving veth a NAPI context without XDP (for the
        # pcap meters; UDP without a GRO socket is not merged); threaded
        # NAPI lets us pin the receive work to the CPU of the meter.
        self.rn.run(["ip", "netns", "exec", rx, "ethtool", "-K", "brx0", "gro", "on"])
        self.rn.run(["ip", "netns", "exec", rx, "sh", "-c",
                     "echo 1 > /sys/class/net/brx0/threaded"])
        napi = None
        for _ in range(50):
            out = subprocess.run(["ps", "-eo", "pid,comm"], capture_output=True,
                                 text=True).stdout
            pids = [ln.split()[0] for ln in out.splitlines() if "napi/brx0-" in ln]
            if pids:
                napi = pids
                break
            time.sleep(0.1)
        if not napi:
            raise Failed("no threaded NAPI kthread for the receiving veth")
        for pid in napi:
            self.rn.run(["taskset", "-pc", self.cpu_sut, pid])
        self.e2e_ns = (tx, rx)
        self.napi_pids = napi

    def ethtool(self, ns, dev):
        out = self.rn.run(["ip", "netns", "exec", ns, "ethtool", "-S", dev]).stdout
        return {k: int(v) for k, v in re.findall(r"(\w+): (\d+)", out)}

    def napi_pids_now(self):
        out = subprocess.run(["ps", "-eo", "pid,comm"], capture_output=True, text=True).stdout
        return [int(ln.split()[0]) for ln in out.splitlines() if "napi/brx0-" in ln]

    def napi_threads_pinned(self):
        """Re-pin: attaching or detaching XDP may create new NAPI threads."""
        out = subprocess.run(["ps", "-eo", "pid,comm"], capture_output=True, text=True).stdout
        for ln in out.splitlines():
            if "napi/brx0-" in ln:
                subprocess.run(["taskset", "-pc", self.cpu_sut, ln.split()[0]],
                               capture_output=True)

    def e2e_run(self, meter, flows, dur, d, pps=None):
        tx, rx = self.e2e_ns
        os.makedirs(d)
        pin = ["ip", "netns", "exec", rx, "taskset", "-c", self.cpu_sut]
        run = {"meter": meter, "flows": flows, "pps": pps}
        nf = (self.start_nfcapd(rx, os.path.join(d, "nf"))
              if meter not in REFS else None)
        metrics = os.path.join(d, "m.prom")
        ctl = os.path.join(d, "sf.ctl")
        if meter in REFS:
            # The floor's table: one 64-byte line per slot jflowd would
            # have for the flows present (1.5 a flow).
            extra = [str(flows + flows // 2)] if meter == "floor" else []
            p = self.rn.start(pin + [self.exe("bench", "jflowd-bench-trivial"), "brx0",
                                     meter, "300"] + extra, out=os.path.join(d, "out"),
                              err=os.path.join(d, "err"))
            ok = wait_for(lambda: "attached" in open(os.path.join(d, "out")).read(), 10)
        elif meter in JFLOWD_METERS:
            # No sizing option (the table grows with the flows); jflowd_1m:
            # --max-flows 1048576, for the memory per flow at 1 M flows.
            exe = self.exe("src", "jflowd")
            if meter in ("jflowd-base", "jflowd-base2"):
                build = self.a.base_build if meter == "jflowd-base" else self.a.base2_build
                if not build:
                    raise Failed(f"{meter} needs --{meter[7:]}-build")
                exe = os.path.join(os.path.abspath(build), "src", "jflowd")
                run["tree"] = subprocess.run(
                    ["git", "-C", os.path.dirname(os.path.abspath(build)), "rev-parse",
                     "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
            if meter.startswith("jflowd-hosts24"):
                # A /24-pair monitor instead of the default one, masked in
                # the program (the table holds one flow per pair: 256 are
                # sent) or merged in the agent (it holds every 5-tuple).
                conf = os.path.join(d, "jflowd.conf")
                with open(conf, "w") as f:
                    f.write(HOSTS24_CONF.format(
                        agg="agent" if meter.endswith("agent") else "program"))
                run["conf"] = open(conf).read()
                cmd = [exe, "-c", conf, "--mirror", "--metrics-file", metrics]
            else:
                cmd = [exe, "-i", "brx0", "--mirror", "-n", "ipfix://127.0.0.1:4739",
                       "--metrics-file", metrics]
                cmd += ["--max-flows", "1048576"] if meter == "jflowd_1m" else []
            cmd += self.a.jflowd_args.split() if self.a.jflowd_args else []
            run["cmd"] = cmd
            p = self.rn.start(pin + cmd, err=os.path.join(d, "err"))
            ok = wait_for(lambda: os.path.exists(metrics), 30)
            errtxt = open(os.path.join(d, "err")).read()
            run["native"] = "with native XDP" in errtxt
        elif meter == "softflowd":
            cmd = ["softflowd", "-i", "brx0", "-n", "127.0.0.1:4739", "-v", "10", "-m",
                   str(max(2 * flows, 8192)), "-d", "-c", ctl, "-p",
                   os.path.join(d, "sf.pid"), "-B", str(32 << 20)]
            run["cmd"] = cmd
            p = self.rn.start(pin + cmd, out=os.path.join(d, "out"),
                              err=os.path.join(d, "err"))
            ok = wait_for(lambda: os.path.exists(ctl), 10)
            time.sleep(0.5)
        else:  # pmacctd
            conf = os.path.join(d, "pmacctd.conf")
            with open(conf, "w") as f:
                f.write(f"""daemonize: false
pcap_interface: brx0
plugins: nfprobe
nfprobe_receiver: 127.0.0.1:4739
nfprobe_version: 10
nfprobe_maxflows: {max(2 * flows, 8192)}
aggregate: src_host, dst_host, src_port, dst_port, proto, tos
plugin_buffer_size: 102400
plugin_pipe_size: 102400000
""")
            run["conf"] = open(conf).read()
            p = self.rn.start(pin + ["pmacctd", "-f", conf], out=os.path.join(d, "out"),
                              err=os.path.join(d, "err"))
            ok = wait_for(lambda: "Exporting flows" in open(os.path.join(d, "out")).read() +
                          open(os.path.join(d, "err")).read(), 15)
            time.sleep(0.5)
        if not ok or p.poll() is not None:
            self.rn.stop(p)
            if nf:
                self.rn.stop(nf)
            raise Failed(f"{meter} did not start: " +
                         open(os.path.join(d, "err")).read().strip()[-300:])
        self.napi_threads_pinned()
        time.sleep(0.3)
        gen_cmd = ["ip", "netns", "exec", tx, self.exe("bench", "jflowd-xdpgen"),
                   "--iface", "btx0", "--flows", str(flows), "--sizes", "64",
                   "--cpu", self.cpu_aux, "--hold", "bhold0"] + (["--pps", str(pps)] if pps else [])
        if self.a.e2e_warmup:
            # The same traffic first, unmeasured: the table has grown
            # towards the flows when the measured window starts (at 1 M
            # flows its growth can still lose packets in the warm-up).
            self.rn.run(gen_cmd + ["--duration", str(self.a.e2e_warmup)],
                        timeout=self.a.e2e_warmup + 60)
            run["warmup_s"] = self.a.e2e_warmup
        sut = self.napi_pids_now() + proc_tree(p.pid)
        c0, b0, w0 = proc_cpu_s(sut), cpu_busy_s(self.cpu_sut), time.monotonic()
        a0 = proc_cpu_s(proc_tree(p.pid))
        t0 = self.ethtool(tx, "btx0")
        r0 = self.ethtool(rx, "brx0")
        g = self.rn.run(gen_cmd + ["--duration", str(dur)], timeout=dur + 60)
        gen = kv(g.stdout)
        t1 = self.ethtool(tx, "btx0")
        r1 = self.ethtool(rx, "brx0")
        run["sent"] = int(gen["sent"])
        run["seconds"] = gen["seconds"]
        run["delivered"] = t1.get("tx_queue_0_xdp_xmit", 0) - t0.get("tx_queue_0_xdp_xmit", 0)
        run["ring_drops"] = (t1.get("tx_queue_0_xdp_xmit_errors", 0) -
                             t0.get("tx_queue_0_xdp_xmit_errors", 0))
        run["xdp_drops"] = r1.get("rx_queue_0_xdp_drops", 0) - r0.get("rx_queue_0_xdp_drops", 0)
        time.sleep(1.5)    # backlog in rings and capture buffers
        # CPU time of the receive path (NAPI thread, meter and its children)
        # and of everything else on its CPU, over generation + backlog.
        sut = set(sut + proc_tree(p.pid))
        run["sut_cpu_s"] = proc_cpu_s(sut) - c0
        if meter in JFLOWD_METERS:
            # The agent alone (reading the table, the cache, exporting).
            run["agent_cpu_s"] = proc_cpu_s(proc_tree(p.pid)) - a0
        run["window_s"] = time.monotonic() - w0
        run["other_cpu_s"] = max(0.0, cpu_busy_s(self.cpu_sut) - b0 - run["sut_cpu_s"])
        if meter in REFS:
            self.rn.stop(p)
            run["accounted"] = run["metered"] = run["xdp_drops"]
        elif meter in JFLOWD_METERS:
            try:
                st = open(f"/proc/{p.pid}/status").read()
                run["vmrss"] = int(re.search(r"VmRSS:\s+(\d+)", st).group(1)) * 1024
                run["vmhwm"] = int(re.search(r"VmHWM:\s+(\d+)", st).group(1)) * 1024
            except (OSError, AttributeError):
                pass
            # What jflowd says it holds, by part, at this --max-flows.
            mem = {}
            for ln in open(metrics):
                m_ = re.match(r'jflowd_memory_bytes\{part="(\w+)"\} (\d+)', ln)
                if m_:
                    mem[m_.group(1)] = int(m_.group(2))
            run["memory_parts"] = mem
            rc = self.rn.stop(p, timeout=120)
            run["rc"] = rc
            run["metrics"] = self.metrics_check(metrics)
            run["metered"] = run["metrics"]["metered"]
        elif meter == "softflowd":
            sfc = ["ip", "netns", "exec", rx, "softflowctl", "-c", ctl]
            st = self.rn.run(sfc + ["statistics"], check=False, timeout=30).stdout
            for k, rx_ in (("pcap_received", r"received by libpcap: (\d+)"),
                           ("pcap_dropped", r"dropped by libpcap: (\d+)"),
                           ("processed", r"Packets processed: (\d+)")):
                g2 = re.search(rx_, st)
                run[k] = int(g2.group(1)) if g2 else None
            run["metered"] = run.get("processed")
            self.rn.run(sfc + ["expire-all"], check=False, timeout=60)
            wait_for(lambda: "active flows: 0" in self.rn.run(
                sfc + ["statistics"], check=False, timeout=30).stdout, 60, 0.5)
            self.rn.run(sfc + ["shutdown"], check=False, timeout=30)
            self.rn.stop(p, timeout=60)
        else:
            self.rn.stop(p, signal.SIGINT, timeout=120)
            log_txt = open(os.path.join(d, "out")).read() + open(os.path.join(d, "err")).read()
            g2 = re.findall(r"received_packets=(\d+) dropped_packets=(\d+)", log_txt)
            if g2:
                run["pcap_received"], run["pcap_dropped"] = map(int, g2[-1])
                run["metered"] = run["pcap_received"] - run["pcap_dropped"]
        if nf:
            run["collector"] = self.stop_nfcapd(rx, nf, os.path.join(d, "nf"))
            run["accounted"] = run["collector"]["packets"]
        if run.get("warmup_s") and meter in JFLOWD_METERS and run.get("metered") is not None:
            # The totals include the warm-up; the window's count is what
            # reached the device (the XDP meter counts every such frame).
            run["metered_total"] = run["metered"]
            run["metered"] = run["delivered"]
        return run

    def e2e(self):
        self.e2e_setup()
        dur = getattr(self.a, "e2e_seconds", 0) or (2 if self.quick else 5)
        flow_counts = [1024, 65536] if self.quick else [1024, 65536, 1048576]
        if self.a.e2e_flows:
            flow_counts = [int(x) for x in self.a.e2e_flows.split(",")]
        meters = ["drop", "touch", "floor", "jflowd"]
        for m, exe in (("softflowd", "softflowd"), ("pmacctd", "pmacctd")):
            if shutil.which(exe):
                meters.append(m)
            else:
                self.errors[f"e2e {m}"] = f"{exe} not installed"
        if self.a.e2e_meters:
            meters = [m for m in self.a.e2e_meters.split(",")
                      if m in meters or m in JFLOWD_METERS]
        runs = []
        # Flat out at every flow count, then evenly paced at 1 Mpps (a load
        # every meter should carry; no overload feedback) at the two smaller.
        plan = [(None, f) for f in flow_counts] + [(PACED_PPS, f) for f in flow_counts[:2]]
        if self.a.e2e_paced is not None:
            # Only runs at these rates, 0 for flat out (scale: steady
            # traffic at 1 M flows; records: flat out and an overload). A
            # rate above a meter's capacity is an overload the generator
            # keeps the same whatever the receiver does (flat out, a slower
            # receiver makes the generator faster: see the report).
            plan = [(int(x) or None, f) for x in self.a.e2e_paced.split(",") for f in flow_counts]
        for pps, flows in plan:
            for rep in range(self.reps):
                # Every other repetition in reverse order: no meter always
                # runs right after the same one.
                for meter in (meters if rep % 2 == 0 else meters[::-1]):
                    d = self.rn.path(f"e2e-{pps or 0}-{flows}-{rep}-{meter}")
                    try:
                        run = self.e2e_run(meter, flows, dur, d, pps)
                    except (Failed, subprocess.TimeoutExpired) as e:
                        run = {"meter": meter, "flows": flows, "pps": pps,
                               "error": str(e)[-300:]}
                    run["rep"] = rep
                    runs.append(run)
                    log(f"e2e {meter} {flows} flows {pps or 'flat out'}: sent {run.get('sent')} "
                        f"delivered {run.get('delivered')} accounted {run.get('accounted')}"
                        + (f" ERROR {run['error']}" if "error" in run else ""))
        # Memory per flow at 1 M flows is measured at --max-flows 1048576.
        if 1048576 in flow_counts and "jflowd" in meters and self.a.e2e_paced is None:
            d = self.rn.path("e2e-0-1048576-mem-jflowd_1m")
            try:
                run = self.e2e_run("jflowd_1m", 1048576, dur, d)
            except (Failed, subprocess.TimeoutExpired) as e:
                run = {"meter": "jflowd_1m", "flows": 1048576, "error": str(e)[-300:]}
            run["rep"] = 0
            runs.append(run)
        self.res["e2e"] = {"duration": dur, "runs": runs, "paced_pps": PACED_PPS,
                           "gen": f"jflowd-xdpgen --iface btx0 --flows N --sizes 64 "
                                  f"--duration {dur} --cpu {self.cpu_aux} --hold bhold0"}
        # Profile the receive CPU under jflowd when the target is missed.
        if not self.quick:
            def rate(meter, flows):
                return med([r["metered"] / r["seconds"] for r in runs
                            if r["meter"] == meter and r["flows"] == flows
                            and not r.get("pps") and r.get("metered") is not None])
            j, lim = rate("jflowd", 1024), rate("drop", 1024)
            if j and lim and j / lim < 0.8:
                self.profile_e2e_jflowd()
            # Issue 13's flow count: jflowd and the reference side by side.
            j, ref = rate("jflowd", 65536), rate("touch", 65536)
            if j and ref and j / ref < 0.8:
                self.profile_e2e_jflowd(65536)
                self.profile_e2e_jflowd(65536, "touch")

    # -- (e) a flood of new flows ------------------------------------------------
    def flood(self):
        """Every packet a new flow (xdpgen cycling 4e9 flows), into jflowd
        --mirror: flat out and paced, with no sizing option and with
        --max-flows 65536. What was metered, lost (by reason), exported
        early; agent CPU and peak memory."""
        if not getattr(self, "e2e_ns", None):
            self.e2e_setup()
        tx, rx = self.e2e_ns
        npk = 2000000 if self.quick else 6000000
        plan = [("default", [], None), ("default", [], 1000000),
                ("--max-flows 65536", ["--max-flows", "65536"], None)]
        if not self.quick:
            plan.append(("default, 60 s", [], 1000000))
        runs = []
        for i, (label, extra, pps) in enumerate(plan):
            d = self.rn.path(f"flood-{i}")
            os.makedirs(d)
            metrics = os.path.join(d, "m.prom")
            count = 60 * pps if label.endswith("60 s") else npk
            nf = self.start_nfcapd(rx, os.path.join(d, "nf"))
            cmd = [self.exe("src", "jflowd"), "-i", "brx0", "--mirror", "-n",
                   "ipfix://127.0.0.1:4739", "--metrics-file", metrics] + extra
            p = self.rn.start(["ip", "netns", "exec", rx, "taskset", "-c", self.cpu_sut] + cmd,
                              err=os.path.join(d, "err"))
            run = {"label": label, "pps": pps, "cmd": " ".join(cmd[1:]).replace(d + "/", ""),
                   "opts": " ".join(["-i", "brx0", "--mirror"] + extra)}
            try:
                if not wait_for(lambda: os.path.exists(metrics), 30):
                    raise Failed("jflowd did not start: " + open(os.path.join(d, "err")).read())
                self.napi_threads_pinned()
                time.sleep(0.3)
                a0 = proc_cpu_s(proc_tree(p.pid))
                t0 = self.ethtool(tx, "btx0")
                g = self.rn.run(["ip", "netns", "exec", tx, self.exe("bench", "jflowd-xdpgen"),
                                 "--iface", "btx0", "--flows", "4000000000", "--count",
                                 str(count), "--duration", str(count / (pps or 1e6) + 30),
                                 "--cpu", self.cpu_aux, "--hold", "bhold0"]
                                + (["--pps", str(pps)] if pps else []), timeout=count / 1e5 + 120)
                gen = kv(g.stdout)
                t1 = self.ethtool(tx, "btx0")
                time.sleep(1.5)
                run["agent_cpu_s"] = proc_cpu_s(proc_tree(p.pid)) - a0
                run["sent"] = int(gen["sent"])
                run["seconds"] = gen["seconds"]
                run["delivered"] = (t1.get("tx_queue_0_xdp_xmit", 0) -
                                    t0.get("tx_queue_0_xdp_xmit", 0))
                try:
                    st = open(f"/proc/{p.pid}/status").read()
                    run["vmhwm"] = int(re.search(r"VmHWM:\s+(\d+)", st).group(1)) * 1024
                except (OSError, AttributeError):
                    pass
                run["rc"] = self.rn.stop(p, timeout=120)
                run["metrics"] = self.metrics_check(metrics)
                txt = open(metrics).read()

                def mv(name):
                    g2 = re.search("^" + re.escape(name) + r" (\d+)$", txt, re.M)
                    return int(g2.group(1)) if g2 else 0
                run["metered"] = mv("jflowd_packets_metered_total")
                run["unaccounted"] = {k: int(v) for k, v in re.findall(
                    r'^jflowd_packets_unaccounted_total\{reason="(\w+)"\} (\d+)$', txt, re.M)
                    if int(v)}
                run["early"] = mv('jflowd_flows_exported_total{reason="lack_of_resources"}')
                run["spill"] = mv('jflowd_packets_in_flows_total{path="spill"}')
                run["kernel_bytes"] = mv('jflowd_memory_bytes{part="kernel"}')
                err = open(os.path.join(d, "err")).read()
                run["log"] = [ln.strip() for ln in err.splitlines() if "warning" in ln][:4]
                run["collector"] = self.stop_nfcapd(rx, nf, os.path.join(d, "nf"))
                nf = None
            except (Failed, subprocess.TimeoutExpired) as e:
                run["error"] = str(e)[-300:]
                self.rn.stop(p)
            if nf:
                self.rn.stop(nf)
            runs.append(run)
            log(f"flood {label} {pps or 'flat out'}: sent {run.get('sent')} delivered "
                f"{run.get('delivered')} metered {run.get('metered')} lost "
                f"{run.get('unaccounted')} early {run.get('early')}")
        self.res["flood"] = {"runs": runs, "packets": npk}

    def profile_e2e_jflowd(self, flows=1024, meter="jflowd"):
        """perf on the receive CPU while xdpgen feeds jflowd (or, to compare,
        the read-headers reference) with `flows` flows, flat out."""
        tx, rx = self.e2e_ns
        key = "e2e_jflowd" if (flows, meter) == (1024, "jflowd") else f"e2e_{meter}_{flows}"
        d = self.rn.path(f"e2e-prof-{meter}-{flows}")
        os.makedirs(d)
        nf = None
        metrics = os.path.join(d, "m.prom")
        if meter == "jflowd":
            nf = self.start_nfcapd(rx, os.path.join(d, "nf"))
            p = self.rn.start(["ip", "netns", "exec", rx, "taskset", "-c", self.cpu_sut,
                               self.exe("src", "jflowd"), "-i", "brx0", "--mirror", "-n",
                               "ipfix://127.0.0.1:4739", "--metrics-file", metrics],
                              err=os.path.join(d, "err"))
            ready = lambda: os.path.exists(metrics)  # noqa: E731
        else:
            out = os.path.join(d, "out")
            p = self.rn.start(["ip", "netns", "exec", rx, "taskset", "-c", self.cpu_sut,
                               self.exe("bench", "jflowd-bench-trivial"), "brx0", meter,
                               "300"], out=out, err=os.path.join(d, "err"))
            ready = lambda: "attached" in open(out).read()  # noqa: E731
        try:
            if not wait_for(ready, 30):
                return
            self.napi_threads_pinned()
            g = self.rn.start(["ip", "netns", "exec", tx, self.exe("bench", "jflowd-xdpgen"),
                               "--iface", "btx0", "--flows", str(flows), "--duration", "5",
                               "--cpu", self.cpu_aux, "--hold", "bhold0"])
            time.sleep(1.5)
            self.profile(key, ["sleep", "2"], cpu=self.cpu_sut, comm="napi/",
                         label=f"perf record -C 1 for 2 s while jflowd-xdpgen feeds "
                               + (f"jflowd -i brx0 --mirror ({flows:,} flows)" if meter == "jflowd"
                                  else f"the read-headers reference ({flows:,} flows)"))
            g.wait(timeout=30)
            self.rn.procs.remove(g)
        finally:
            self.rn.stop(p, timeout=60)
            if nf:
                self.stop_nfcapd(rx, nf, os.path.join(d, "nf"))


# ---------------------------------------------------------------- the report

CPU_SUT = "1" if (os.cpu_count() or 1) > 1 else "0"
# The XDP references of the end-to-end runs: counted by the veth.
REFS = ("drop", "touch", "floor")
# jflowd as the default monitor, the base tree's jflowd (--base-build: the
# same run's "today"; jflowd-base2, --base2-build: a second one), and a
# /24-pair monitor (issue 19) masked in the program or merged in the agent.
# jflowd-again: jflowd as "jflowd" runs it, once more in the same repetition
# (an A/A pair: how far two runs of one build differ, the method's own
# spread).
JFLOWD_METERS = ("jflowd", "jflowd_1m", "jflowd-base", "jflowd-base2", "jflowd-again",
                 "jflowd-hosts24", "jflowd-hosts24-agent")
HOSTS24_CONF = """[exporter bench]
collector = ipfix://127.0.0.1:4739
[record hosts24]
key = sourceIPv4Address/24, destinationIPv4Address/24, protocolIdentifier
fields = octetDeltaCount, packetDeltaCount, flowStartMilliseconds, flowEndMilliseconds
[monitor hosts24]
record = hosts24
exporter = bench
interface = brx0
aggregation = {agg}
"""
PACED_PPS = 1000000


def targets(res):
    """(target, measured, met) for every target of issues 4-7 we measure."""
    out = []
    xc = [x for x in res.get("xdp_cost", {}).get("rows", []) if x["bench"] == "xdp_cost"
          and x["family"] == 4]
    if xc:
        worst = max(xc, key=lambda x: x["hit_ns"] / x["trivial_ns"])
        best = min(xc, key=lambda x: x["hit_ns"] / x["trivial_ns"])
        out.append(("XDP hit path <= 2x trivial XDP_PASS (issue 4)",
                    f"{best['hit_ns'] / best['trivial_ns']:.1f}x at {best['flows']:,} flows to "
                    f"{worst['hit_ns'] / worst['trivial_ns']:.1f}x at {worst['flows']:,} flows "
                    f"({best['hit_ns']:.0f}-{worst['hit_ns']:.0f} ns vs "
                    f"{best['trivial_ns']:.0f} ns)",
                    worst["hit_ns"] / worst["trivial_ns"] <= 2, "xdp_hit"))
    by_flows = {x["flows"]: x for x in xc}
    if 10000 in by_flows:
        x = by_flows[10000]
        out.append(("XDP hit path <= 2x trivial at 10,000 flows (issue 13)",
                    f"{x['hit_ns'] / x['trivial_ns']:.2f}x ({x['hit_ns']:.0f} ns vs "
                    f"{x['trivial_ns']:.0f} ns)", x["hit_ns"] / x["trivial_ns"] <= 2, "xdp_hit"))
    if 1024 in by_flows and 1048576 in by_flows:
        lo, hi = by_flows[1024], by_flows[1048576]
        grow = (hi["hit_ns"] - hi["trivial_ns"]) - (lo["hit_ns"] - lo["trivial_ns"])
        out.append(("XDP hit path grows <= 100 ns from 1,024 to 1,048,576 flows (issue 13)",
                    f"+{grow:.0f} ns net of trivial ({lo['hit_ns']:.0f} -> {hi['hit_ns']:.0f} ns)",
                    grow <= 100, "xdp_hit_64k"))
    e2e = res.get("e2e")
    if e2e:
        def vs(ref, flows, want, what):
            rs = e2e_same_run(e2e, "jflowd", ref, flows)
            j = e2e_rate(e2e, "jflowd", flows, "metered")
            r = e2e_rate(e2e, ref, flows, "metered")
            if j and r:
                rng = f"; same-run ratios {', '.join(f'{x:.2f}' for x in rs)}" if rs else ""
                out.append((f"End to end, no sizing option, >= {want}x {what}, {flows:,} flows "
                            "(issue 23)", f"metered {j / 1e6:.2f} vs {r / 1e6:.2f} Mpps = "
                            f"{j / r:.2f}x" + rng, j / r >= want, "e2e_jflowd"))
        vs("touch", 65536, 0.7, "read headers")
        vs("touch", 1048576, 0.45, "read headers")
        for flows in (65536, 1048576):
            vs("floor", flows, 0.9, "the one-line floor sized for the flows present")
        for flows in sorted({r["flows"] for r in e2e["runs"] if not r.get("pps")}):
            j = e2e_rate(e2e, "jflowd", flows, "metered")
            lim = e2e_rate(e2e, "drop", flows, "metered")
            jc, limc = e2e_per_cpu(e2e, "jflowd", flows), e2e_per_cpu(e2e, "drop", flows)
            if j and lim:
                extra = (f"; per CPU-second of the receive path {jc / limc:.2f}x"
                         if jc and limc else "")
                out.append((f"End to end >= 0.8x the XDP_DROP limit, {flows:,} flows (issue 7)",
                            f"metered {j / 1e6:.2f} vs {lim / 1e6:.2f} Mpps = {j / lim:.2f}x"
                            + extra, j / lim >= 0.8, "e2e_jflowd"))
    off = res.get("offline")
    if off:
        rat = offline_pair_ratios(off)
        ratc = offline_pair_ratios(off, key=lambda r: r.get("cpu"))
        share = med([x["collector"]["packets"] / off["packets"]
                     for x in off["runs"]["jflowd -r"] if "collector" in x])
        if rat:
            j = med([off_time(x) for x in off["runs"]["jflowd -r"]])
            bare = med([off_time(x) for x in off["runs"]["bare libpcap loop"]])
            cpu = (f"; by CPU time {med(ratc):.2f}x ({min(ratc):.2f}-{max(ratc):.2f})"
                   if ratc else "")
            out.append(("Offline replay within 1.3x of the bare libpcap loop, 100 % at the "
                        "collector (issues 5, 13)",
                        f"{med(rat):.2f}x ({min(rat):.2f}-{max(rat):.2f}, {len(rat)} "
                        f"alternating pairs; {j:.3f} s vs {bare:.3f} s){cpu}, "
                        f"{pct(share, 2)} at the collector",
                        med(rat) <= 1.3 and share == 1, "offline"))
    lg = (off or {}).get("long")
    if lg:
        rat = offline_pair_ratios(lg)
        share = med([x["collector"]["packets"] / off["packets"]
                     for x in lg["runs"]["jflowd -r"] if "collector" in x])
        if rat:
            out.append(("Offline replay within 1.3x of the bare libpcap loop, the same packets "
                        "over 300 s (issue 23)",
                        f"{med(rat):.2f}x ({min(rat):.2f}-{max(rat):.2f}, {len(rat)} "
                        f"alternating pairs), {pct(share, 2)} at the collector",
                        med(rat) <= 1.3 and share == 1, "offline"))
    dr = res.get("drain", {}).get("rows", [])
    if dr:
        out.append(("Drain >= 5 M flows/s on one core (issue 4)",
                    ", ".join(f"{x['new_flows_per_s'] / 1e6:.2f} (new) / "
                              f"{x['existing_flows_per_s'] / 1e6:.2f} (existing) M flows/s at "
                              f"{x['flows']:,} flows" for x in dr),
                    min(min(x["new_flows_per_s"], x["existing_flows_per_s"]) for x in dr) >= 5e6,
                    "drain"))
    enc = [x for x in res.get("encode", {}).get("rows", []) if x["format"] == "ipfix"
           and x["family"] == 4]
    if enc:
        r = 1e9 / enc[0]["encode_ns"]
        out.append(("Encode >= 20 M IPFIX records/s (issue 6)",
                    f"{r / 1e6:.1f} M records/s (IPv4)", r >= 20e6, "encode"))
    fl = [r for r in res.get("flood", {}).get("runs", []) if r.get("label") == "default"
          and r.get("pps") and "metered" in r]
    if fl:
        r = fl[0]
        rate = r["metered"] / r["seconds"]
        lost = sum(r.get("unaccounted", {}).values())
        reached = r["delivered"] / r["sent"] if r["sent"] else 0
        out.append(("Flood, default sizing: >= 1 M new flows/s held with no loss (issue 23)",
                    f"{rate / 1e6:.2f} M new flows/s metered of {r['pps'] / 1e6:.2f} M/s "
                    f"offered ({pct(reached)} reached the device), {lost:,} packets lost "
                    f"(counted), {r.get('early', 0):,} flows left early",
                    rate >= 0.98e6 and lost == 0 and r["metrics"]["ok"] and reached >= 0.99,
                    None))
    mem = memory(res)
    if mem:
        out.append(("<= 300 bytes per flow in all, at 1 M flows (issue 7)",
                    f"{mem['total']:.0f} bytes/flow (kernel {mem['kernel']:.0f} + agent "
                    f"{mem['cache']:.0f})", mem["total"] <= 300, None))
    return out


def off_time(run):
    """A run's time by its own clock (the loop's seconds=, jflowd's uptime
    at its last metrics write), else the wall time around it."""
    return run.get("seconds") or run["wall"]


def offline_pair_ratios(off, key=None):
    """jflowd -r over the bare loop, each run against the loop's run of the
    same repetition (alternating order, same warm file)."""
    key = key or off_time
    bare = {r.get("rep"): r for r in off["runs"]["bare libpcap loop"]}
    out = []
    for r in off["runs"]["jflowd -r"]:
        b = bare.get(r.get("rep"))
        if b and key(b) and key(r):
            out.append(key(r) / key(b))
    return out


def e2e_rate(e2e, meter, flows, key="accounted", pps=None):
    return med([r[key] / r["seconds"] for r in e2e["runs"]
                if r["meter"] == meter and r["flows"] == flows and r.get("pps") == pps
                and r.get(key) is not None])


def e2e_same_run(e2e, meter, ref, flows, pps=None, per_cpu=False):
    """Metered rate (or metered packets per receive-path CPU-second) of
    meter over ref, repetition by repetition (the runs of one repetition
    follow each other, so they share the machine's state)."""
    def per_rep(m):
        return {r["rep"]: r["metered"] / (r["sut_cpu_s"] if per_cpu else r["seconds"])
                for r in e2e["runs"]
                if r["meter"] == m and r["flows"] == flows and r.get("pps") == pps
                and r.get("metered") and "rep" in r and (r.get("sut_cpu_s") or not per_cpu)}
    a, b = per_rep(meter), per_rep(ref)
    return [a[k] / b[k] for k in sorted(a) if k in b and b[k]]


def e2e_offered(e2e, meter, flows, pps=None):
    return med([r["sent"] / r["seconds"] for r in e2e["runs"]
                if r["meter"] == meter and r["flows"] == flows and r.get("pps") == pps
                and r.get("sent")])


def base_label(e2e, meter):
    """The base trees by the commit their build came from."""
    trees = {r.get("tree") for r in e2e["runs"] if r["meter"] == meter and r.get("tree")}
    what = "second base tree" if meter == "jflowd-base2" else "base tree"
    return f"{what} ({', '.join(sorted(trees))})" if trees else what


def records_ratios(e2e, w):
    """Issue 19: the default monitor against the base tree (and against
    itself, the method's spread), and the /24-pair monitor against the
    default one, repetition by repetition, at every load."""
    pairs = (("jflowd", "jflowd-base", f"default monitor / {base_label(e2e, 'jflowd-base')}"),
             ("jflowd", "jflowd-base2",
              f"default monitor / {base_label(e2e, 'jflowd-base2')}"),
             ("jflowd-again", "jflowd", "default monitor / default monitor again (A/A)"),
             ("jflowd-hosts24", "jflowd", "/24 pairs masked in the program / default monitor"),
             ("jflowd-hosts24-agent", "jflowd", "/24 pairs merged in the agent / default "
              "monitor"))
    rows = []
    groups = sorted({(r.get("pps") or 0, r["flows"]) for r in e2e["runs"]})
    for pps, flows in groups:
        pps = pps or None
        load = "flat out" if not pps else f"{pps / 1e6:g} Mpps"
        for m, ref, what in pairs:
            rs = e2e_same_run(e2e, m, ref, flows, pps)
            if not rs:
                continue
            rc = e2e_same_run(e2e, m, ref, flows, pps, per_cpu=True)
            oa, ob = e2e_offered(e2e, m, flows, pps), e2e_offered(e2e, ref, flows, pps)
            rows.append(f"| {flows:,} | {load} | {what} | {ratio(med(rs), 3)} "
                        f"({', '.join(ratio(x, 3) for x in rs)}) | "
                        f"{ratio(med(rc), 3) if rc else 'n/a'}"
                        f"{' (' + ', '.join(ratio(x, 3) for x in rc) + ')' if rc else ''} | "
                        f"{mpps(oa)} / {mpps(ob)} |")
    if not rows:
        return
    w("### Records and monitors: same-run ratios (issue 19)\n")
    w("Metered rate of one meter over another, repetition by repetition (the runs of "
      "one repetition follow each other, every other repetition in reverse order), and "
      "the same for metered packets per receive-path CPU-second; medians, then each "
      "repetition. *Offered*: the generator's rate (medians), which flat out depends on "
      "the receiver: frames the receiver's ring refuses return to the generator at once, "
      "so a slower receiver makes the generator faster and pays more for the page pool "
      "both share. A rate above every meter's capacity (the overload rows) keeps the "
      "offered load the same for both meters.\n")
    w("| flows | load | meters | metered rate ratio, median (per repetition) | "
      "per receive-path CPU-second, median (per repetition) | offered Mpps |")
    w("|---|---|---|---|---|---|")
    for r in rows:
        w(r)
    w("")


def e2e_per_cpu(e2e, meter, flows, pps=None):
    """Packets metered per CPU-second spent by the receive path."""
    return med([r["metered"] / r["sut_cpu_s"] for r in e2e["runs"]
                if r["meter"] == meter and r["flows"] == flows and r.get("pps") == pps
                and r.get("metered") is not None and r.get("sut_cpu_s")])


def memory(res):
    # jflowd's own account (jflowd_memory_bytes) in the end-to-end run at
    # 1 M flows, with --max-flows 1048576; else bench_drain's estimate.
    e2e = [r for r in res.get("e2e", {}).get("runs", []) if r["meter"] == "jflowd_1m"
           and r["flows"] == 1048576 and r.get("memory_parts")]
    if e2e:
        mp, n = e2e[0]["memory_parts"], 1048576
        k = mp.get("kernel", 0) / n
        agent = sum(v for p, v in mp.items() if p != "kernel") / n
        return {"kernel": k, "cache": agent, "total": k + agent, "flows": n,
                "shadow": mp.get("table_shadow", 0) / n, "parts": mp,
                "kernel_bytes": mp.get("kernel", 0), "source": "jflowd_memory_bytes"}
    dr = [x for x in res.get("drain", {}).get("rows", []) if x["flows"] == 1048576]
    if not dr:
        return None
    x = dr[0]
    k = x["kernel_map_bytes"] / x["flows"]
    c = x["cache_bytes_per_flow"] + x.get("table_shadow_bytes", 0) / x["flows"]
    return {"kernel": k, "cache": c, "total": k + c,
            "shadow": x.get("table_shadow_bytes", 0) / x["flows"],
            "cache_rss": x["cache_rss_bytes"] / x["flows"], "flows": x["flows"],
            "kernel_bytes": x["kernel_map_bytes"]}


def report(res, errors, profiles, args, started, elapsed):
    m = res["machine"]
    L = []
    w = L.append
    w("# jflowd benchmarks\n")
    w("Generated by `./scripts/bench" + (" --quick" if args.quick else "") + "` "
      "(bench/run.py); do not edit by hand. Every ratio compares two figures measured in "
      "the same run on the same machine; figures are medians of the runs shown.\n")
    w(f"- Run: {started} UTC, {elapsed / 60:.1f} min, "
      f"{'quick' if args.quick else 'full'} mode")
    w(f"- Tree: `{m['branch']}` at {m['commit']}, release build (`{args.build}`)")
    w(f"- Machine: {m['cpu']}, {m['cores']} cores, {m['mem_gib']:.0f} GiB, Linux {m['kernel']}, "
      f"clocksource {m['clocksource']}; load average at start {m['load']}")
    w(f"- Peers: softflowd {m.get('softflowd') or 'not installed'}, pmacctd "
      f"{m.get('pmacctd') or 'not installed'}; collector nfcapd {m.get('nfcapd') or '?'}")
    w("- CPU 1 runs the system under test (benchmark, meter, NAPI thread of the receiving "
      "veth); CPU 0 runs the traffic generator and the collector. The machine is shared: "
      "other jobs may have run at the same time, which is why only same-run ratios and "
      "medians are reported.\n")

    w("## Targets\n")
    w("| target | measured | met | largest costs in this run's profile |")
    w("|---|---|---|---|")
    for t, meas, ok, pk in targets(res):
        top = ", ".join(f"`{sym[:40]}` {pc:.0f} %" for pc, _, sym in
                        profiles.get(pk, {}).get("rows", [])[:4]) if pk else ""
        w(f"| {t} | {meas} | {'yes' if ok else '**no**'} | {top} |")
    w("")

    # (a)
    xc = res.get("xdp_cost")
    w("## 1. XDP program cost: hit path and insert path\n")
    if xc:
        w(f"Command: `{xc['cmd'].replace(args.build + '/', '')}` "
          f"(and `{xc['cmd6'].replace(args.build + '/', '')}` for IPv6)\n")
        w("Method. `bench/xdp_rotate.bpf.c` is run with `BPF_PROG_TEST_RUN` and a large "
          "`repeat`: before each run it writes flow `n % N` (a per-CPU counter) into the "
          "frame's source address and tail-calls the program under test, so a million "
          "packets of N distinct flows go through the program back to back with warm "
          "caches, as in a NAPI poll. The figure is the kernel's own time per run (integer "
          "ns, rounded down; it excludes the syscall and the XDP dispatcher swap). The "
          "trivial XDP_PASS program (`bpf/trivial.bpf.c`) runs behind the same rotator and "
          "tail call, so the ratio compares like with like. Insert path: rounds of N "
          "packets into an emptied map (every packet a new flow); hit path: the same N "
          "flows again. The flow map is sized max(131072, 2N) entries, as "
          "`--max-flows` would be. Frames: 64-byte Ethernet/IPv4/TCP (78-byte IPv6). "
          "Every run checks that the map ends up with exactly N flows.\n")
        w("| flows | trivial ns | insert ns | insert / trivial | hit ns | hit / trivial | "
          "hit - trivial ns |")
        w("|---|---|---|---|---|---|---|")
        for x in xc["rows"]:
            if x["bench"] != "xdp_cost":
                continue
            t = x["trivial_ns"]
            fam = "" if x["family"] == 4 else " (IPv6)"
            w(f"| {x['flows']:,}{fam} | {t:.0f} | {x['insert_ns']:.0f} | "
              f"{ratio(x['insert_ns'] / t, 1)} | {x['hit_ns']:.0f} | "
              f"{ratio(x['hit_ns'] / t, 1)} | {x['hit_ns'] - t:.0f} |")
        hot = [x for x in xc["rows"] if x["bench"] == "xdp_cost_hot"]
        for x in hot:
            w(f"| 1 flow, no rotator | {x['trivial_ns']:.0f} | | | {x['hit_ns']:.0f} | "
              f"{ratio(x['hit_ns'] / x['trivial_ns'], 1)} | {x['hit_ns'] - x['trivial_ns']:.0f} |")
        cold = [x for x in xc["rows"] if "cold_hit_ns" in x]
        if cold:
            w("\nCross-check, one syscall per packet (`repeat=1`, the kernel's time of each "
              "run summed): every run starts with caches and TLB disturbed by the syscall "
              "(this kernel uses PTI), the worst case of sparse traffic; the trivial figure "
              "is mostly the kernel's timing code.\n")
            w("| flows | trivial ns | insert ns | insert / trivial | hit ns | hit / trivial |")
            w("|---|---|---|---|---|---|")
            for x in cold:
                t = x["cold_trivial_ns"]
                w(f"| {x['flows']:,} | {t:.0f} | {x['cold_insert_ns']:.0f} | "
                  f"{ratio(x['cold_insert_ns'] / t, 1)} | {x['cold_hit_ns']:.0f} | "
                  f"{ratio(x['cold_hit_ns'] / t, 1)} |")
        w("")
    else:
        w(f"Not measured: {errors.get('xdp_cost', 'not run')}\n")

    # (b)
    e2e = res.get("e2e")
    w("## 2. End to end on a veth: rate metered and share accounted\n")
    if e2e:
        w(f"Generator: `{e2e['gen']}` in the sender namespace: `bench/xdpgen.bpf.c` run "
          "with `BPF_F_TEST_XDP_LIVE_FRAMES` returning XDP_TX, so the kernel transmits "
          "64-byte UDP/IPv4 frames out of `btx0`, cycling N flows (source address and "
          "port), for the time shown: flat out (as fast as one core can), or evenly paced "
          "with `--pps` (the program spins a number of loops before each packet, adjusted "
          "as it runs, so the veth ring sees no bursts); the exact count comes from a "
          "per-CPU counter in the program. Flat out, the generator overruns every "
          "receiver; the frames the ring cannot take go back to the generator's page "
          "pool, whose lock the receiver also takes for every frame it drops, so a slower "
          "receiver also pays more for that lock (see the profile). The paced runs at 1 "
          "Mpps avoid that overload; on this VM even XDP_DROP loses a few tenths of a "
          "percent at the ring there, when the NAPI thread wakes late. Receiver: `brx0` in a second namespace (IPv6 "
          "off), GRO on, threaded NAPI pinned to CPU 1 with the meter; nfcapd on the "
          "receiver's loopback. Frames go to a MAC that is not the receiver's, so the IP "
          "stack discards them after the capture taps.\n")
        w("Meters: **XDP_DROP** = `jflowd-bench-trivial brx0 drop` (the trivial program "
          "returning XDP_DROP, the limit of this path; packets counted by the veth's "
          "`xdp_drops`); **read headers** = `jflowd-bench-trivial brx0 touch` "
          "(`bench/xdp_touch.bpf.c`: loads the Ethernet, IPv4 and UDP header fields, then "
          "XDP_DROP; a reference for what touching the packet costs, since the generator "
          "writes each frame on the other CPU); **one-line floor** = `jflowd-bench-trivial brx0 "
          "floor 300 1.5N` (`bench/xdp_floor.bpf.c`: hashes the same fields to one 64-byte "
          "line of an array of 1.5 N lines, as many as jflowd's hot lines for the flows "
          "present, adds there atomically, then XDP_DROP: the least an exact table meter of "
          "that size can do); **jflowd** = `jflowd -i brx0 --mirror -n ipfix://127.0.0.1:4739 "
          "--metrics-file m.prom` with no sizing option (the table grows with the flows; one "
          "more run at 1 M flows with `--max-flows 1048576` for the memory per flow), stopped "
          "with SIGTERM (drains, exports everything); **softflowd** = `softflowd -i brx0 -n 127.0.0.1:4739 -v 10 "
          "-m 2N -d -B 33554432`, stopped with `softflowctl expire-all` then `shutdown`; "
          "**pmacctd** = libpcap with the nfprobe plugin (IPFIX, `nfprobe_maxflows` 2N, "
          "`plugin_pipe_size` 100 MB, `plugin_buffer_size` 100 kB), stopped with SIGINT. "
          "*Reached device* = frames the veth took into its ring (`tx_queue_0_xdp_xmit`); "
          "the rest were dropped at the full ring (`xdp_xmit_errors`) before any meter "
          "could see them, as a NIC drops on rx overflow. *Metered* = packets the meter "
          "counted: `xdp_drops` for XDP_DROP, `jflowd_packets_metered_total` for jflowd "
          "(and `tests/lib/metrics_check.py --no-loss` must pass: metered = exported + "
          "unaccounted, with nothing unaccounted), softflowd's `Packets processed`, "
          "pmacctd's libpcap received minus dropped. *At collector* = packets in the "
          "records nfcapd stored (`nfdump -I`). Rates are per second of generation; "
          "medians of the runs. *Receive-path CPU* = CPU time of the NAPI thread plus the "
          "meter's processes over the generation and the 1.5 s after it, per second of "
          "that window; the machine is shared, so the rate per CPU-second of the receive "
          "path is also given: it does not depend on how much of the CPU other jobs took "
          "(shown as *other work*), and is the fairer comparison when that share is "
          "large.\n")
        groups = sorted({(r.get("pps") or 0, r["flows"]) for r in e2e["runs"]})
        for pps, flows in groups:
            pps = pps or None
            rs = [r for r in e2e["runs"] if r["flows"] == flows and r.get("pps") == pps]
            n = max([len([r for r in rs if r["meter"] == m_]) for m_ in {r["meter"] for r in rs}]
                    or [1])
            load = "flat out" if not pps else f"evenly paced at {pps / 1e6:g} Mpps"
            w(f"### {flows:,} flows, {load} ({n} run{'s' if n > 1 else ''} each, "
              f"{e2e['duration']} s)\n")
            w("| meter | offered Mpps | reached device Mpps | metered Mpps | metered / "
              "reached device | metered vs XDP_DROP | receive-path CPU | metered per "
              "receive-path CPU-second (M) | per CPU-second vs XDP_DROP | at collector / "
              "sent | at collector / metered | notes |")
            w("|---|---|---|---|---|---|---|---|---|---|---|---|")
            lim = e2e_rate(e2e, "drop", flows, "metered", pps)
            limc = e2e_per_cpu(e2e, "drop", flows, pps)
            for meter, label in (("drop", "XDP_DROP (limit)"),
                                 ("touch", "read headers, XDP_DROP (reference)"),
                                 ("floor", "one-line floor, sized for the flows present"),
                                 ("jflowd", "jflowd --mirror (no sizing option)"),
                                 ("jflowd_1m", "jflowd --mirror --max-flows 1048576"),
                                 ("jflowd-base", "jflowd --mirror, " +
                                  base_label(e2e, "jflowd-base")),
                                 ("jflowd-base2", "jflowd --mirror, " +
                                  base_label(e2e, "jflowd-base2")),
                                 ("jflowd-again", "jflowd --mirror, again (A/A)"),
                                 ("jflowd-hosts24", "jflowd, /24-pair monitor, masked in "
                                  "the program"),
                                 ("jflowd-hosts24-agent", "jflowd, /24-pair monitor, merged "
                                  "in the agent"),
                                 ("softflowd", "softflowd (pcap)"),
                                 ("pmacctd", "pmacctd (pcap)")):
                mr = [r for r in rs if r["meter"] == meter]
                if not mr:
                    continue
                ok = [r for r in mr if "accounted" in r and r.get("metered") is not None]
                if not ok:
                    w(f"| {label} | | | | | | | | not measured: "
                      f"{mr[0].get('error', 'no counters')[:200]} |")
                    continue
                off = med([r["sent"] / r["seconds"] for r in ok])
                dev = med([r["delivered"] / r["seconds"] for r in ok])
                mets = [r["metered"] / r["seconds"] for r in ok]
                met = med(mets)
                metd = med([r["metered"] / r["delivered"] for r in ok if r["delivered"]])
                sh = med([r["accounted"] / r["sent"] for r in ok])
                shm = med([r["accounted"] / r["metered"] for r in ok if r["metered"]])
                notes = []
                if meter in REFS:
                    shm = sh = None
                    notes.append("counted by the veth (`xdp_drops`)")
                if meter in JFLOWD_METERS:
                    mc = [r["metrics"] for r in ok if "metrics" in r]
                    good = sum(1 for x in mc if x["ok"])
                    notes.append(f"metrics invariant, zero unaccounted: {good}/{len(mc)} "
                                 "runs")
                    miss = sorted({m_ for x in mc if not x["ok"]
                                   for m_ in re.findall(r"(\w+) missing", x.get("out", ""))})
                    if miss:
                        notes.append("the check failed on metrics this build lacks: "
                                     + ", ".join(f"`{m_}`" for m_ in miss))
                    if not all(r.get("native") for r in ok):
                        notes.append("NOT native XDP")
                    hwm = med([r.get("vmhwm") for r in ok])
                    if hwm:
                        notes.append(f"peak RSS {hwm / 2**20:.0f} MiB")
                if meter in ("softflowd", "pmacctd"):
                    d = med([r.get("pcap_dropped") for r in ok])
                    rcv = med([r.get("pcap_received") for r in ok])
                    if d is not None and rcv:
                        notes.append(f"its libpcap counters: received {rcv:,.0f}, dropped "
                                     f"{d:,.0f} ({pct(d / rcv)})")
                busy = med([r["sut_cpu_s"] / r["window_s"] for r in ok if r.get("window_s")])
                pc = e2e_per_cpu(e2e, meter, flows, pps)
                oth = med([r["other_cpu_s"] / r["window_s"] for r in ok if r.get("window_s")])
                if oth is not None:
                    notes.append(f"other work on CPU {CPU_SUT}: {pct(oth, 0)}")
                sd = med([r["collector"].get("socket_drops") for r in ok
                          if r.get("collector")])
                if sd:
                    notes.append(f"collector socket drops {sd:,.0f}")
                bad = [r for r in mr if "error" in r]
                if bad:
                    notes.append(f"{len(bad)} run(s) failed: {bad[0]['error'][:120]}")
                spread = f" ({mpps(min(mets))}-{mpps(max(mets))})" if len(mets) > 1 else ""
                w(f"| {label} | {mpps(off)} | {mpps(dev)} | {mpps(met)}{spread} | {pct(metd)} | "
                  f"{ratio(met / lim) if lim else 'n/a'} | {pct(busy, 0)} | {mpps(pc)} | "
                  f"{ratio(pc / limc) if pc and limc else 'n/a'} | "
                  f"{pct(sh) if sh is not None else '-'} | "
                  f"{pct(shm) if shm is not None else '-'} | {'; '.join(notes)} |")
            w("")
        records_ratios(e2e, w)
    else:
        w(f"Not measured: {errors.get('e2e', 'not run')}\n")

    # (c)
    off = res.get("offline")
    w("## 3. Offline replay into nfcapd\n")
    if off:
        npair = len(off["runs"]["jflowd -r"])
        w(f"Capture: `jflowd-trafgen {off['gen']}`: {off['packets']:,} packets, "
          f"{off['flows']:,} flows, {off['bytes'] / 1e6:.0f} MB (Ethernet, untagged, 802.1Q "
          "and MPLS; TCP, UDP, ICMP; IPv4 and IPv6; IP lengths 64-1100 bytes). Before every "
          "timed run of every tool the whole file is read once, so each starts from the same "
          "warm page cache. Each tool runs pinned to CPU 1 in a private namespace and exports "
          "IPFIX to a fresh nfcapd on its loopback (CPU 0). The bare loop "
          "(`bench_pcap_loop`: `pcap_loop` with a callback that only counts, through the same "
          "1 MiB stdio buffer jflowd gives libpcap) and `jflowd -r` run "
          f"{npair} times, alternating which goes first; each is timed by its own clock: the "
          "loop's `seconds=` (open to close), jflowd's `jflowd_uptime_seconds` at its last "
          "metrics write (start of main until every record has been sent, paced on the "
          "collector's socket queue). The other tools are timed by the wall clock around "
          "`ip netns exec`. *CPU s* = user + system time of the process (getrusage), which "
          "other load on the machine does not inflate. *At the collector* = packets in the "
          "records nfcapd stored / packets in the file.\n")
        rat = offline_pair_ratios(off)
        ratc = offline_pair_ratios(off, key=lambda r: r.get("cpu"))
        if rat:
            w(f"**jflowd -r / bare loop, run against the loop run of the same pair: "
              f"{med(rat):.2f}x (median of {len(rat)}; {min(rat):.2f}-{max(rat):.2f}); "
              f"by CPU time {med(ratc):.2f}x ({min(ratc):.2f}-{max(ratc):.2f}).**\n")
        w("| tool | s (median, min-max) | CPU s (median) | packets/s | vs bare loop | "
          "CPU vs bare loop | at the collector | nfcapd sequence failures | notes |")
        w("|---|---|---|---|---|---|---|---|---|")
        bare = med([off_time(x) for x in off["runs"]["bare libpcap loop"]])
        bare_cpu = med([x.get("cpu") for x in off["runs"]["bare libpcap loop"]])
        for name, runs in off["runs"].items():
            if not runs:
                w(f"| {name} | | | | | | | | not installed |")
                continue
            walls = [off_time(x) for x in runs]
            wm = med(walls)
            cpu = med([x.get("cpu") for x in runs])
            notes = []
            if name == "bare libpcap loop" or name.startswith("jflowd -r"):
                notes.append("own clock" if all(x.get("seconds") for x in runs)
                             else "wall clock")
            else:
                notes.append("wall clock")
            coll = [x["collector"] for x in runs if "collector" in x]
            share = med([c["packets"] / off["packets"] for c in coll]) if coll else None
            seq = med([c["seq_failures"] for c in coll]) if coll else None
            if name.startswith("pmacctd"):
                s = med([x.get("startup_sleep", 0) for x in runs])
                if s:
                    adj = wm - s
                    notes.append(f"includes pmacctd's fixed {s:.0f} s start-up sleep "
                                 "('PCAP capture file, sleeping for 2 seconds'); without "
                                 f"it {adj:.2f} s = {adj / bare:.1f}x bare, "
                                 f"{off['packets'] / adj / 1e6:.2f} M packets/s")
            if name == "jflowd -r --export-rate 1000000":
                notes.append("reference: the collector is on this host, so jflowd paces "
                             "on its socket queue (sock_diag) in both runs; this one also "
                             "lifts the rate cap for remote collectors (`--export-rate`), "
                             "which does not apply here")
            if name.startswith("jflowd -r"):
                mc = [x["metrics"] for x in runs if "metrics" in x]
                notes.append(f"metrics invariant, nothing unaccounted: "
                             f"{sum(1 for x in mc if x['ok'])}/{len(mc)} runs")
            sd = med([c.get("socket_drops") for c in coll]) if coll else None
            if sd:
                notes.append(f"collector socket drops {sd:,.0f}")
            errs = [x for x in runs if x.get("rc")]
            if errs:
                notes.append(f"exit status {errs[0]['rc']}: {errs[0].get('error', '')[:100]}")
            # jflowd -r: the median of its ratios to the loop run of the
            # same pair, not a ratio of medians taken at different times.
            rel = med(rat) if name == "jflowd -r" and rat else wm / bare
            relc = med(ratc) if name == "jflowd -r" and ratc else (
                cpu / bare_cpu if cpu and bare_cpu else None)
            w(f"| {name} | {wm:.3f} ({min(walls):.3f}-{max(walls):.3f}) | "
              f"{fmt(cpu, 3)} | {off['packets'] / wm / 1e6:.2f} M | {ratio(rel)} | "
              f"{ratio(relc)} | {pct(share, 2) if coll else '-'} | "
              f"{'-' if seq is None else f'{seq:.0f}'} | {'; '.join(notes)} |")
        lg = off.get("long")
        if lg:
            rat = offline_pair_ratios(lg)
            ratc = offline_pair_ratios(lg, key=lambda r: r.get("cpu"))
            jr = lg["runs"]["jflowd -r"]
            share = med([x["collector"]["packets"] / off["packets"] for x in jr
                         if "collector" in x])
            good = sum(1 for x in jr if x.get("metrics", {}).get("ok"))
            w(f"\nThe same million packets over 300 s (`jflowd-trafgen {lg['gen']}`, "
              f"{lg['bytes'] / 1e6:.0f} MB; each flow's 20 packets back to back, flows "
              "starting all along): flows end by idle timeout while the file plays, so "
              "records leave all along, not only at the end. "
              + (f"**jflowd -r / bare loop {med(rat):.2f}x** (median of {len(rat)} alternating "
                 f"pairs, {min(rat):.2f}-{max(rat):.2f}; by CPU time {med(ratc):.2f}x); "
                 f"bare loop {med([off_time(x) for x in lg['runs']['bare libpcap loop']]):.3f} s, "
                 f"jflowd -r {med([off_time(x) for x in jr]):.3f} s; {pct(share, 2)} at the "
                 f"collector; metrics invariant, nothing unaccounted: {good}/{len(jr)} runs.\n"
                 if rat else "Not measured.\n"))
        w("\nCommands (in the namespace, under `taskset -c 1`):\n")
        for k, v in off["cmds"].items():
            w(f"- {k}: `{v}`")
        w("\npmacctd.conf:\n\n```\n" + off["pmacctd_conf"] + "```\n")
    else:
        w(f"Not measured: {errors.get('offline', 'not run')}\n")

    # (d)
    fd = res.get("flood")
    w("## 3b. A flood of new flows\n")
    if fd:
        w("Every packet a new flow: `jflowd-xdpgen --flows 4000000000` (source address and "
          "port never repeat within a run), flat out or paced, into `jflowd -i brx0 --mirror` "
          "on the end-to-end veth (section 2), pinned as there. *Metered* and *lost* from "
          "jflowd's metrics (lost: `jflowd_packets_unaccounted_total` by reason; the "
          "metrics invariant must hold); *left early*: records with flowEndReason lack of "
          "resources (the emergency idle timeout and the keyed cache's emergency expiry); "
          "*reached device*: frames the veth took (the rest it dropped at its full ring "
          "before XDP). Agent CPU: the jflowd process over the generation and 1.5 s after.\n")
        w("| run | jflowd options | offered | packets | reached device | metered new flows/s "
          "| lost (counted) | left early | through the spill ring | agent CPU s | peak RSS "
          "| warnings |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in fd["runs"]:
            if "metered" not in r:
                w(f"| {r['label']} | | | | | | | | | | | not measured: "
                  f"{r.get('error', '?')[:150]} |")
                continue
            off_ = "flat out" if not r.get("pps") else f"{r['pps'] / 1e6:g} M/s"
            lost = ", ".join(f"{k} {v:,}" for k, v in r.get("unaccounted", {}).items()) or "0"
            w(f"| {r['label']} | `{r.get('opts', '')}` | {off_} | {r['sent']:,} | "
              f"{pct(r['delivered'] / r['sent'] if r['sent'] else None)} | "
              f"{r['metered'] / r['seconds'] / 1e6:.2f} M | {lost} | {r.get('early', 0):,} | "
              f"{r.get('spill', 0):,} | {r.get('agent_cpu_s', 0):.2f} | "
              f"{(r.get('vmhwm') or 0) / 2**20:.0f} MiB | "
              f"{'; '.join(x.replace('jflowd: warning: ', '')[:120] for x in r.get('log', [])) or '-'} |")
        w("")
    else:
        w(f"Not measured: {errors.get('flood', 'not run')}\n")

    w("## 4. Drain rate: kernel flow map to the agent's cache\n")
    dr = res.get("drain")
    if dr:
        w(f"Command: `{dr['cmd'].replace(args.build + '/', '')}`\n")
        w("The map the XDP program writes is filled with N flows (`bpf_map_update_batch`), "
          "then the agent's own drain runs (`jf_xdp_meter_drain` from `src/meter/xdp_meter.c`: "
          "epoch switch, RCU grace period, `bpf_map_lookup_and_delete_batch` 1024 entries at "
          "a time, pipelined merge into a real `jf_flow_cache`), timed on one core. *New*: "
          "into an empty cache, every flow inserted; *existing*: the same flows again, every "
          "flow updated (the steady state of long-lived flows). *Kernel share*: the batch "
          "syscall alone on the same fill, against the whole drain.\n")
        w("| flows in the map | new flows: M flows/s | existing flows: M flows/s | "
          "kernel share | vs target 5 M/s |")
        w("|---|---|---|---|---|")
        for x in dr["rows"]:
            worst = min(x["new_flows_per_s"], x["existing_flows_per_s"])
            w(f"| {x['flows']:,} | {x['new_flows_per_s'] / 1e6:.2f} | "
              f"{x['existing_flows_per_s'] / 1e6:.2f} | {pct(x['kernel_share'], 0)} | "
              f"{ratio(worst / 5e6)} |")
        w("")
    else:
        w(f"Not measured: {errors.get('drain', 'not run')}\n")

    w("## 5. Encode rate per format\n")
    en = res.get("encode")
    if en:
        w(f"Command: `{en['cmd'].replace(args.build + '/', '')}`\n")
        w("4096 distinct records (TCP, UDP, ICMP) cycled through the real encoders "
          "(`jf_msg_add_flow` / `jf_msg_finish` for IPFIX and v9 with the default data "
          "templates, `jf_v5_add` / `jf_v5_finish` for v5) into 1400-byte messages, one "
          "core. Baseline: memcpy of the same bytes in the same pieces (each record's "
          "encoded length from pre-encoded records, each message's header and set overhead "
          "once), into the same buffer, handed to the same sink.\n")
        w("| format | record bytes | records / message | ns / record | M records/s | "
          "memcpy ns / record | vs memcpy |")
        w("|---|---|---|---|---|---|---|")
        for x in en["rows"]:
            w(f"| {x['format']} IPv{x['family']} | {x['rec_len']} | {x['records_per_msg']} | "
              f"{x['encode_ns']:.1f} | {1e3 / x['encode_ns']:.1f} | {x['memcpy_ns']:.1f} | "
              f"{ratio(x['encode_ns'] / x['memcpy_ns'], 1)} |")
        w("")
    else:
        w(f"Not measured: {errors.get('encode', 'not run')}\n")

    w("## 6. Memory per flow at 1 M flows\n")
    mem = memory(res)
    if mem and mem.get("source") == "jflowd_memory_bytes":
        w("What jflowd itself accounts (`jflowd_memory_bytes`, by part) in the end-to-end "
          "run at 1,048,576 flows, started with `--max-flows 1048576` and nothing else: "
          "kernel = the persistent flow table, its stash maps and the spill ring as the "
          "kernel accounts them; the other parts are the agent's.\n")
        w("| part | bytes | bytes per flow |")
        w("|---|---|---|")
        for part, v in sorted(mem["parts"].items()):
            w(f"| {part} | {v:,} | {v / mem['flows']:.0f} |")
        w(f"| **total** | {sum(mem['parts'].values()):,} | **{mem['total']:.0f}** (target 300) |")
    elif mem:
        w("Kernel: the persistent flow table (1.5 slots of 128 bytes per flow), the two "
          "per-interval maps (its stash, a 64th of the table each) and the spill ring at "
          "their default size for `--max-flows 1048576`, as the kernel accounts them "
          "(`memlock` in fdinfo), from `bench_drain`. Agent: `jf_cache_bytes_per_flow()` "
          "(a slot plus its share of buckets) plus the table's shadow (36 bytes per slot), "
          "and the resident memory the cache actually grew by once filled with 1 M flows.\n")
        w("| part | bytes per flow |")
        w("|---|---|")
        w(f"| kernel flow table, stash maps and spill ring ({mem['kernel_bytes'] / 2**20:.0f} MiB) "
          f"| {mem['kernel']:.0f} |")
        w(f"| agent flow cache (design) and table shadow ({mem['shadow']:.0f}) | {mem['cache']:.0f} |")
        w(f"| agent flow cache (resident growth, measured) | {mem['cache_rss']:.0f} |")
        w(f"| **total** | **{mem['total']:.0f}** (target 300) |")
    if mem:
        if e2e:
            hw = [r for r in e2e["runs"] if r["meter"] == "jflowd" and r["flows"] == 1048576
                  and r.get("vmhwm")]
            if hw:
                w(f"\nResident set of jflowd after metering 1,048,576 flows end to end "
                  f"(`--max-flows 1048576`): peak {med([r['vmhwm'] for r in hw]) / 2**20:.0f} "
                  f"MiB, {med([r['vmhwm'] for r in hw]) / 1048576:.0f} bytes per flow "
                  "(kernel map memory is not in the process's RSS).")
        w("")
    else:
        w("Not measured (needs the drain benchmark at 1,048,576 flows).\n")

    w("## 7. NAT event storm\n")
    nat = res.get("nat")
    if nat and nat["rows"]:
        w("`" + nat["cmd"] + "`: a client injects one UDP packet per new session (198.18/16 to "
          "198.19/16) into a masquerading router whose jflowd follows conntrack's events "
          "(`--nat-events`, default 16 MiB event buffer) and exports them to nfcapd on the "
          "router; UDP entries expire after 1 s. First flat out, then paced. A session is "
          "complete when jflowd handed on one create and one delete for it and nfcapd "
          "stored at least two event records per session; lost = events the kernel could not "
          "deliver, rebuilt after an overflow (counted, logged once, table read again).\n")
        w("| run | offered/s | sessions | new sessions/s | events/s | overflows | lost (rebuilt) "
          "| at nfcapd | complete | no loss |")
        w("|---|---|---|---|---|---|---|---|---|---|")
        for x in nat["rows"]:
            w(f"| {x['run']} | {x['offered_pps'] or 'flat out'} | {x['sessions']:,} | "
              f"{x['sessions_per_s']:,} | {x['events_per_s']:,} | {x['overflows']} | "
              f"{x['lost']:,} | {x['collector_records']:,} | "
              f"{'yes' if x['complete'] else '**no**'} | {'yes' if x['no_loss'] else 'no'} |")
        held = [x["events_per_s"] for x in nat["rows"] if x["no_loss"] and x["complete"]]
        if held:
            w(f"\nHeld with no loss: {max(held):,} events/s "
              f"({max(held) // 2:,} new sessions/s).")
        w("")
    else:
        w(f"Not measured: {errors.get('nat', 'not run')}\n")

    if profiles:
        w("## Profiles of missed targets\n")
        w("`perf record -e cpu-clock -F 999` of the benchmark process (or, end to end, of "
          "the receive CPU's NAPI thread); this VM exposes no hardware counters. Top "
          "symbols by share of the samples.\n")
        names = {"xdp_hit": "XDP program, hit path, 1 flow (kernel repeat loop)",
                 "xdp_hit_64k": "XDP program, 65,536 flows (rotator runs; includes map "
                                "setup and clearing)",
                 "e2e_jflowd": "Receive CPU (NAPI thread) during the end-to-end run, jflowd, "
                               "1024 flows",
                 "e2e_jflowd_65536": "Receive CPU (NAPI thread) during the end-to-end run, "
                                     "jflowd, 65,536 flows",
                 "e2e_touch_65536": "Receive CPU (NAPI thread) during the end-to-end run, "
                                    "read-headers reference, 65,536 flows",
                 "offline": "jflowd -r on the 1 M-packet capture",
                 "drain": "bench_drain", "encode": "bench_encode"}
        for k, p in profiles.items():
            w(f"### {names.get(k, k)}\n")
            w(f"`{p['cmd'].replace(args.build + '/', '')}`\n")
            w("| samples | command | symbol |")
            w("|---|---|---|")
            for pc, comm, sym in p["rows"]:
                w(f"| {pc:.1f} % | {comm} | `{sym[:90]}` |")
            w("")

    if errors:
        w("## Not measured\n")
        for k, v in errors.items():
            w(f"- {k}: {v}")
        w("")
    w("## Reproduce\n")
    w("```sh\nsudo ./scripts/bench          # full run, rewrites BENCHMARKS.md (~10-15 min)\n"
      "sudo ./scripts/bench --quick  # short run for development\n"
      "sudo ./scripts/bench --only xdp_cost,encode   # some benchmarks only\n```\n")
    w("Raw results of this run: `bench-results.json` in the build directory.")
    return "\n".join(L) + "\n"


def hand_sections(path):
    """Sections measured by hand ("## Scale ...", "## Offline replay, by
    hand ..."): a
    regenerated report keeps them from the committed file, to the next
    "## " heading."""
    try:
        with open(path) as f:
            lines = f.read().split("\n")
    except OSError:
        return ""
    keep, on = [], False
    for ln in lines:
        if ln.startswith("## "):
            on = ln.startswith(("## Scale", "## Offline replay, by hand", "## Records"))
        if on:
            keep.append(ln)
    return ("\n" + "\n".join(keep).rstrip("\n") + "\n") if keep else ""


# ---------------------------------------------------------------- main

ALL = ["xdp_cost", "drain", "encode", "offline", "e2e", "flood", "nat"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default=",".join(ALL))
    ap.add_argument("--out", default=None, help="BENCHMARKS.md to write")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--reps", type=int, default=0, help="repetitions (default 3, quick 1)")
    ap.add_argument("--e2e-flows", default="", help="e2e: flow counts, comma-separated")
    ap.add_argument("--e2e-meters", default="", help="e2e: meters, comma-separated")
    ap.add_argument("--e2e-warmup", type=int, default=0,
                    help="e2e: seconds of the same traffic before each measured window "
                         "(steady state: the window's metered count is then the frames that "
                         "reached the device in it, every one of which the XDP meter counts)")
    ap.add_argument("--e2e-seconds", type=int, default=0,
                    help="e2e: seconds of each measured window (default 5, quick 2); a "
                         "longer window averages over this machine's multi-second dips")
    ap.add_argument("--e2e-paced", default=None,
                    help="e2e: only runs at these packet rates, comma-separated (0: flat "
                         "out)")
    ap.add_argument("--base-build", default="",
                    help="e2e: the build of the base tree, for the meter jflowd-base "
                         "(the same run's figures for the tree before a change)")
    ap.add_argument("--base2-build", default="",
                    help="e2e: the build of a second base tree, for the meter jflowd-base2")
    ap.add_argument("--jflowd-args", default="",
                    help="e2e: more options for jflowd (experiments; the report shows them "
                         "in the command)")
    ap.add_argument("--from-json", metavar="FILE",
                    help="only rewrite the report from the raw results of an earlier run")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.src = os.path.abspath(args.src)
    only = [x for x in args.only.split(",") if x]
    for x in only:
        if x not in ALL:
            ap.error(f"unknown benchmark {x} (one of {','.join(ALL)})")
    if args.from_json:
        with open(args.from_json) as f:
            raw = json.load(f)
        args.quick = raw["quick"]
        done = [k for k in ALL if k in raw["results"] or k in raw["errors"]]
        partial = args.quick or set(done) != set(ALL)
        out = args.out or (os.path.join(args.build, "BENCHMARKS.md") if partial
                           else os.path.join(args.src, "BENCHMARKS.md"))
        with open(out, "w") as f:
            f.write(report(raw["results"], raw["errors"], raw["profiles"], args,
                           raw["started"], raw["elapsed_s"]))
        log(f"wrote {out} from {args.from_json}")
        return
    if os.geteuid() != 0:
        sys.exit("bench: needs root (BPF test runs, XDP, network namespaces)")

    def on_signal(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)

    rn = Runner(args.keep)
    bench = Bench(args, rn)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    t0 = time.monotonic()
    try:
        bench.machine()
        for name in ALL:
            if name not in only:
                continue
            try:
                getattr(bench, name)()
            except (Failed, subprocess.TimeoutExpired, OSError) as e:
                bench.errors[name] = str(e)[-500:]
                log(f"{name}: NOT MEASURED: {e}")
    except KeyboardInterrupt:
        log("interrupted: cleaning up, BENCHMARKS.md not written")
        rn.cleanup()
        sys.exit(130)
    finally:
        rn.cleanup()
    elapsed = time.monotonic() - t0
    raw = os.path.join(args.build, "bench-results.json")
    with open(raw, "w") as f:
        json.dump({"results": bench.res, "errors": bench.errors, "profiles": bench.profiles,
                   "quick": args.quick, "started": started, "elapsed_s": elapsed}, f,
                  indent=1)
    # Only a full run of everything replaces the committed BENCHMARKS.md.
    partial = args.quick or set(only) != set(ALL)
    out = args.out or (os.path.join(args.build, "BENCHMARKS.md") if partial
                       else os.path.join(args.src, "BENCHMARKS.md"))
    text = report(bench.res, bench.errors, bench.profiles, args, started, elapsed)
    text += hand_sections(os.path.join(args.src, "BENCHMARKS.md"))
    with open(out, "w") as f:
        f.write(text)
    log(f"wrote {out} ({elapsed / 60:.1f} min); raw results in {raw}")
    for t, meas, ok, _ in targets(bench.res):
        log(f"{'MET   ' if ok else 'MISSED'} {t}: {meas}")


if __name__ == "__main__":
    main()
