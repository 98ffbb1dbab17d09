#!/bin/bash
# The drain interval while jflowd serves slow consumers (issue 25), for one
# build: scripts/bench-drain runs it for a baseline and for the build under
# test, in the same run. Two scenarios, each on its own namespaces:
#   quiet FLOWS flows in the table, then a flood of new flows for SECONDS
#         (the scheduler's share, for comparison);
#   ctl   then another flood while 8 loops of `jflowctl flows` list the
#         table (a loop starts a listing until SECONDS have passed);
#   slow  a collector on this host reading 50 datagrams/s beside nfcapd,
#         --max-flows 65536, flows churning for SECONDS.
# One line per scenario: the drain interval (max, p99, mean; configured 1 s),
# the packets lost to full maps, and per scenario what it is about.
#   BUILD=DIR SRC=DIR bench/drain_interval.sh [FLOWS] [SECONDS]
. "$SRC/tests/net/lib.sh"
need_root
need_cmd nfcapd nfdump pgrep

FLOWS=${1:-2000000}
SECS=${2:-20}
JFLOWCTL="$BUILD/src/jflowctl"
WATCH="/usr/bin/python3 $SRC/tests/lib/metrics_watch.py"
SLOW="/usr/bin/python3 $SRC/tests/lib/slow_udp_collector.py"
tag=$(basename "$(dirname "$BUILD")")/$(basename "$BUILD")

# watch_start NAME: time the drains of $WORK/NAME.prom until watch_stop.
watch_start() {
	rm -f "$WORK/$1.stop"
	$WATCH "$WORK/$1.prom" --until "$WORK/$1.stop" --json "$WORK/$1.json" \
		> "$WORK/$1.watch" &
	WATCHER=$!
}
watch_stop() {
	touch "$WORK/$1.stop"
	wait "$WATCHER" || true
}
fig() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d[sys.argv[2]]
print("-" if v is None else (f"{v:.3f}" if isinstance(v, float) else v))' "$WORK/$1.json" "$2"; }

# --- ctl: jflowctl over a large table during a flood of new flows; the
# same flood without jflowctl first (quiet), for the scheduler's share ---
netns_pair tx rx 2
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 -t idle=300,active=600 \
	--max-flows $((FLOWS + FLOWS / 2)) --metrics-file "$WORK/ctl.prom" \
	--control-socket "$WORK/ctl.sock" -q 2>"$WORK/ctl.log"
JF=$LAST_PID
udp_sink rx 4739
wait_for 60 test -s "$WORK/ctl.prom" || fail "ctl: jflowd did not start: $(cat "$WORK/ctl.log")"
in_ns tx "$TRAFGEN" --iface veth0 --flows "$FLOWS" --packets "$FLOWS" --cpu 0 >/dev/null
sleep 3
cp "$WORK/ctl.prom" "$WORK/quiet.prom"
lost0=$(metric "$WORK/ctl.prom" 'jflowd_packets_unaccounted_total{reason="map_full"}')
# quiet: the flood alone.
rm -f "$WORK/quiet.stop"
$WATCH "$WORK/ctl.prom" --until "$WORK/quiet.stop" --json "$WORK/quiet.json" > "$WORK/quiet.watch" &
WATCHER=$!
in_ns tx "$TRAFGEN" --iface veth0 --flows $((FLOWS / 4)) --seed 9000000 \
	--packets $((FLOWS / 4)) --pps 50000 --duration "$SECS" --cpu 1 >/dev/null
watch_stop quiet
lostq=$(( $(metric "$WORK/ctl.prom" 'jflowd_packets_unaccounted_total{reason="map_full"}') - lost0 ))
echo "RESULT quiet build=$tag flows=$FLOWS secs=$SECS drains=$(fig quiet drains)" \
	"max=$(fig quiet max) p99=$(fig quiet p99) mean=$(fig quiet mean) map_full=$lostq"
lost0=$(metric "$WORK/ctl.prom" 'jflowd_packets_unaccounted_total{reason="map_full"}')
watch_start ctl
bg_ns tx "$TRAFGEN" --iface veth0 --flows $((FLOWS / 2)) --seed 7000000 \
	--packets $((FLOWS / 2)) --pps 50000 --duration "$SECS" --cpu 1
FLOOD=$LAST_PID
CP=""
for i in 1 2 3 4 5 6 7 8; do
	( end=$(( $(date +%s) + SECS )); n=0
	  while [ "$(date +%s)" -lt "$end" ]; do
		"$JFLOWCTL" -s "$WORK/ctl.sock" flows > /dev/null 2>&1 && n=$((n + 1))
	  done; echo "$n" > "$WORK/ctl.loop$i" ) &
	CP="$CP $!"
done
for p in $CP; do wait "$p"; done
wait "$FLOOD" || true
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$FLOOD" | tr '\n' ' ')
sleep 1.5
watch_stop ctl
lost=$(( $(metric "$WORK/ctl.prom" 'jflowd_packets_unaccounted_total{reason="map_full"}') - lost0 ))
lists=$(cat "$WORK"/ctl.loop* | awk '{s += $1} END {print s}')
stop_jflowd "$JF" "$WORK/ctl.log"
echo "RESULT ctl build=$tag flows=$FLOWS secs=$SECS drains=$(fig ctl drains)" \
	"max=$(fig ctl max) p99=$(fig ctl p99) mean=$(fig ctl mean) map_full=$lost" \
	"listings=$lists"

# --- slow: a collector on this host reading 50 datagrams/s ---
netns_pair stx srx
start_nfcapd srx 2055 "$WORK/nf"
NF=$NFCAPD_PID
bg_ns srx $SLOW 127.0.0.1 2056 50 212992 "$WORK/slow.count"
SL=$LAST_PID
wait_for 5 udp_listening srx 2056 || fail "slow: the slow collector did not start"
bg_ns srx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:2055 -n ipfix://127.0.0.1:2056 \
	-t idle=1,active=2 --max-flows 65536 --metrics-file "$WORK/slow.prom" -q \
	2>"$WORK/slow.log"
JF=$LAST_PID
wait_for 60 test -s "$WORK/slow.prom" || fail "slow: jflowd did not start: $(cat "$WORK/slow.log")"
watch_start slow
in_ns stx "$TRAFGEN" --iface veth0 --flows 20000 --packets 200000 --pps 20000 \
	--duration "$SECS" --expect "$WORK/slow.csv" >/dev/null
sleep 2
watch_stop slow
stop_jflowd "$JF" "$WORK/slow.log"
settle srx 2055
stop_nfcapd "$NF"
stop_pid "$SL"
sent=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "packets") c = i; next }
	{ s += $c } END { print s }' "$WORK/slow.csv")
lost=$(metric "$WORK/slow.prom" 'jflowd_packets_unaccounted_total{reason="map_full"}')
nf=$(nfdump -R "$WORK/nf" -q -o 'fmt:%pkt' | awk '{s += $1} END {print s + 0}')
# A label substring: today's series also carry the monitor and exporter.
slow='collector="ipfix://127.0.0.1:2056"'
echo "RESULT slow build=$tag secs=$SECS drains=$(fig slow drains) max=$(fig slow max)" \
	"p99=$(fig slow p99) mean=$(fig slow mean) sent=$sent map_full=$lost nfcapd=$nf" \
	"slow_read=$(cat "$WORK/slow.count")" \
	"slow_msgs=$(metric "$WORK/slow.prom" jflowd_collector_messages_total "$slow")" \
	"slow_dropped_pkts=$(metric "$WORK/slow.prom" jflowd_collector_dropped_packets_total \
	"$slow")"
