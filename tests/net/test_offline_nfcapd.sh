#!/bin/bash
# Pins: a generated capture through `jflowd -r` into nfcapd gives exact
# per-flow packet and octet totals, and the metrics close the invariant.
. "$(dirname "$0")/lib.sh"
need_cmd nfcapd nfdump

"$TRAFGEN" --out "$WORK/in.pcap" --flows 500 --packets 20000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --rate 5000 --expect "$WORK/expect.csv"

if [ "$(id -u)" = 0 ]; then
	netns_pair a b
	N=a; PORT=4739
	start_nfcapd a $PORT "$WORK/nf"
	run() { in_ns a "$@"; }
else
	N=-; PORT=$(free_port)
	start_nfcapd - $PORT "$WORK/nf"
	run() { "$@"; }
fi

run "$JFLOWD" -r "$WORK/in.pcap" -n "ipfix://127.0.0.1:$PORT" --metrics-file "$WORK/m.prom" -q \
	|| fail "jflowd -r exited $?"
settle $N $PORT
stop_pid "$NFCAPD_PID"
nfdump_csv "$WORK/nf" "$WORK/got.csv"
# The capture lasts 4 s, under every timeout: one record per flow. (A flow
# split across two cache entries would still sum right.)
$FLOWCMP "$WORK/expect.csv" "$WORK/got.csv" --max-records 1 || fail "collector totals differ"
grep -qx "jflowd_flows_created_total 500" "$WORK/m.prom" ||
	fail "cache entries created: $(grep '^jflowd_flows_created_total' "$WORK/m.prom")"
$METRICS_CHECK "$WORK/m.prom" --no-loss --expect-metered 20000 || fail "metrics invariant"
log "ok"
