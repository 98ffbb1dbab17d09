#!/bin/bash
# Pins (fault: a UDP collector away): two nfcapd stopped for 4 s under
# steady traffic. The remote one (an address jflowd does not pace on) can
# not confirm delivery, but its refusals (ICMP port unreachable) are
# counted: the metrics show the packets sent while it refused, nearly all
# it is short of, and the no-loss check fails. The one on this host
# (127.0.0.1) is looked for again while it is away: what is exported then
# waits in jflowd and reaches it when it is back, templates first: it
# misses the message that told jflowd it was gone (counted refused) and
# what sat unread in its socket when it stopped.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

netns_pair tx rx
in_ns rx ip addr add 10.0.0.2/24 dev veth0
start_nfcapd rx 2055 "$WORK/nf1" 10.0.0.2
N1=$NFCAPD_PID
start_nfcapd rx 2056 "$WORK/lo1"
L1=$NFCAPD_PID
bg_ns rx "$JFLOWD" -i veth0 -n v9://10.0.0.2:2055 -n v9://127.0.0.1:2056 -t idle=1,active=1 \
	--metrics-file "$WORK/m.prom" 2> "$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
bg_ns tx "$TRAFGEN" --iface veth0 --flows 200 --packets 2000 --pps 2000 --duration 10 \
	--expect "$WORK/sent.csv"
TX=$LAST_PID
sleep 3
# Right after a drain: its records are out, the next are a second away.
# (A refusal counts back to 200 ms before it: a stop in the middle of a
# drain's messages would count those the collector took before it went.)
d=$(metric "$WORK/m.prom" jflowd_drains_total)
wait_for 5 sh -c "! grep -qx 'jflowd_drains_total $d' '$WORK/m.prom'" || fail "no drain"
T0=$(date +%s%N)
stop_nfcapd "$N1"
STOP_MS=$(( ($(date +%s%N) - T0) / 1000000 ))
stop_nfcapd "$L1"
sleep 4
start_nfcapd rx 2055 "$WORK/nf2" 10.0.0.2
N2=$NFCAPD_PID
start_nfcapd rx 2056 "$WORK/lo2"
L2=$NFCAPD_PID
wait "$TX" || fail "trafgen exited $?"
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$TX" | tr '\n' ' ')
sleep 3
stop_jflowd "$JF" "$WORK/jflowd.log"
settle rx 2056
stop_nfcapd "$N2"
stop_nfcapd "$L2"
cat "$WORK/jflowd.log"
METERED=$(metric "$WORK/m.prom" jflowd_packets_metered_total)
expect_eq "packets metered = packets the sender sent" "$METERED" \
	"$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "packets") c = i; next }
		{ s += $c } END { print s }' "$WORK/sent.csv")"
packets() { nfdump -R "$1" -I | awk '/^Packets:/ { print $2 }'; }

# The remote one: refusals counted.
REMOTE='collector="v9://10.0.0.2:2055",protocol="v9"'
REFUSED=$(metric "$WORK/m.prom" jflowd_collector_refused_packets_total "$REMOTE") ||
	fail "no jflowd_collector_refused_packets_total in the metrics"
GOT=$(( $(packets "$WORK/nf1") + $(packets "$WORK/nf2") ))
log "remote: metered $METERED, at the collector $GOT, sent while refused $REFUSED"
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

# The one on this host: held while away, delivered when back. The one
# message sent before jflowd knew it was gone drew the refusal and is
# counted so (with its 100 ms slot).
LOCAL='collector="v9://127.0.0.1:2056",protocol="v9"'
LGOT=$(( $(packets "$WORK/lo1") + $(packets "$WORK/lo2") ))
LREFUSED=$(metric "$WORK/m.prom" jflowd_collector_refused_packets_total "$LOCAL")
log "local: metered $METERED, at the collector $LGOT, sent while refused $LREFUSED"
expect_eq "local: dropped" "$(metric "$WORK/m.prom" jflowd_collector_dropped_packets_total "$LOCAL")" 0
[ "$LREFUSED" -le 1000 ] || fail "the collector on this host: $LREFUSED packets sent while it was away"
[ $((LGOT + LREFUSED + 500)) -ge "$METERED" ] ||
	fail "the collector on this host missed $((METERED - LGOT)) packets, $LREFUSED counted"
[ "$(packets "$WORK/lo2")" -gt 6000 ] || fail "what waited did not reach the collector when it came back"

if $METRICS_CHECK "$WORK/m.prom" --no-loss; then
	fail "the no-loss check passed although the collector missed packets"
fi
grep -q "not delivered" "$WORK/jflowd.log" || fail "no loss summary at exit"
grep -q "port unreachable (1 time); still sending" "$WORK/jflowd.log" \
	|| fail "no first refusal warning, in English: $(grep unreachable "$WORK/jflowd.log")"
log "ok: what a refusing UDP collector missed is in the metrics; one on this host missed nothing"
