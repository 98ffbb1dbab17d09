#!/bin/bash
# Pins: one jflowd feeding several collectors at once (v5 and v9 into
# nfcapd, IPFIX into nfacctd) delivers the same flows to each, exactly (v5
# only the IPv4 ones, the IPv6 ones counted unexportable); with --source
# every collector sees that address as the exporter, and IE 130/131 in the
# options equals the datagrams' source; the same over IPv6 to [::1].
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump nfacctd dumpcap tshark

CHECK="/usr/bin/python3 $SRC/tests/lib/cflow_check.py"
"$TRAFGEN" --out "$WORK/in.pcap" --flows 120 --packets 3000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --framing plain,vlan --rate 500 \
	--expect "$WORK/expect.csv"

netns_pair a b
# The exporter's own addresses live on the namespace's veth; loopback
# does IPv6 too.
in_ns a sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
in_ns a sysctl -qw net.ipv6.conf.veth0.disable_ipv6=0
ip -n "$(ns a)" addr add 192.0.2.1/32 dev veth0
ip -n "$(ns a)" addr add 2001:db8::1/128 dev veth0 nodad

nfacctd_start() { # NAME ADDR PORT
	start_nfacctd a "$1" "$2" "$3" "peer_src_ip, src_host, dst_host, src_port, dst_port, proto"
}

# exporters DIR: "IP version" of every exporter in nfcapd's files
exporters() {
	local f
	for f in "$1"/nfcapd.*; do nfdump -E "$f"; done \
		| sed -nE 's/.*IP: *([^,]+), version: *([0-9]+).*/\1 \2/p' | sort -u
}

# 1. IPv4: v5 + v9 + IPFIX at once, from 192.0.2.1.
start_nfcapd a 2055 "$WORK/v5";   NF1=$NFCAPD_PID
start_nfcapd a 2056 "$WORK/v9";   NF2=$NFCAPD_PID
nfacctd_start ipfix 127.0.0.1 4739; PM1=$NFACCTD_PID
capture_start a "udp port 4739" "$WORK/v4.pcapng"
in_ns a "$JFLOWD" -r "$WORK/in.pcap" -n v5://127.0.0.1:2055 -n v9://127.0.0.1:2056 \
	-n ipfix://127.0.0.1:4739 --source 192.0.2.1 -q --metrics-file "$WORK/m4.prom" \
	|| fail "jflowd (IPv4) exited $?"
for p in 2055 2056 4739; do settle a $p; done
sleep 1.5
capture_stop
stop_nfcapd "$NF1"; stop_nfcapd "$NF2"; stop_nfacctd "$PM1"

$METRICS_CHECK "$WORK/m4.prom" --no-loss --expect-metered 3000 || fail "metrics invariant (IPv4)"
v6_packets=$(awk -F, 'NR > 1 && $1 == 6 { s += $11 } END { print s }' "$WORK/expect.csv")
expect_eq "v5: IPv6 packets counted unexportable" \
	"$(metric "$WORK/m4.prom" jflowd_collector_unexportable_packets_total 'protocol="v5"')" "$v6_packets"
nfdump_csv "$WORK/v5" "$WORK/v5.csv"
$FLOWCMP "$WORK/expect.csv" "$WORK/v5.csv" --family 4 || fail "v5: totals differ"
nfdump_csv "$WORK/v9" "$WORK/v9.csv"
$FLOWCMP "$WORK/expect.csv" "$WORK/v9.csv" || fail "v9: totals differ"
$FLOWCMP "$WORK/expect.csv" "$WORK/ipfix.csv" --format pmacct || fail "ipfix (pmacct): totals differ"
expect_eq "v5: exporter in nfcapd" "$(exporters "$WORK/v5")" "192.0.2.1 5"
expect_eq "v9: exporter in nfcapd" "$(exporters "$WORK/v9")" "192.0.2.1 9"
expect_eq "ipfix: exporter (peer_src_ip) in nfacctd" \
	"$(awk -F, 'NR > 1 { print $1 }' "$WORK/ipfix.csv" | sort -u)" "192.0.2.1"
$CHECK options "$WORK/v4.pcapng" 4739 cflow.exporter_addr=ip.src cflow.exporter_addr=192.0.2.1 \
	|| fail "IE 130 is not the source address"

# 2. IPv6 collectors at [::1], from 2001:db8::1.
start_nfcapd a 2057 "$WORK/v9_6" ::1; NF3=$NFCAPD_PID
nfacctd_start ipfix6 ::1 4740;         PM2=$NFACCTD_PID
capture_start a "udp port 4740" "$WORK/v6.pcapng"
in_ns a "$JFLOWD" -r "$WORK/in.pcap" -n 'v9://[::1]:2057' -n 'ipfix://[::1]:4740' \
	--source 2001:db8::1 -q --metrics-file "$WORK/m6.prom" || fail "jflowd (IPv6) exited $?"
settle a 2057; settle a 4740
sleep 1.5
capture_stop
stop_nfcapd "$NF3"; stop_nfacctd "$PM2"

$METRICS_CHECK "$WORK/m6.prom" --no-loss --expect-metered 3000 || fail "metrics invariant (IPv6)"
nfdump_csv "$WORK/v9_6" "$WORK/v9_6.csv"
$FLOWCMP "$WORK/expect.csv" "$WORK/v9_6.csv" || fail "v9 over IPv6: totals differ"
$FLOWCMP "$WORK/expect.csv" "$WORK/ipfix6.csv" --format pmacct || fail "ipfix over IPv6: totals differ"
expect_eq "v9 over IPv6: exporter in nfcapd" "$(exporters "$WORK/v9_6")" "2001:db8::1 9"
expect_eq "ipfix over IPv6: exporter (peer_src_ip) in nfacctd" \
	"$(awk -F, 'NR > 1 { print $1 }' "$WORK/ipfix6.csv" | sort -u)" "2001:db8::1"
$CHECK options "$WORK/v6.pcapng" 4740 cflow.exporter_addr_v6=ip.src \
	cflow.exporter_addr_v6=2001:db8::1 || fail "IE 131 is not the source address"
log "ok"
