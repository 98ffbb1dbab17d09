#!/usr/bin/python3
"""Check captured NetFlow v9 / IPFIX export with tshark's decoder.

Usage:
  cflow_check.py expert CAP PORT
      no malformed packet and no expert info of any kind, every datagram to
      PORT decoded as cflow; prints the count of messages.
  cflow_check.py nfdump-failures CAP PORT
      the sequence failures nfdump 1.7.1 must count for that IPFIX stream
      when it is numbered the RFC way: one for each message that follows a
      message with options data, once a data set has been seen.
  cflow_check.py records CAP PORT TRUTH.csv [--ifindex N] [--sampling N]
                 [--fin-end] [--min-records N] [--expert] [--option KEY=VALUE]...
      every flow record against the truth (pcapflows.py): addresses,
      ports, protocol, ToS, counters, first/last ms (v9: through the header's
      UNIX Secs and sysUpTime), TCP flags, VLANs, MPLS labels, TTLs,
      interfaces, end reason, IP version, direction, flow label, ICMP type
      and code, and the sampling IEs 34/35 of records and options. Each
      flow must be in exactly one record (run jflowd with long timeouts).
      With --sampling N the counters are only bounded by the truth.
      --expert and --option: the expert and options checks too, in one go.
  cflow_check.py values CAP PORT SETID FIELD...
      one line per record of that set id: the fields' values, tab separated.
  cflow_check.py sampling-order CAP PORT
      in capture order, every flow record carries the sampling rate the
      last exporter options record announced (no IE 34: 1), and one comes
      before any flow record; prints each change of the announced rate.
  cflow_check.py options CAP PORT KEY=VALUE...
      every exporter options record (template 512) has these tshark field
      values; the value "ip.src" means the datagram's source address.
"""
import csv
import datetime
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

_isolated = {}


def isolate(cap, port):
    """The datagrams to PORT alone: tshark's sequence analysis keys on the
    domain id only, so another stream in the file (v9 and IPFIX, both id 1)
    would disturb it."""
    if (cap, port) not in _isolated:
        fd, path = tempfile.mkstemp(suffix=".pcapng")
        os.close(fd)
        r = subprocess.run(["tshark", "-r", cap, "-Y", f"udp.dstport=={port}", "-w", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit(f"cflow_check: isolating port {port}: {r.stderr.strip()}")
        _isolated[(cap, port)] = path
    return _isolated[(cap, port)]


def tshark(cap, port, *args):
    cmd = ["tshark", "-r", isolate(cap, port), "-d", f"udp.port=={port},cflow", "-o",
           "cflow.max_template_fields:0", *args]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"cflow_check: {' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


_packets = {}


def packets(cap, port):
    """Every datagram to PORT: (layers dict, cflow dict)."""
    if (cap, port) in _packets:
        return _packets[(cap, port)]
    out = tshark(cap, port, "-Y", f"udp.dstport=={port}", "-T", "json", "--no-duplicate-keys")
    res = []
    for p in json.loads(out or "[]"):
        lay = p["_source"]["layers"]
        cf = lay.get("cflow")
        if not isinstance(cf, dict):
            raise SystemExit(f"cflow_check: frame {lay['frame']['frame.number']} "
                             "not decoded as one cflow message")
        res.append((lay, cf))
    _packets[(cap, port)] = res
    return res


def sets(cf):
    """(set id, [records]) of one message, in order."""
    out = []
    for k, v in cf.items():
        if not (k.startswith("Set ") or k.startswith("FlowSet ")) or not isinstance(v, dict):
            continue
        sid = int(k.split("[id=")[1].split("]")[0])
        recs = [r for kk, r in v.items() if kk.startswith("Flow ") and isinstance(r, dict)]
        out.append((sid, recs))
    return out


def cmd_expert(cap, port):
    out = tshark(cap, port, "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message",
                 "-e", "_ws.expert.severity", "-Y", f"_ws.expert or _ws.malformed or "
                 f"(udp.dstport=={port} and not cflow)")
    # tshark's UDP dissector calls any datagram whose source port falls in
    # traceroute's range (33434-33534) a "possible traceroute": a guess from
    # the ephemeral port the kernel gave the exporter's socket, not a fault
    # of the datagram; such lines are shown and not counted.
    lines = [line for line in out.splitlines() if line.strip()]
    guesses = [line for line in lines if "Possible traceroute" in line]
    bad = [line for line in lines if line not in guesses]
    for line in guesses[:3]:
        print(f"expert (not counted): {line}")
    n = len(packets(cap, port))
    for line in bad[:20]:
        print(f"expert: {line}")
    print(f"cflow_check: {n} messages to port {port}, {len(bad)} with expert info or malformed")
    return 1 if bad or n == 0 else 0


def cmd_nfdump_failures(cap, port):
    msgs = []
    for _, cf in packets(cap, port):
        ids = [sid for sid, _ in sets(cf)]
        msgs.append((any(256 <= i <= 259 for i in ids), any(i >= 512 for i in ids)))
    fails, data_seen = 0, False
    for i in range(1, len(msgs)):
        data_seen |= msgs[i - 1][0]
        if msgs[i - 1][1] and data_seen:
            fails += 1
    print(fails)
    return 0


def ts_ms(text):
    """tshark's absolute time 'Nov 14, 2023 22:13:20.030000000 UTC'."""
    date, frac = text.replace(" UTC", "").rsplit(".", 1)
    t = datetime.datetime.strptime(date, "%b %d, %Y %H:%M:%S")
    t = t.replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000 + int(frac[:3])


def cmd_records(cap, port, truth_path, opts):
    truth = {}
    with open(truth_path) as f:
        for row in csv.DictReader(f):
            key = (str(ipaddress.ip_address(row["src"])), str(ipaddress.ip_address(row["dst"])),
                   int(row["sport"]), int(row["dport"]), int(row["proto"]))
            truth[key] = {k: (v if k in ("src", "dst") else int(v)) for k, v in row.items()}
    seen, bad, nrec = {}, [], 0
    sampling = opts.get("sampling")

    def check(what, got, want):
        if str(got) != str(want):
            bad.append(f"{what}: tshark has {got}, expected {want}")

    for lay, cf in packets(cap, port):
        v9 = cf["cflow.version"] == "9"
        if v9:
            boot = int(cf["cflow.timestamp_tree"]["cflow.unix_secs"]) * 1000 - \
                round(float(cf["cflow.sysuptime"]) * 1000)
        for sid, recs in sets(cf):
            for r in recs:
                if sid == 512:
                    check("options 34", r.get("cflow.sampling_interval"), sampling or 1)
                    check("options 35", r.get("cflow.sampling_algorithm"), 2 if sampling else 0)
                if not 256 <= sid <= 259:
                    continue
                nrec += 1
                v6 = sid in (257, 259)
                src = r["cflow.srcaddrv6" if v6 else "cflow.srcaddr"]
                dst = r["cflow.dstaddrv6" if v6 else "cflow.dstaddr"]
                key = (str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst)),
                       int(r["cflow.srcport"]), int(r["cflow.dstport"]), int(r["cflow.protocol"]))
                t = truth.get(key)
                if t is None:
                    bad.append(f"record {key}: no such flow was sent")
                    continue
                seen[key] = seen.get(key, 0) + 1
                w = f"{'v9' if v9 else 'ipfix'} {key}"
                if sampling:
                    if int(r["cflow.packets"]) > t["packets"] or int(r["cflow.octets"]) > t["octets"]:
                        bad.append(f"{w}: sampled counters above the truth")
                    check(f"{w} 34", r.get("cflow.sampling_interval"), sampling)
                    check(f"{w} 35", r.get("cflow.sampling_algorithm"), 2)
                else:
                    check(f"{w} packets", r["cflow.packets"], t["packets"])
                    check(f"{w} octets", r["cflow.octets"], t["octets"])
                    check(f"{w} 34 absent", "cflow.sampling_interval" in r, False)
                    tt = r["cflow.timedelta_tree"]
                    if v9:
                        first = boot + round(float(tt["cflow.timestart"]) * 1000)
                        last = boot + round(float(tt["cflow.timeend"]) * 1000)
                    else:
                        first, last = ts_ms(tt["cflow.abstimestart"]), ts_ms(tt["cflow.abstimeend"])
                    check(f"{w} first ms", first, t["first_ms"])
                    check(f"{w} last ms", last, t["last_ms"])
                    check(f"{w} tcp flags", int(r["cflow.tcpflags"], 16), t["tcp_flags"])
                    check(f"{w} ttl", (r["cflow.ttl_min"], r["cflow.ttl_max"]),
                          (str(t["ttl_min"]), str(t["ttl_max"])))
                    if opts.get("fin_end"):
                        want = 3 if t["tcp_flags"] & 1 else 4
                        check(f"{w} end reason", r["cflow.flow_end_reason"], want)
                check(f"{w} tos", int(r["cflow.tos"], 16), t["tos"])
                check(f"{w} vlan", r["cflow.vlanid"], t["vlan"])
                check(f"{w} inner vlan", r["cflow.dot1q_customer_vlan_id"], t["inner_vlan"])
                check(f"{w} ingress", r["cflow.inputint"], opts.get("ifindex", 0))
                check(f"{w} egress", r["cflow.outputint"], 0)
                check(f"{w} ip version", r["cflow.ip_version"], 6 if v6 else 4)
                check(f"{w} direction", r["cflow.direction"], 0)
                if v6:
                    check(f"{w} flow label", r["cflow.ipv6flowlabel"], t["flow_label"])
                icmp = t["dport"] if t["proto"] in (1, 58) else 0
                if v6 and not v9:
                    check(f"{w} icmp 139", (int(r["cflow.icmp_ipv6_type"]),
                                            int(r["cflow.icmp_ipv6_code"])), (icmp >> 8, icmp & 255))
                else:
                    check(f"{w} icmp 32", int(r["cflow.icmp_type_code_ipv4"], 16), icmp)
                # 70-72, each (label, exp, bottom of stack), from the label
                # stack entries of the capture.
                labels = [(int(v["cflow.mpls_label"]), int(v["cflow.mpls_exp"]),
                           int(v["cflow.mpls_bos"]))
                          for k, v in r.items() if k.startswith("MPLS-Label")]
                want = [(e >> 4, (e >> 1) & 7, e & 1)
                        for e in (t["mpls1"], t["mpls2"], t["mpls3"])] if sid >= 258 else []
                check(f"{w} mpls labels", labels, want)
    for key in truth:
        if seen.get(key, 0) != 1:
            bad.append(f"flow {key}: in {seen.get(key, 0)} records, expected 1")
    for b in bad[:30]:
        print(b)
    mn = opts.get("min_records", 1)
    print(f"cflow_check: {nrec} flow records of {len(truth)} flows checked field by field; "
          f"{len(bad)} differences")
    rc = 1 if bad or nrec < mn else 0
    if opts.get("expert") and cmd_expert(cap, port):
        rc = 1
    if opts.get("option") and cmd_options(cap, port, opts["option"]):
        rc = 1
    return rc


def cmd_options(cap, port, pairs):
    want = dict(p.split("=", 1) for p in pairs)
    n, bad = 0, []
    for lay, cf in packets(cap, port):
        src = lay.get("ip", {}).get("ip.src") or lay.get("ipv6", {}).get("ipv6.src")
        for sid, recs in sets(cf):
            if sid != 512:
                continue
            for r in recs:
                n += 1
                for k, v in want.items():
                    v = src if v == "ip.src" else v
                    if str(r.get(k)) != v:
                        bad.append(f"options record: {k} = {r.get(k)}, expected {v}")
    for b in bad[:20]:
        print(b)
    print(f"cflow_check: {n} exporter options records, {len(bad)} differences")
    return 1 if bad or not n else 0


def cmd_sampling_order(cap, port):
    announced, n, bad, changes = None, 0, [], []
    for lay, cf in packets(cap, port):
        frame = lay["frame"]["frame.number"]
        for sid, recs in sets(cf):
            if sid < 256:
                continue
            for r in recs:
                rate = int(r.get("cflow.sampling_interval", 1))
                if sid == 512:
                    if rate != announced:
                        changes.append(f"frame {frame}: announced 1 in {rate}")
                    announced = rate
                elif "cflow.packets" in r or "cflow.octets" in r:
                    n += 1
                    if rate != announced:
                        bad.append(f"frame {frame}: a record sampled 1 in {rate} while "
                                   f"1 in {announced} is announced")
    for c in changes:
        print(c)
    for b in bad[:20]:
        print(b)
    print(f"cflow_check: {n} flow records, {len(changes)} announced rates, "
          f"{len(bad)} records at another rate")
    return 1 if bad or not n else 0


def field(r, f):
    """A record's field, also from a subtree (tshark puts IE 89's status
    and reason code under "Forwarding Status")."""
    if f in r:
        return r[f]
    for v in r.values():
        if isinstance(v, dict) and f in v:
            return v[f]
    return ""


def cmd_values(cap, port, sid, fields):
    for _, cf in packets(cap, port):
        for s_id, recs in sets(cf):
            if s_id == sid:
                for r in recs:
                    print("\t".join(str(field(r, f)) for f in fields))
    return 0


def main():
    a = sys.argv[1:]
    if len(a) < 3:
        raise SystemExit(__doc__)
    cmd, cap, port = a[0], a[1], int(a[2])
    if cmd == "expert":
        return cmd_expert(cap, port)
    if cmd == "nfdump-failures":
        return cmd_nfdump_failures(cap, port)
    if cmd == "values":
        return cmd_values(cap, port, int(a[3]), a[4:])
    if cmd == "options":
        return cmd_options(cap, port, a[3:])
    if cmd == "sampling-order":
        return cmd_sampling_order(cap, port)
    if cmd == "records":
        opts, rest = {}, a[4:]
        while rest:
            o = rest.pop(0)
            if o in ("--fin-end", "--expert"):
                opts[o[2:].replace("-", "_")] = True
            elif o == "--option":
                opts.setdefault("option", []).append(rest.pop(0))
            elif o in ("--ifindex", "--sampling", "--min-records"):
                opts[o[2:].replace("-", "_")] = int(rest.pop(0))
            else:
                raise SystemExit(f"cflow_check: unknown option {o}")
        return cmd_records(cap, port, a[3], opts)
    raise SystemExit(__doc__)


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        for f in _isolated.values():
            os.unlink(f)
    sys.exit(rc)
