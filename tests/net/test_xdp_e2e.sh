#!/bin/bash
# Pins: jflowd attached with native XDP to a jumbo-MTU veth (multi-buffer
# frames up to 8900 bytes), fed real packets from a
# second namespace, exports exactly what was sent, per flow, to nfcapd.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

netns_pair tx rx
start_nfcapd rx 4739 "$WORK/nf"
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 --metrics-file "$WORK/m.prom" \
	-t idle=5,active=60 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for 10 test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
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
log "ok"
