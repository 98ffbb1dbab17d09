#!/bin/bash
# Pins (fault: wall-clock steps): jflowd's CLOCK_REALTIME stepped back
# 300 s, forward 300 s, forward again (an LD_PRELOAD shim steps that one
# process's clock): drains, exports and metrics go on every second; a TCP
# collector that appears after the back step is connected within seconds;
# at the end every metered packet is at the collectors.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd

SHIM="$BUILD/tests/libjfclockshim.so"
[ -f "$SHIM" ] || fail "no $SHIM"
COLLECTOR="/usr/bin/python3 $SRC/tests/lib/ipfix_tcp_collector.py"
netns_pair tx rx
start_nfcapd rx 2055 "$WORK/nf"
echo 0 > "$WORK/offset"
mkdir -p "$WORK/tcp"
T_START=$(date +%s)
bg_ns rx env LD_PRELOAD="$SHIM" JF_CLOCKSHIM_FILE="$WORK/offset" \
	"$JFLOWD" -i veth0 -n v9://127.0.0.1:2055 -n ipfix+tcp://127.0.0.1:4739 \
	-t idle=1,active=2 --metrics-file "$WORK/m.prom" 2> "$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
bg_ns tx "$TRAFGEN" --iface veth0 --flows 50 --packets 1000 --pps 1000 --duration 30 \
	--expect "$WORK/sent.csv"
TX=$LAST_PID

# going WHAT: in 5 s, at least 2 drains and more packets exported. (With
# -t active=2 a table flow's records come every 3-4 s: the active timer
# starts at the drain that sees the next record's first packet.)
going() {
	local d0 e0 d1 e1
	d0=$(metric "$WORK/m.prom" jflowd_drains_total)
	e0=$(metric "$WORK/m.prom" jflowd_packets_exported_total)
	sleep 5
	d1=$(metric "$WORK/m.prom" jflowd_drains_total)
	e1=$(metric "$WORK/m.prom" jflowd_packets_exported_total)
	[ $((d1 - d0)) -ge 2 ] || fail "$1: $((d1 - d0)) drains in 5 s"
	[ "$e1" -gt "$e0" ] || fail "$1: no packet exported in 5 s ($e0 -> $e1)"
	log "$1: $((d1 - d0)) drains, $((e1 - e0)) packets exported in 5 s"
}
sleep 1
going "before any step"
echo -300 > "$WORK/offset"
going "after a step back of 300 s"
# The TCP collector appears only now: the reconnect backoff must not wait
# out the step.
tcp_listening() { in_ns rx ss -Hltn "sport = :4739" | grep -q .; }
bg_ns rx $COLLECTOR 127.0.0.1 4739 "$WORK/tcp"
TC=$LAST_PID
wait_for 5 tcp_listening || fail "TCP collector did not start"
wait_for 12 sh -c "grep -q 'jflowd_collector_up{collector=\"ipfix+tcp://127.0.0.1:4739\".*} 1' '$WORK/m.prom'" ||
	fail "TCP collector not connected 12 s after it appeared"
log "TCP collector connected after the step back"
echo 0 > "$WORK/offset"
going "after a step forward of 300 s"
echo 300 > "$WORK/offset"
going "after a second step forward of 300 s"
wait "$TX" || fail "trafgen exited $?"
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$TX" | tr '\n' ' ')
sleep 1
stop_jflowd "$JF" "$WORK/jflowd.log"
$METRICS_CHECK "$WORK/m.prom" --no-loss || fail "metrics invariant"
METERED=$(metric "$WORK/m.prom" jflowd_packets_metered_total)
[ "$METERED" -gt 10000 ] || fail "too little metered: $METERED"
settle rx 2055
stop_nfcapd "$NFCAPD_PID"
GOT=$(nfdump -R "$WORK/nf" -I | awk '/^Packets:/ { print $2 }')
expect_eq "packets at the v9 collector" "$GOT" "$METERED"
SENT=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "packets") c = i; next }
	{ s += $c } END { print s }' "$WORK/sent.csv")
expect_eq "packets metered = packets the sender sent" "$METERED" "$SENT"
# Every record dated within the steps (300 s either way of the real time),
# not 49 days off by a sysUpTime that wrapped.
nfdump -R "$WORK/nf" -o csv -N > "$WORK/records.csv"
/usr/bin/python3 - "$WORK/records.csv" "$T_START" "$(date +%s)" <<'PY' || fail "records misdated"
import csv, datetime, sys
rows = list(csv.DictReader(open(sys.argv[1])))
lo, hi = int(sys.argv[2]) - 305, int(sys.argv[3]) + 305
bad = 0
for r in rows:
    if len(r.get("ts") or "") < 19 or r["ts"][4] != "-":  # the summary line
        continue
    t = datetime.datetime.strptime(r["ts"][:19], "%Y-%m-%d %H:%M:%S")
    t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
    if not lo <= t <= hi:
        bad += 1
print(f"records: {len(rows)}, dated outside [{lo}, {hi}]: {bad}")
sys.exit(1 if bad else 0)
PY
$FLOWCMP "$WORK/sent.csv" "$WORK/records.csv" || fail "the collector does not hold what was sent"
log "ok: the agent went on through steps of the wall clock both ways"
