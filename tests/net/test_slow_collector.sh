#!/bin/bash
# Pins a collector on this host that reads slowly but steadily (50
# datagrams/s) beside a healthy one: the drain interval holds, the healthy
# nfcapd gets every packet, and the slow one gets exactly the messages the
# metrics say it was sent; what did not fit in its bounded queue is counted
# dropped. And the live invariant: every copy of the metrics file written
# under this traffic balances exactly (tests/lib/metrics_check.py).
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

WATCH="/usr/bin/python3 $SRC/tests/lib/metrics_watch.py"
SLOW="/usr/bin/python3 $SRC/tests/lib/slow_udp_collector.py"
netns_pair tx rx
start_nfcapd rx 2055 "$WORK/nf"
NF=$NFCAPD_PID
bg_ns rx $SLOW 127.0.0.1 2056 50 212992 "$WORK/slow.count"
SL=$LAST_PID
wait_for 5 udp_listening rx 2056 || fail "the slow collector did not start"
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:2055 -n ipfix://127.0.0.1:2056 \
	-t idle=1,active=2 --tcp-buffer 262144 --metrics-file "$WORK/m.prom" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"

rm -f "$WORK/stop"
$WATCH "$WORK/m.prom" --until "$WORK/stop" --check --max-interval 1.25 --min-samples 6 \
	> "$WORK/watch.txt" &
W=$!
in_ns tx "$TRAFGEN" --iface veth0 --flows 5000 --packets 50000 --pps 10000 --duration 8 \
	--expect "$WORK/sent.csv" >/dev/null || fail "the sender"
sleep 2
touch "$WORK/stop"
wait $W && wok=1 || wok=0
cat "$WORK/watch.txt"
[ "$wok" = 1 ] || fail "the drain interval stretched, or a copy of the metrics failed"
stop_jflowd "$JF" "$WORK/jflowd.log"
settle rx 2055
stop_nfcapd "$NF"
stop_pid "$SL"
SENT=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "packets") c = i; next }
	{ s += $c } END { print s }' "$WORK/sent.csv")
$METRICS_CHECK "$WORK/m.prom" --expect-metered "$SENT" || fail "metrics invariant"
slow='collector="ipfix://127.0.0.1:2056",protocol="ipfix"'
msgs=$(metric "$WORK/m.prom" jflowd_collector_messages_total "$slow")
dropped=$(metric "$WORK/m.prom" jflowd_collector_dropped_packets_total "$slow")
got=$(cat "$WORK/slow.count")
log "slow collector: $got datagrams read, $msgs messages sent, $dropped packets dropped"
expect_eq "datagrams the slow collector read = messages sent to it" "$got" "$msgs"
[ "$dropped" -gt 0 ] || fail "the slow collector kept up: the test did not test"
grep -q "reads slower than jflowd exports" "$WORK/jflowd.log" || fail "no warning of the slow collector"
expect_eq "packets at the healthy collector" \
	"$(nfdump -R "$WORK/nf" -q -o 'fmt:%pkt' | awk '{s += $1} END {print s + 0}')" "$SENT"
expect_eq "dropped for the healthy collector" \
	"$(metric "$WORK/m.prom" jflowd_collector_dropped_packets_total 'collector="ipfix://127.0.0.1:2055",protocol="ipfix"')" 0
