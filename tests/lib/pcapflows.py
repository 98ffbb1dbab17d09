#!/usr/bin/python3
"""Per-flow truth from a capture file, independent of jflowd's parser.

Usage: pcapflows.py FILE.pcap [--mss N] > TRUTH.csv

Reads a classic pcap (micro- or nanosecond, Ethernet) and aggregates its
packets by flow key: the columns of `jflowd-trafgen --expect` (so flowcmp
takes it as EXPECT) plus what a collector can show about a flow: first and
last packet time in ms (truncated, as libpcap's microseconds are), OR of
TCP flags, ToS/traffic class, min/max TTL, inner VLAN and MPLS labels.
A frame it cannot parse is an error, never skipped.

--mss N: the capture was taken behind TSO/GSO (a veth passes super-packets
on as they are): a TCP packet with more than N payload bytes counts as the
ceil(payload / N) segments that left, each with the packet's headers.
"""
import csv
import ipaddress
import struct
import sys

ETH_VLAN = (0x8100, 0x88a8)


class Flow:
    __slots__ = ("packets", "octets", "first_ms", "last_ms", "tcp_flags", "tos",
                 "ttl_min", "ttl_max", "inner_vlan", "mpls", "flow_label")

    def __init__(self):
        self.packets = self.octets = self.tcp_flags = 0
        self.first_ms = self.last_ms = None
        self.ttl_min, self.ttl_max = 255, 0
        self.flow_label = 0


def parse_frame(d):
    """Return (key, octets, tos, ttl, tcp_flags, inner_vlan, mpls label stack
    entries (label << 4 | exp << 1 | bos), IPv6 flow label)."""
    off, vlans, mpls, label = 12, [], [], 0
    et = struct.unpack_from("!H", d, off)[0]
    off += 2
    while et in ETH_VLAN:
        vlans.append(struct.unpack_from("!H", d, off)[0] & 0xfff)
        et = struct.unpack_from("!H", d, off + 2)[0]
        off += 4
    if et == 0x8847:
        while True:
            lse = struct.unpack_from("!I", d, off)[0]
            off += 4
            mpls.append(lse >> 8)      # label << 4 | exp << 1 | bos
            if lse & 0x100:
                break
        et = 0x0800 if d[off] >> 4 == 4 else 0x86dd
    if et == 0x0800:
        ihl = (d[off] & 15) * 4
        tos, octets, ttl, proto = d[off + 1], struct.unpack_from("!H", d, off + 2)[0], \
            d[off + 8], d[off + 9]
        src, dst = ipaddress.ip_address(d[off + 12:off + 16]), ipaddress.ip_address(d[off + 16:off + 20])
        fam, l4 = 4, off + ihl
    elif et == 0x86dd:
        vtf = struct.unpack_from("!I", d, off)[0]
        tos = (vtf >> 20) & 0xff
        label = vtf & 0xfffff
        octets = struct.unpack_from("!H", d, off + 4)[0] + 40
        proto, ttl = d[off + 6], d[off + 7]
        src, dst = ipaddress.ip_address(d[off + 8:off + 24]), ipaddress.ip_address(d[off + 24:off + 40])
        fam, l4 = 6, off + 40
    else:
        raise ValueError(f"ethertype 0x{et:04x} not expected in test traffic")
    flags, hdrs = 0, 0
    if proto in (6, 17):
        sport, dport = struct.unpack_from("!HH", d, l4)
        if proto == 6:
            flags = d[l4 + 13]
            hdrs = l4 - off + (d[l4 + 12] >> 4) * 4
    elif proto in (1, 58):
        sport, dport = 0, d[l4] << 8 | d[l4 + 1]
    else:
        raise ValueError(f"IP protocol {proto} not expected in test traffic")
    key = (fam, proto, str(src), sport, str(dst), dport, vlans[0] if vlans else 0)
    inner = vlans[1] if len(vlans) > 1 else 0
    return key, octets, tos, ttl, flags, inner, tuple(mpls[:3]), label, hdrs


def read(path, mss=0):
    flows = {}
    with open(path, "rb") as f:
        hdr = f.read(24)
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic not in (0xa1b2c3d4, 0xa1b23c4d):
            raise ValueError(f"{path}: not a little-endian classic pcap")
        if struct.unpack("<I", hdr[20:24])[0] != 1:
            raise ValueError(f"{path}: link type is not Ethernet")
        div = 1000 if magic == 0xa1b2c3d4 else 1000000
        while True:
            rh = f.read(16)
            if not rh:
                break
            if len(rh) < 16:
                raise ValueError(f"{path}: truncated record header")
            sec, frac, caplen, _ = struct.unpack("<IIII", rh)
            data = f.read(caplen)
            if len(data) < caplen:
                raise ValueError(f"{path}: truncated frame")
            ms = sec * 1000 + frac // div
            key, octets, tos, ttl, tflags, inner, mpls, label, hdrs = parse_frame(data)
            segs = 1
            if mss and hdrs and octets - hdrs > mss:
                segs = -(-(octets - hdrs) // mss)
                octets += (segs - 1) * hdrs
            fl = flows.get(key)
            if fl is None:
                fl = flows[key] = Flow()
                fl.first_ms, fl.tos, fl.inner_vlan, fl.mpls = ms, tos, inner, mpls
            fl.packets += segs
            fl.octets += octets
            fl.last_ms = ms
            fl.tcp_flags |= tflags
            fl.ttl_min, fl.ttl_max = min(fl.ttl_min, ttl), max(fl.ttl_max, ttl)
            fl.flow_label = label or fl.flow_label     # the last non-zero one
    return flows


def main():
    mss = int(sys.argv[sys.argv.index("--mss") + 1]) if "--mss" in sys.argv else 0
    flows = read(sys.argv[1], mss)
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["family", "proto", "src", "sport", "dst", "dport", "vlan", "inner_vlan",
                "mpls1", "mpls2", "mpls3", "packets", "octets", "first_ms", "last_ms",
                "tcp_flags", "tos", "ttl_min", "ttl_max", "flow_label"])
    for (fam, proto, src, sport, dst, dport, vlan), fl in flows.items():
        m = list(fl.mpls) + [0] * (3 - len(fl.mpls))
        w.writerow([fam, proto, src, sport, dst, dport, vlan, fl.inner_vlan, *m, fl.packets,
                    fl.octets, fl.first_ms, fl.last_ms, fl.tcp_flags, fl.tos, fl.ttl_min,
                    fl.ttl_max, fl.flow_label])


if __name__ == "__main__":
    main()
