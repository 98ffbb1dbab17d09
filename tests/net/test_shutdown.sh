#!/bin/bash
# Pins: SIGTERM in the middle of full traffic detaches, drains both maps,
# exports every flow and exits 0; the collector then holds every packet
# the program metered, and the metrics close exactly.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

netns_pair tx rx 2
start_nfcapd rx 4739 "$WORK/nf" 127.0.0.1 67108864
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 -n v9://127.0.0.1:4739 \
	--metrics-file "$WORK/m.prom" -q 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for 10 test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
bg_ns tx "$TRAFGEN" --iface veth0 --flows 5000 --packets 50000 --cpu 0 --duration 4
S0=$LAST_PID
bg_ns tx "$TRAFGEN" --iface veth0 --flows 5000 --packets 50000 --cpu 1 --duration 4
S1=$LAST_PID
sleep 1.5
kill -TERM "$JF"
wait "$JF"; rc=$?
[ $rc -eq 0 ] || fail "jflowd exited $rc on SIGTERM"
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$JF" | tr '\n' ' ')
wait "$S0" "$S1" 2>/dev/null || true
settle rx 4739
stop_pid "$NFCAPD_PID"

METERED=$(metric "$WORK/m.prom" jflowd_packets_metered_total)
[ "$METERED" -gt 100000 ] || fail "too little traffic metered before SIGTERM: $METERED"
$METRICS_CHECK "$WORK/m.prom" --no-loss || fail "metrics invariant"
[ "$(metric "$WORK/m.prom" jflowd_packets_cached)" = 0 ] || fail "flows left in the cache"
# Two collectors on one nfcapd: it holds every packet twice.
GOT=$(nfdump -R "$WORK/nf" -I | awk '/^Packets:/ { print $2 }')
[ "$GOT" = $((2 * METERED)) ] || fail "collector has $GOT packets, jflowd metered $METERED (x2 collectors)"
log "ok: $METERED packets metered before SIGTERM, all at the collector"
