#!/bin/bash
# Pins the meter under a flood of new flows into a small table (--max-flows
# 4096): a scan of 12,000 one-packet flows paced at 3,000/s (the emergency
# idle timeout's own case), then 60,000 flat out, and an established
# flow on the other CPU throughout. The meter stays up; the established
# flow is exact at the collector; near the table's size, idle flows leave
# early with flowEndReason lack of resources (the emergency idle timeout,
# announced once); what found no room is counted, and the collector is
# short of what was sent by exactly what jflowd counted lost.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs"

netns_pair tx rx 2
start_nfcapd rx 4739 "$WORK/nf" 127.0.0.1 67108864
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 --metrics-file "$WORK/m.prom" \
	--max-flows 4096 -q 2>"$WORK/jflowd.log"
jf=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
drops0=$(veth_rx_dropped rx)
# The established flow, on CPU 1, from before the flood to after it.
bg_ns tx "$TRAFGEN" --iface veth0 --flows 1 --seed 7 --protos udp --families 4 \
	--packets 1 --pps 500 --duration 5 --cpu 1 --expect "$WORK/est.csv"
est=$LAST_PID
sleep 0.5
# The scan: 12,000 new flows at 3,000 a second, more than the table holds
# within the idle timeout, fewer than it holds within the emergency one:
# the table alone takes it, flows leaving early, nothing spilled.
in_ns tx "$TRAFGEN" --iface veth0 --flows 12000 --packets 12000 --seed 1 --pps 3000 \
	--protos udp --families 4 --cpu 0 --expect "$WORK/scan.csv" || fail "the scan exited $?"
# The metrics file of a tick after the scan (written every second).
newer() { [ "$(stat -c %Y "$WORK/m.prom")" -gt "$1" ]; }
wait_for 5 newer "$(date +%s)" || fail "no metrics after the scan"
cp "$WORK/m.prom" "$WORK/scan.prom"
scan_early=$(metric "$WORK/scan.prom" 'jflowd_flows_exported_total{reason="lack_of_resources"}')
scan_spill=$(metric "$WORK/scan.prom" 'jflowd_packets_in_flows_total{path="spill"}')
[ "$scan_early" -gt 0 ] || fail "scan: no flow left early with flowEndReason lack of resources"
expect_eq "scan: packets through the spill ring (the table held the scan)" "$scan_spill" 0
# The flood: as fast as one CPU sends.
in_ns tx "$TRAFGEN" --iface veth0 --flows 60000 --packets 60000 --seed 3 \
	--protos udp --families 4 --cpu 0 --expect "$WORK/flood.csv" || fail "the flood exited $?"
wait "$est" || fail "the established flow's sender exited $?"
kill -0 "$jf" || fail "jflowd died under the flood: $(tail -3 "$WORK/jflowd.log")"
sleep 0.5
stop_jflowd "$jf" "$WORK/jflowd.log"
settle rx 4739
stop_pid "$NFCAPD_PID"
[ "$(veth_rx_dropped rx)" = "$drops0" ] || fail "the veth dropped packets before XDP"

SENT=$(awk -F, 'FNR > 1 { s += $11 } END { print s }' "$WORK/est.csv" "$WORK/scan.csv" \
	"$WORK/flood.csv")
$METRICS_CHECK "$WORK/m.prom" --expect-metered "$SENT" >/dev/null \
	|| fail "metrics invariant: $($METRICS_CHECK "$WORK/m.prom" --expect-metered "$SENT" 2>&1 | tail -3)"
grep -q "flows idle for 1000 ms now leave early" "$WORK/jflowd.log" \
	|| fail "no emergency idle timeout announced: $(cat "$WORK/jflowd.log")"
early=$(metric "$WORK/m.prom" 'jflowd_flows_exported_total{reason="lack_of_resources"}')
[ "$early" -gt 0 ] || fail "no flow left early with flowEndReason lack of resources"
lost_p=$(( $(metric "$WORK/m.prom" jflowd_packets_unaccounted_total) +
	   $(metric "$WORK/m.prom" jflowd_collector_dropped_packets_total) ))
lost_o=$(( $(metric "$WORK/m.prom" jflowd_octets_unaccounted_total) +
	   $(metric "$WORK/m.prom" jflowd_collector_dropped_octets_total) ))
nfdump_csv "$WORK/nf" "$WORK/got.csv"
$FLOWCMP "$WORK/est.csv,$WORK/scan.csv,$WORK/flood.csv" "$WORK/got.csv" \
	--lost-packets "$lost_p" --lost-octets "$lost_o" \
	|| fail "per-flow totals differ from what was sent beyond what jflowd counted lost"
# The established flow: every packet, whatever the flood cost others.
est_sent=$(awk -F, 'FNR > 1 { s += $11 } END { print s }' "$WORK/est.csv")
est_key=$(awk -F, 'FNR == 2 { printf "src ip %s and src port %s and dst ip %s and dst port %s", $3, $4, $5, $6 }' "$WORK/est.csv")
est_got=$(nfdump -R "$WORK/nf" -q -o 'fmt:%pkt' "$est_key" | awk '{ s += $1 } END { print s + 0 }')
expect_eq "established flow: packets at the collector" "$est_got" "$est_sent"
log "$SENT packets sent, $early flows left early (lack of resources), $lost_p packets lost" \
	"(counted), $(metric "$WORK/m.prom" 'jflowd_packets_in_flows_total{path="spill"}') through" \
	"the spill ring"
