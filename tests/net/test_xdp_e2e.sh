#!/bin/bash
# Pins: jflowd attached with native XDP to a jumbo-MTU veth (multi-buffer
# frames up to 8900 bytes), fed real packets from a
# second namespace, exports exactly what was sent, per flow, to nfcapd; the
# log says what it allocates before it does, what it exports where once it
# runs, and the totals at exit, which equal what was sent.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

netns_pair tx rx
start_nfcapd rx 4739 "$WORK/nf"
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 --metrics-file "$WORK/m.prom" \
	-t idle=5,active=60 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
grep -q "with native XDP" "$WORK/jflowd.log" || fail "not native XDP: $(cat "$WORK/jflowd.log")"
sleep 0.2

in_ns tx "$TRAFGEN" --iface veth0 --flows 300 --packets 30000 --size 64-8900 \
	--protos tcp,udp,icmp --families 4,6 --pps 20000 --expect "$WORK/expect.csv" || fail "sender exited $?"
sleep 1.5
stop_jflowd "$JF" "$WORK/jflowd.log"
settle rx 4739
stop_pid "$NFCAPD_PID"

nfdump_csv "$WORK/nf" "$WORK/got.csv"
$FLOWCMP "$WORK/expect.csv" "$WORK/got.csv" || fail "collector totals differ"
$METRICS_CHECK "$WORK/m.prom" --no-loss --expect-metered 30000 || fail "metrics invariant"

# The log: sizing before the attach, the summary, the totals at exit.
first() { grep -n "$1" "$WORK/jflowd.log" | head -1 | cut -d: -f1; }
[ -n "$(first 'flow state: .* MiB: allocating')" ] && [ -n "$(first 'metering veth0')" ] \
	&& [ "$(first 'flow state:')" -lt "$(first 'metering veth0')" ] \
	|| fail "no sizing line before the attach: $(cat "$WORK/jflowd.log")"
grep -q "info: exporting flows of veth0 to ipfix://127.0.0.1:4739: timeouts idle 5 s, active 60 s, fin 2 s; every packet" \
	"$WORK/jflowd.log" || fail "no start-up summary: $(cat "$WORK/jflowd.log")"
flows=$(awk -F, 'NR > 1 { n++ } END { print n }' "$WORK/expect.csv")
grep -qE "info: totals after [0-9]+ s: 30000 packets metered, 30000 of them exported in $flows flow records, 0 still cached, [0-9]+ non-IP, 0 lost\$" \
	"$WORK/jflowd.log" || fail "totals at exit: $(grep totals "$WORK/jflowd.log")"
grep -q "info: collector ipfix://127.0.0.1:4739: $flows flow records (30000 packets) sent in [0-9]* messages, 0 dropped, 0 unexportable" \
	"$WORK/jflowd.log" || fail "collector totals at exit: $(grep 'collector ' "$WORK/jflowd.log")"
log "$(grep -E 'flow state|exporting flows|totals|collector ' "$WORK/jflowd.log" | sed 's/^jflowd: //' | paste -sd'|')"
log "ok"
