#!/bin/bash
# Pins the lossless promise under load. Two senders pinned to different
# CPUs push the same flows into a two-queue veth metered by XDP, with drains
# every 100 ms:
#  1. more flows than the kernel's table (64 flows, 96 slots) and its stash
#     (the per-interval maps) hold: the metrics file alone shows
#     metered == exported + unaccounted exactly, the spill ring was used,
#     the collector holds exactly the records jflowd says it sent, and per
#     flow it is short of what was sent by exactly what jflowd counted lost;
#  2. sizing from --max-flows alone, larger than the flow count: nothing
#     lost, per-flow totals at the collector equal what was sent.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"

netns_pair tx rx 2

run() { # NAME SIZING FLOWS SECONDS
	local name=$1 sizing=$2 flows=$3 secs=$4 drops0 jf p1
	start_nfcapd rx 4739 "$WORK/nf-$name" 127.0.0.1 67108864
	bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 --metrics-file "$WORK/$name.prom" \
		$sizing --max-flows 65536 --drain-interval 0.1 -q 2>"$WORK/$name.log"
	jf=$LAST_PID
	wait_for "$JF_START_S" test -s "$WORK/$name.prom" || fail "jflowd did not start: $(cat "$WORK/$name.log")"
	drops0=$(veth_rx_dropped rx)
	bg_ns tx "$TRAFGEN" --iface veth0 --flows "$flows" --packets $((flows * 10)) --cpu 0 \
		--duration "$secs" --expect "$WORK/$name-0.csv"
	p1=$LAST_PID
	in_ns tx "$TRAFGEN" --iface veth0 --flows "$flows" --packets $((flows * 10)) --cpu 1 \
		--duration "$secs" --expect "$WORK/$name-1.csv" || fail "$name: the sender on CPU 1 exited $?"
	wait "$p1" || fail "$name: the sender on CPU 0 exited $?"
	sleep 0.5
	stop_jflowd "$jf" "$WORK/$name.log"
	settle rx 4739
	stop_pid "$NFCAPD_PID"
	[ "$(veth_rx_dropped rx)" = "$drops0" ] || fail "$name: the veth dropped packets before XDP"
	SENT=$(awk -F, 'FNR > 1 { s += $11 } END { print s }' "$WORK/$name-0.csv" "$WORK/$name-1.csv")
	$METRICS_CHECK "$WORK/$name.prom" --expect-metered "$SENT" || fail "$name: metrics invariant"
	# Both CPUs ran the program.
	for cpu in 0 1; do
		[ "$(metric "$WORK/$name.prom" "jflowd_xdp_cpu_packets_total{cpu=\"$cpu\"}")" -gt 0 ] \
			|| fail "$name: CPU $cpu metered nothing"
	done
	# The collector holds exactly what jflowd says it sent.
	local recs pkts
	recs=$(metric "$WORK/$name.prom" jflowd_collector_records_total 'collector="ipfix://127.0.0.1:4739",protocol="ipfix"')
	pkts=$(metric "$WORK/$name.prom" jflowd_collector_packets_total 'collector="ipfix://127.0.0.1:4739",protocol="ipfix"')
	nfdump -R "$WORK/nf-$name" -I > "$WORK/$name.stat"
	grep -q "^Flows: $recs\$" "$WORK/$name.stat" || fail "$name: collector flows differ: $(grep ^Flows: "$WORK/$name.stat"), sent $recs"
	grep -q "^Packets: $pkts\$" "$WORK/$name.stat" || fail "$name: collector packets differ: $(grep ^Packets: "$WORK/$name.stat"), sent $pkts"
	log "$name: $SENT packets sent, $recs records, $(metric "$WORK/$name.prom" 'jflowd_packets_in_flows_total{path="spill"}') through the spill ring, $(metric "$WORK/$name.prom" jflowd_drains_total) drains"
}

run small "--table-flows 64 --map-flows 1024" 20000 3
[ "$(metric "$WORK/small.prom" 'jflowd_packets_in_flows_total{path="spill"}')" -gt 0 ] \
	|| fail "small maps: the spill ring was not used"
[ "$(metric "$WORK/small.prom" 'jflowd_packets_in_flows_total{path="map"}')" -gt 0 ] \
	|| fail "small maps: the table and stash took nothing"
# Per flow against what the senders sent, whether or not anything was
# lost: no flow has more at the collector than was sent, and the shortfall
# over all flows is exactly what jflowd counted as lost (unaccounted in
# the meter, dropped on the way to the collector); with nothing counted,
# every flow is exact.
sm() { metric "$WORK/small.prom" "$1"; }
lost_p=$(( $(sm jflowd_packets_unaccounted_total) + $(sm jflowd_collector_dropped_packets_total) ))
lost_o=$(( $(sm jflowd_octets_unaccounted_total) + $(sm jflowd_collector_dropped_octets_total) ))
nfdump_csv "$WORK/nf-small" "$WORK/small-got.csv"
if [ "$lost_p" = 0 ]; then
	$FLOWCMP "$WORK/small-0.csv,$WORK/small-1.csv" "$WORK/small-got.csv" \
		|| fail "small: per-flow totals differ"
else
	log "small: jflowd counts $lost_p packets, $lost_o octets lost"
	$FLOWCMP "$WORK/small-0.csv,$WORK/small-1.csv" "$WORK/small-got.csv" \
		--lost-packets "$lost_p" --lost-octets "$lost_o" \
		|| fail "small: per-flow totals differ from what was sent beyond what jflowd counted lost"
fi

run roomy "" 20000 3
$METRICS_CHECK "$WORK/roomy.prom" --no-loss >/dev/null || fail "roomy: packets lost"
nfdump_csv "$WORK/nf-roomy" "$WORK/roomy-got.csv"
$FLOWCMP "$WORK/roomy-0.csv,$WORK/roomy-1.csv" "$WORK/roomy-got.csv" || fail "roomy: per-flow totals differ"
log "ok"
