#!/bin/bash
# Pins (fault: a UDP collector away): nfcapd stopped for 4 s under steady
# traffic. UDP cannot confirm delivery, but the collector's refusals (ICMP
# port unreachable) are counted: the metrics show, per collector, the
# packets sent while it refused, nearly all it is short of (not what sat
# unread in its socket when it stopped), and the no-loss check fails.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

netns_pair tx rx
start_nfcapd rx 2055 "$WORK/nf1"
N1=$NFCAPD_PID
bg_ns rx "$JFLOWD" -i veth0 -n v9://127.0.0.1:2055 -t idle=1,active=1 \
	--metrics-file "$WORK/m.prom" 2> "$WORK/jflowd.log"
JF=$LAST_PID
wait_for 5 test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
bg_ns tx "$TRAFGEN" --iface veth0 --flows 200 --packets 2000 --pps 2000 --duration 10 \
	--expect "$WORK/sent.csv"
TX=$LAST_PID
sleep 3
T0=$(date +%s%N)
stop_nfcapd "$N1"
STOP_MS=$(( ($(date +%s%N) - T0) / 1000000 ))
sleep 4
start_nfcapd rx 2055 "$WORK/nf2"
N2=$NFCAPD_PID
wait "$TX" || fail "trafgen exited $?"
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$TX" | tr '\n' ' ')
sleep 3
stop_jflowd "$JF" "$WORK/jflowd.log"
settle rx 2055
stop_nfcapd "$N2"
cat "$WORK/jflowd.log"
METERED=$(metric "$WORK/m.prom" jflowd_packets_metered_total)
expect_eq "packets metered = packets the sender sent" "$METERED" \
	"$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "packets") c = i; next }
		{ s += $c } END { print s }' "$WORK/sent.csv")"
REFUSED=$(metric "$WORK/m.prom" jflowd_collector_refused_packets_total) ||
	fail "no jflowd_collector_refused_packets_total in the metrics"
GOT=$(( $(nfdump -R "$WORK/nf1" -I | awk '/^Packets:/ { print $2 }') +
	$(nfdump -R "$WORK/nf2" -I | awk '/^Packets:/ { print $2 }') ))
log "metered $METERED, at the collector $GOT, sent while refused $REFUSED"
[ "$GOT" -lt "$METERED" ] || fail "the collector missed nothing: the outage did not happen"
[ "$REFUSED" -gt 0 ] || fail "no packet counted as sent while the collector refused"
# What the collector's socket held when it stopped never drew a refusal:
# jflowd cannot see it: what arrived while nfcapd took its time to stop
# (STOP_MS at 2000 packets/s; long on a loaded machine) and a quarter
# second more.
SLACK=$(( 500 + 2 * STOP_MS ))
log "nfcapd took $STOP_MS ms to stop: up to $SLACK packets unseen"
[ $((GOT + REFUSED + SLACK)) -ge "$METERED" ] ||
	fail "the metrics account for $REFUSED of the $((METERED - GOT)) packets missing"
# Counted in 100 ms slots: at most a few slots of traffic (2000 pps) more.
[ $((GOT + REFUSED - METERED)) -le 1000 ] ||
	fail "$((GOT + REFUSED - METERED)) packets counted as refused that arrived"
if $METRICS_CHECK "$WORK/m.prom" --no-loss; then
	fail "the no-loss check passed although the collector missed packets"
fi
grep -q "not delivered" "$WORK/jflowd.log" || fail "no loss summary at exit"
grep -q "port unreachable (1 time); still sending" "$WORK/jflowd.log" \
	|| fail "no first refusal warning, in English: $(grep unreachable "$WORK/jflowd.log")"
log "ok: what a refusing UDP collector missed is in the metrics"
