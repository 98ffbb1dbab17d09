#!/bin/bash
# Pins: tshark 4.0 decodes jflowd's v9 and IPFIX (default RFC numbering)
# with no malformed packet and no expert info (sequence included); every
# flow record's fields equal the capture's truth (addresses, ports,
# protocol, ToS, counters, first/last ms, TCP flags, VLANs, MPLS labels,
# TTLs, interfaces, end reason, ICMP, flow label); the exporter options
# carry the timeouts and IE 130 = the datagram's source; with -s 4 the
# sampling IEs 34 = 4 and 35 = 2 (random) are in records and options.
# Nobody listens on the ports, and nothing is paced (--export-rate 0: a
# paced collector on this host that is not there is waited for): the ICMP
# port unreachable errors are counted (refused_total) and every message is
# still sent.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd dumpcap tshark

CHECK="/usr/bin/python3 $SRC/tests/lib/cflow_check.py"
"$TRAFGEN" --out "$WORK/in.pcap" --flows 48 --packets 960 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --framing plain,vlan,qinq,mpls --tcp-session \
	--rate 200 --expect "$WORK/expect.csv"
/usr/bin/python3 "$SRC/tests/lib/pcapflows.py" "$WORK/in.pcap" > "$WORK/truth.csv"
# Sampled 1 in 4, a flow of 20 packets goes unseen with probability
# 0.75^20 = 0.3% (one of 48 in 14% of runs); of 100 packets, 3e-13.
"$TRAFGEN" --out "$WORK/long.pcap" --flows 48 --packets 4800 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --framing plain,vlan,qinq,mpls --tcp-session \
	--rate 800 --expect "$WORK/expect_long.csv"
/usr/bin/python3 "$SRC/tests/lib/pcapflows.py" "$WORK/long.pcap" > "$WORK/truth_long.csv"

netns_pair a b
# Long timeouts: each flow is one record; fin=0: TCP flows end at their
# FIN (end reason 3), the others at the end of the file (4).
run() { # PCAP CAPTURE [jflowd options]
	local in=$1 cap=$2; shift 2
	capture_start a "udp port 2055 or udp port 4739" "$cap"
	# Nobody listens: the ports refuse, and a replay that was refused exits 1.
	local rc=0
	in_ns a "$JFLOWD" -r "$in" -n v9://127.0.0.1:2055 -n ipfix://127.0.0.1:4739 \
		-t idle=60,active=120,fin=0 --export-rate 0 -q "$@" 2>/dev/null || rc=$?
	[ "$rc" = 1 ] || fail "jflowd exited $rc, expected 1 (every port refused)"
	capture_stop
}
run "$WORK/in.pcap" "$WORK/plain.pcapng" --metrics-file "$WORK/m.prom"
run "$WORK/long.pcap" "$WORK/sampled.pcapng" -s 4

log "$(tshark -v | head -1)"
O=--option
$CHECK records "$WORK/plain.pcapng" 4739 "$WORK/truth.csv" --fin-end --min-records 48 --expert \
	$O cflow.exporter_addr=ip.src $O cflow.exporter_protocol=17 \
	$O cflow.export_protocol_version=10 $O cflow.flow_active_timeout=120 \
	$O cflow.flow_inactive_timeout=60 $O cflow.flow_exporter=1 || fail "IPFIX: records differ"
$CHECK records "$WORK/plain.pcapng" 2055 "$WORK/truth.csv" --fin-end --min-records 48 --expert \
	$O cflow.flow_active_timeout=120 $O cflow.flow_inactive_timeout=60 \
	$O cflow.scope_system=00:00:00:01 || fail "v9: records differ"
for p in 2055 4739; do
	$CHECK records "$WORK/sampled.pcapng" $p "$WORK/truth_long.csv" --sampling 4 --min-records 10 \
		--expert $O cflow.sampling_interval=4 $O cflow.sampling_algorithm=2 \
		|| fail "port $p sampled: sampling fields differ"
done

# What tshark saw is what the metrics say was sent, although every send
# after the first met ECONNREFUSED (no listener): counted, retried.
for p in 2055:v9 4739:ipfix; do
	refused=$(metric "$WORK/m.prom" jflowd_collector_refused_total "protocol=\"${p#*:}\"")
	[ "$refused" -gt 0 ] || fail "${p#*:}: ECONNREFUSED not counted"
	expect_eq "${p#*:}: dropped_messages_total (refused $refused times)" \
		"$(metric "$WORK/m.prom" jflowd_collector_dropped_messages_total "protocol=\"${p#*:}\"")" 0
	expect_eq "${p#*:}: messages captured = jflowd_collector_messages_total" \
		"$(tshark -r "$WORK/plain.pcapng" -Y "udp.dstport==${p%:*}" | wc -l)" \
		"$(metric "$WORK/m.prom" jflowd_collector_messages_total "protocol=\"${p#*:}\"")"
done
log "ok"
