#!/bin/bash
# Many distinct flows at once with default sizing (no sizing option): one
# sender pushes 2 packets into each of 262,144 flows through a veth metered
# by XDP; the table grows from 65,536 slots as they come (three moves at
# least), moving every flow each time. (The million-flow case is the
# benchmark's: scripts/bench, e2e and flood.) Nothing may be lost: the metrics invariant is exact with
# nothing unaccounted, every packet went through the persistent table or its
# stash (none was dropped to a full table), the collector holds exactly the
# records and packets jflowd says it sent, and per flow what was sent. Then
# once more with --min-flows: the table starts with room for them all; and
# once more with a short idle timeout: the table shrinks when they are gone.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

FLOWS=262144
netns_pair tx rx 2

start_nfcapd rx 4739 "$WORK/nf" 127.0.0.1 134217728
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 --metrics-file "$WORK/m.prom" \
	-q 2>"$WORK/jflowd.log"
jf=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
drops0=$(veth_rx_dropped rx)
t0=$(date +%s.%N)
# Paced at 200,000 packets/s (2.6 s): the table grows as fast as flows come
# on a busy machine too. Flat out (370,000 new flows/s) the growth lagged
# behind twice in CI right after another test's namespaces were torn down:
# the stash filled past half and jflowd rightly warned; a burst beyond the
# growth is test_flood's case.
in_ns tx "$TRAFGEN" --iface veth0 --flows $FLOWS --packets $((FLOWS * 2)) --cpu 0 \
	--pps 200000 --expect "$WORK/sent.csv" || fail "the sender exited $?"
t1=$(date +%s.%N)
sleep 1.5
stop_jflowd "$jf" "$WORK/jflowd.log"
t2=$(date +%s.%N)
settle rx 4739
stop_pid "$NFCAPD_PID"
[ "$(veth_rx_dropped rx)" = "$drops0" ] || fail "the veth dropped packets before XDP"
grep -q "warning" "$WORK/jflowd.log" && fail "jflowd warned: $(grep warning "$WORK/jflowd.log")"

SENT=$(awk -F, 'FNR > 1 { s += $11 } END { print s }' "$WORK/sent.csv")
[ "$SENT" = $((FLOWS * 2)) ] || fail "the sender sent $SENT packets"
$METRICS_CHECK "$WORK/m.prom" --expect-metered "$SENT" --no-loss >/dev/null \
	|| fail "metrics invariant or loss: $($METRICS_CHECK "$WORK/m.prom" --expect-metered "$SENT" --no-loss 2>&1 | tail -3)"
spill=$(metric "$WORK/m.prom" 'jflowd_packets_in_flows_total{path="spill"}')
[ "$spill" = 0 ] || fail "$spill packets took the spill ring: the table and stash were too small"
recs=$(metric "$WORK/m.prom" jflowd_collector_records_total 'collector="ipfix://127.0.0.1:4739",protocol="ipfix"')
pkts=$(metric "$WORK/m.prom" jflowd_collector_packets_total 'collector="ipfix://127.0.0.1:4739",protocol="ipfix"')
[ "$pkts" = "$SENT" ] || fail "jflowd sent $pkts packets in records, $SENT were metered"
nfdump -R "$WORK/nf" -I > "$WORK/stat"
grep -q "^Flows: $recs\$" "$WORK/stat" || fail "collector flows differ: $(grep ^Flows: "$WORK/stat"), sent $recs"
grep -q "^Packets: $pkts\$" "$WORK/stat" || fail "collector packets differ: $(grep ^Packets: "$WORK/stat"), sent $pkts"
nfdump_csv "$WORK/nf" "$WORK/got.csv"
$FLOWCMP "$WORK/sent.csv" "$WORK/got.csv" || fail "per-flow totals differ"
# The table started at 65,536 slots and grew with the flows, moving every
# flow each time, and nothing above was lost.
slots=$(metric "$WORK/m.prom" jflowd_table_slots)
moves=$(metric "$WORK/m.prom" jflowd_table_moves_total)
[ "$slots" -ge $((FLOWS * 3 / 2)) ] && [ "$moves" -ge 2 ] \
	|| fail "the table did not grow with the flows: $slots slots after $moves moves"
log "the table grew $moves times, to $slots slots"
mem=$(grep '^jflowd_memory_bytes' "$WORK/m.prom" | awk '{ s += $2 } END { print s }')
log "$SENT packets in $FLOWS flows: $recs records; max flows $(metric "$WORK/m.prom" jflowd_cache_max_flows), memory $mem bytes ($((mem / FLOWS)) per metered flow); sent in $(awk "BEGIN { print $t1 - $t0 }") s, stopped in $(awk "BEGIN { print $t2 - $t1 - 1.5 }") s"

# --min-flows: the table starts with room for the flows (no growth to wait
# for), and the same flows go through it, nothing lost, nothing spilled.
rm -rf "$WORK/nf2"
start_nfcapd rx 4739 "$WORK/nf2" 127.0.0.1 134217728
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 --metrics-file "$WORK/m2.prom" \
	--min-flows $FLOWS -q 2>"$WORK/jflowd2.log"
jf=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m2.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd2.log")"
wait_for 5 grep -q '^jflowd_table_slots [1-9]' "$WORK/m2.prom" || fail "no jflowd_table_slots"
slots0=$(metric "$WORK/m2.prom" jflowd_table_slots)
expect_eq "--min-flows $FLOWS: slots at start" "$slots0" $((FLOWS * 3 / 2))
drops0=$(veth_rx_dropped rx)
in_ns tx "$TRAFGEN" --iface veth0 --flows $FLOWS --packets $((FLOWS * 2)) --cpu 0 \
	--pps 200000 --expect "$WORK/sent2.csv" || fail "the sender exited $?"
sleep 1.5
stop_jflowd "$jf" "$WORK/jflowd2.log"
settle rx 4739
stop_pid "$NFCAPD_PID"
[ "$(veth_rx_dropped rx)" = "$drops0" ] || fail "the veth dropped packets before XDP"
grep -q "warning" "$WORK/jflowd2.log" && fail "jflowd warned: $(grep warning "$WORK/jflowd2.log")"
$METRICS_CHECK "$WORK/m2.prom" --expect-metered "$SENT" --no-loss >/dev/null \
	|| fail "--min-flows: metrics invariant or loss: $($METRICS_CHECK "$WORK/m2.prom" --expect-metered "$SENT" --no-loss 2>&1 | tail -3)"
spill=$(metric "$WORK/m2.prom" 'jflowd_packets_in_flows_total{path="spill"}')
expect_eq "--min-flows: packets through the spill ring" "$spill" 0
nfdump_csv "$WORK/nf2" "$WORK/got2.csv"
$FLOWCMP "$WORK/sent2.csv" "$WORK/got2.csv" || fail "--min-flows: per-flow totals differ"
log "--min-flows $FLOWS: started at $slots0 slots, ended at $(metric "$WORK/m2.prom" jflowd_table_slots)"

# And back: once the flows have left (idle timeout 3 s), the table a sixth
# in use or less for 2 s moves back to its first size, while jflowd runs;
# every packet still comes out once. All flows leave in one second: a queue
# for nfcapd as large as its socket buffer (CI's nfcapd fell 81,149
# records behind the default 8 MB).
rm -rf "$WORK/nf3"
start_nfcapd rx 4739 "$WORK/nf3" 127.0.0.1 134217728
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 --metrics-file "$WORK/m3.prom" \
	-t idle=3,active=60 --tcp-buffer 268435456 -q 2>"$WORK/jflowd3.log"
jf=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m3.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd3.log")"
in_ns tx "$TRAFGEN" --iface veth0 --flows $FLOWS --packets $((FLOWS * 2)) --cpu 0 \
	--pps 200000 --expect "$WORK/sent3.csv" || fail "the sender exited $?"
wait_for 5 awk -v s=$((FLOWS * 3 / 2)) '$1 == "jflowd_table_slots" && $2 >= s { f = 1 } END { exit !f }' \
	"$WORK/m3.prom" || fail "the table did not grow: $(grep '^jflowd_table_slots' "$WORK/m3.prom")"
grown=$(metric "$WORK/m3.prom" jflowd_table_slots)
wait_for 30 grep -q '^jflowd_table_slots 65536$' "$WORK/m3.prom" \
	|| fail "the table did not shrink: $(grep -E '^jflowd_(table_slots|flows_active)' "$WORK/m3.prom")"
stop_jflowd "$jf" "$WORK/jflowd3.log"
settle rx 4739
stop_pid "$NFCAPD_PID"
$METRICS_CHECK "$WORK/m3.prom" --expect-metered "$SENT" --no-loss >/dev/null \
	|| fail "shrink: metrics invariant or loss: $($METRICS_CHECK "$WORK/m3.prom" --expect-metered "$SENT" --no-loss 2>&1 | tail -3)"
nfdump_csv "$WORK/nf3" "$WORK/got3.csv"
$FLOWCMP "$WORK/sent3.csv" "$WORK/got3.csv" || fail "shrink: per-flow totals differ"
log "grew to $grown slots, back to 65536 once the flows had left"
log "ok"
