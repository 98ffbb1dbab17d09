#!/bin/bash
# Pins jflowctl's streamed answers over a large table: `flows` lists all
# 100,000 flows (text and JSON) ending in the end marker; eight listings at
# once neither stretch the drain interval nor grow
# jflowd's memory; --sort beyond its bound is refused, --top works; and a
# client that stops reading gets a cut answer that jflowctl reports (exit 1);
# out of file descriptors, a client is told so at once, logged and counted.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd pgrep prlimit

FLOWS=100000
JFLOWCTL="$BUILD/src/jflowctl"
SOCK="$WORK/ctl.sock"
WATCH="/usr/bin/python3 $SRC/tests/lib/metrics_watch.py"
ctl() { "$JFLOWCTL" -s "$SOCK" "$@"; }

netns_pair tx rx 2
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 -t idle=300,active=600 \
	--metrics-file "$WORK/m.prom" --control-socket "$SOCK" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
JPID=$(pgrep -f -n "^$JFLOWD -i veth0 -n ipfix://127.0.0.1:4739 -t idle=300")
in_ns tx "$TRAFGEN" --iface veth0 --flows $FLOWS --packets $FLOWS --cpu 0 >/dev/null \
	|| fail "the sender"
# Every packet metered and in a flow. A flow the table's growth found no
# slot for within reach has left early as a record (jflowd counts it); the
# listings then hold one flow less: rare (seen once in CI), and
# no packet is lost either way.
early() {
	echo $(($(metric "$WORK/m.prom" 'jflowd_flows_exported_total{reason="lack_of_resources"}') + 0))
}
in_flows() {
	[ "$(metric "$WORK/m.prom" jflowd_packets_metered_total)" = $FLOWS ] &&
		[ $(($(metric "$WORK/m.prom" jflowd_packets_cached) + $(early))) = $FLOWS ]
}
wait_for 10 in_flows || fail "the flows never reached jflowd: $(grep cached "$WORK/m.prom")"
UNPLACED=$(metric "$WORK/m.prom" jflowd_table_move_unplaced_total)
expect_eq "flows exported early: all by the table's growth" "$(early)" "$UNPLACED"
[ "$UNPLACED" = 0 ] || log "$UNPLACED flows found no slot when the table grew: exported early"
FLOWS=$((FLOWS - UNPLACED))

# Whole, text and JSON.
ctl flows > "$WORK/flows.txt" || fail "jflowctl flows exited $?"
expect_eq "flows: lines" "$(wc -l < "$WORK/flows.txt")" $((FLOWS + 1))
ctl flows --json > "$WORK/flows.json" || fail "jflowctl flows --json exited $?"
expect_eq "flows --json: objects" \
	"$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' \
	"$WORK/flows.json")" $FLOWS
expect_eq "flows --top 3: lines" "$(ctl flows --top 3 --sort packets | wc -l)" 4
ctl flows --sort octets > /dev/null 2>"$WORK/err.txt" && fail "--sort over $FLOWS flows accepted"
grep -q "add --top N" "$WORK/err.txt" || fail "no reason for refusing --sort: $(cat "$WORK/err.txt")"

# Eight listings at once while the drains are timed. The
# target is 10 % of the interval (scripts/bench measures it); on a machine
# shared with other builds the scheduler alone can add a tenth of a second,
# so the test allows 25 % (the old answers, built whole in one loop turn,
# stretched it to 6 s).
hwm0=$(awk '/^VmHWM/ {print $2}' "/proc/$JPID/status")
rm -f "$WORK/stop"
$WATCH "$WORK/m.prom" --until "$WORK/stop" --max-interval 1.25 --min-samples 3 \
	> "$WORK/watch.txt" &
W=$!
CP=""
for i in 1 2 3 4 5 6 7 8; do
	( ctl flows | wc -l > "$WORK/c$i" ) &
	CP="$CP $!"
done
for p in $CP; do wait "$p"; done
sleep 1.2	# one more drain after the listings
touch "$WORK/stop"
wait $W && wok=1 || wok=0
cat "$WORK/watch.txt"
for i in 1 2 3 4 5 6 7 8; do
	expect_eq "listing $i" "$(cat "$WORK/c$i")" $((FLOWS + 1))
done
hwm1=$(awk '/^VmHWM/ {print $2}' "/proc/$JPID/status")
log "jflowd's peak memory: $hwm0 kB before the listings, $hwm1 kB after"
[ "$wok" = 1 ] || fail "the drain interval stretched while jflowctl listed"
[ $((hwm1 - hwm0)) -lt 32768 ] || fail "jflowd grew by $((hwm1 - hwm0)) kB for 8 listings"

# A client that stops reading: jflowd closes it 5 s after it last took
# something; jflowctl prints what came and exits 1.
set +e
ctl flows 2>"$WORK/cut.err" | { sleep 7; wc -l > "$WORK/cut.lines"; }
rc=${PIPESTATUS[0]}
set -e
log "cut listing: exit $rc, $(cat "$WORK/cut.lines") lines, $(cat "$WORK/cut.err")"
[ "$rc" = 1 ] || fail "jflowctl exited $rc on a cut answer"
grep -q "cut short" "$WORK/cut.err" || fail "jflowctl did not say the answer was cut"
[ "$(cat "$WORK/cut.lines")" -lt $((FLOWS + 1)) ] || fail "the answer was not cut"
expect_eq "rejected for not reading" \
	"$(metric "$WORK/m.prom" 'jflowd_control_rejected_total{reason="timeout"}')" 1
ctl stats > /dev/null || fail "jflowctl after the cut listing"

# Out of file descriptors: a client is told so at once (a descriptor kept
# spare for it), the warning is logged once and the refusal counted.
# The limit is the lowest free descriptor number, not the count: a
# descriptor closed earlier (here fd 31, a socket) leaves a hole below the
# highest one, which accept takes (seen on every run on 2026-12-06).
nfd=$(ls "/proc/$JPID/fd" | sort -n | awk 'BEGIN { n = 0 } $1 != n { exit } { n++ } END { print n }')
prlimit --pid "$JPID" --nofile="$nfd:" || fail "prlimit"
for i in 1 2 3; do
	rc=0
	timeout 5 "$JFLOWCTL" -s "$SOCK" stats >/dev/null 2>"$WORK/fd.err" || rc=$?
	[ "$rc" = 1 ] || fail "jflowctl out of descriptors: exit $rc: $(cat "$WORK/fd.err")"
	grep -q "out of file descriptors" "$WORK/fd.err" || fail "no reason: $(cat "$WORK/fd.err")"
done
prlimit --pid "$JPID" --nofile=1024: || fail "prlimit"
wait_for 5 ctl stats >/dev/null || fail "jflowctl after descriptors came back"
expect_eq "out of descriptors: warned once" "$(grep -c "accept: Too many open files" "$WORK/jflowd.log")" 1
ctl stats > "$WORK/fd.stats"
[ "$(metric "$WORK/fd.stats" 'jflowd_control_rejected_total{reason="no_fd"}')" -ge 3 ] ||
	fail "refusals out of descriptors not counted: $(grep rejected "$WORK/fd.stats")"
stop_jflowd "$JF" "$WORK/jflowd.log"
$METRICS_CHECK "$WORK/m.prom" > /dev/null || fail "metrics invariant"
