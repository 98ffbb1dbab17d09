#!/bin/bash
# Pins: plain, 802.1Q, QinQ and MPLS frames carrying IPv4 and IPv6 TCP, UDP
# and ICMP give exact per-flow totals (VLAN in the key) through `jflowd -r`
# and, sent over a veth, through the XDP program; Linux cooked (SLL) and
# raw-IP captures too.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

GEN=(--flows 480 --packets 24000 --size 64-1500 --protos tcp,udp,icmp --families 4,6
     --framing plain,vlan,qinq,mpls)
netns_pair tx rx

run_file() { # NAME PCAP EXPECT [flowcmp args]
	local name=$1 pcap=$2 expect=$3; shift 3
	start_nfcapd rx 4739 "$WORK/nf-$name"
	in_ns rx "$JFLOWD" -r "$pcap" -n ipfix://127.0.0.1:4739 --metrics-file "$WORK/$name.prom" -q \
		|| fail "$name: jflowd -r exited $?"
	settle rx 4739
	stop_pid "$NFCAPD_PID"
	nfdump_csv "$WORK/nf-$name" "$WORK/$name.csv"
	$FLOWCMP "$expect" "$WORK/$name.csv" "$@" || fail "$name: collector totals differ"
	$METRICS_CHECK "$WORK/$name.prom" --no-loss || fail "$name: metrics"
}

log "capture file, mixed framing"
"$TRAFGEN" --out "$WORK/mixed.pcap" "${GEN[@]}" --expect "$WORK/mixed.expect"
run_file mixed "$WORK/mixed.pcap" "$WORK/mixed.expect" --vlan
# MPLS flows carry their labels to the collector (nfdump csv mpls1).
awk -F, 'NR > 1 && $32 ~ /^16[0-9]+-/ { n++ } END { exit !(n > 0) }' "$WORK/mixed.csv" \
	|| fail "no MPLS label at the collector"

log "capture file, Linux cooked (SLL) and raw IP"
"$TRAFGEN" --out "$WORK/sll.pcap" --linktype sll --flows 60 --packets 3000 --expect "$WORK/sll.expect"
run_file sll "$WORK/sll.pcap" "$WORK/sll.expect"
"$TRAFGEN" --out "$WORK/raw.pcap" --linktype raw --flows 60 --packets 3000 --expect "$WORK/raw.expect"
run_file raw "$WORK/raw.pcap" "$WORK/raw.expect"

log "the same mixed traffic over a veth into XDP"
start_nfcapd rx 4739 "$WORK/nf-xdp"
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 --metrics-file "$WORK/xdp.prom" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/xdp.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
in_ns tx "$TRAFGEN" --iface veth0 "${GEN[@]}" --pps 20000 --expect "$WORK/xdp-sent.csv" \
	|| fail "sender exited $?"
sleep 1.5
stop_jflowd "$JF" "$WORK/jflowd.log"
settle rx 4739
stop_pid "$NFCAPD_PID"
cmp -s "$WORK/mixed.expect" "$WORK/xdp-sent.csv" || fail "trafgen sent different flows"
nfdump_csv "$WORK/nf-xdp" "$WORK/xdp.csv"
$FLOWCMP "$WORK/xdp-sent.csv" "$WORK/xdp.csv" --vlan || fail "XDP: collector totals differ"
$METRICS_CHECK "$WORK/xdp.prom" --no-loss --expect-metered 24000 || fail "XDP: metrics"
log "ok"
