#!/bin/bash
# Pins the other capture backends on a live interface: generic XDP
# (-m xdp-generic) and libpcap (-m pcap) export exactly what was sent,
# per flow, like native XDP.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

netns_pair tx rx
for mode in xdp-generic pcap; do
	start_nfcapd rx 4739 "$WORK/nf-$mode"
	bg_ns rx "$JFLOWD" -i veth0 -m "$mode" -n ipfix://127.0.0.1:4739 \
		--metrics-file "$WORK/$mode.prom" 2>"$WORK/$mode.log"
	JF=$LAST_PID
	wait_for "$JF_START_S" test -s "$WORK/$mode.prom" || fail "$mode: jflowd did not start: $(cat "$WORK/$mode.log")"
	sleep 0.5	# libpcap's socket is ready after activation; give it a moment
	in_ns tx "$TRAFGEN" --iface veth0 --flows 200 --packets 20000 --size 64-1500 \
		--framing plain,vlan --pps 20000 --expect "$WORK/$mode.expect" || fail "$mode: sender exited $?"
	sleep 1.5
	stop_jflowd "$JF" "$WORK/$mode.log"
	settle rx 4739
	stop_pid "$NFCAPD_PID"
	grep -q "$([ $mode = pcap ] && echo 'with libpcap' || echo 'with generic XDP')" "$WORK/$mode.log" \
		|| fail "$mode: not the backend asked for: $(cat "$WORK/$mode.log")"
	nfdump_csv "$WORK/nf-$mode" "$WORK/$mode.csv"
	$FLOWCMP "$WORK/$mode.expect" "$WORK/$mode.csv" --vlan || fail "$mode: collector totals differ"
	$METRICS_CHECK "$WORK/$mode.prom" --no-loss --expect-metered 20000 || fail "$mode: metrics"
done
log "ok"
