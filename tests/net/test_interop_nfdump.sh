#!/bin/bash
# Pins: nfcapd/nfdump 1.7.1 receiving v5, v9 and IPFIX from one jflowd run
# stores exact per-flow totals and first/last times (ms), MPLS labels and
# VLANs, with zero sequence failures (IPFIX with --ipfix-sequence nfdump);
# with the default RFC numbering nfdump counts exactly one failure per
# options-bearing message after the first data message, and no other;
# as the README says, nfcapd -t 3 shows every flow in a rotated file within
# seconds while it runs.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump dumpcap tshark

# 30 s of traffic, flows split by the active timeout, templates and
# options every 5 s so options messages come between data messages.
"$TRAFGEN" --out "$WORK/in.pcap" --flows 240 --packets 12000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --framing plain,vlan,qinq,mpls --tcp-session \
	--rate 400 --expect "$WORK/expect.csv"
/usr/bin/python3 "$SRC/tests/lib/pcapflows.py" "$WORK/in.pcap" > "$WORK/truth.csv"
JF_OPTS=(-t idle=3,active=10,fin=1 --template-interval 5 -q)

netns_pair a b
start_nfcapd a 2055 "$WORK/v5";  NF_V5=$NFCAPD_PID
start_nfcapd a 2056 "$WORK/v9";  NF_V9=$NFCAPD_PID
start_nfcapd a 4739 "$WORK/ipfix"; NF_IPFIX=$NFCAPD_PID
start_nfcapd a 4740 "$WORK/rfc"; NF_RFC=$NFCAPD_PID
# The README's quick look: a short rotation.
mkdir -p "$WORK/t3"
bg_ns a nfcapd -w "$WORK/t3" -p 2057 -b 127.0.0.1 -t 3
NF_T3=$LAST_PID
wait_for 5 udp_listening a 2057 || fail "nfcapd -t 3 did not start"

in_ns a "$JFLOWD" -r "$WORK/in.pcap" -n v5://127.0.0.1:2055 -n v9://127.0.0.1:2056 \
	-n ipfix://127.0.0.1:4739 -n v9://127.0.0.1:2057 --ipfix-sequence nfdump \
	"${JF_OPTS[@]}" --metrics-file "$WORK/m.prom" || fail "jflowd exited $?"
rotated() { # packets in the files nfcapd -t 3 rotated, while it runs
	local f
	for f in "$WORK"/t3/nfcapd.2*; do [ -e "$f" ] && nfdump -r "$f" -q -o 'fmt:%pkt'; done \
		| awk '{ s += $1 } END { print s + 0 }'
}
all_rotated() { [ "$(rotated)" = 12000 ]; }
wait_for 10 all_rotated || fail "nfcapd -t 3: $(rotated) packets in rotated files, want 12000"
log "nfcapd -t 3: every packet in a rotated file within seconds, nfcapd still running"
stop_nfcapd "$NF_T3"

# The same again with RFC numbering (the default), captured to know which
# messages carried options data.
capture_start a "udp port 4740" "$WORK/rfc.pcapng"
in_ns a "$JFLOWD" -r "$WORK/in.pcap" -n ipfix://127.0.0.1:4740 "${JF_OPTS[@]}" \
	--metrics-file "$WORK/m_rfc.prom" || fail "jflowd (rfc) exited $?"
for p in 2055 2056 4739 4740; do settle a $p; done
capture_stop
for p in $NF_V5 $NF_V9 $NF_IPFIX $NF_RFC; do stop_nfcapd "$p"; done

$METRICS_CHECK "$WORK/m.prom" --no-loss --expect-metered 12000 || fail "metrics invariant"
v6_packets=$(awk -F, 'NR > 1 && $1 == 6 { s += $11 } END { print s }' "$WORK/expect.csv")
expect_eq "v5 unexportable packets (IPv6)" \
	"$(metric "$WORK/m.prom" jflowd_collector_unexportable_packets_total 'protocol="v5"')" "$v6_packets"

for w in v5 v9 ipfix; do
	log "$w: nfdump $(nfdump -V | head -1)"
	family=(); vlan=(--vlan)
	[ $w = v5 ] && family=(--family 4) && vlan=()		# v5: IPv4 only, no VLAN
	TZ=UTC nfdump -R "$WORK/$w" -o json > "$WORK/$w.json"
	$FLOWCMP "$WORK/truth.csv" "$WORK/$w.json" --format nfdump-json "${family[@]}" \
		"${vlan[@]}" --times || fail "$w: collector totals or times differ"
	failures=$(nfdump -R "$WORK/$w" -I | awk -F': ' '/^Sequence failures/ { print $2 }')
	expect_eq "$w: nfdump -I sequence failures" "$failures" 0
done

# MPLS (templates 258/259): the labels of every MPLS flow, as nfdump prints
# them (label-exp-bos; the second label is the bottom of the stack).
awk -F, 'NR > 1 && $9 != 0 { printf "%s %s-%s-0 %s-0-1 0-0-0\n", $3, $9, $14, $10 }' "$WORK/expect.csv" \
	| sort -u > "$WORK/mpls.want"
[ -s "$WORK/mpls.want" ] || fail "no MPLS flows generated"
for w in v9 ipfix; do
	nfdump -R "$WORK/$w" -o csv -q -N | awk -F, '$32 != "0-0-0" { print $4, $32, $33, $34 }' \
		| sort -u > "$WORK/mpls.$w"
	diff "$WORK/mpls.want" "$WORK/mpls.$w" || fail "$w: MPLS labels differ"
	log "$w: MPLS labels of $(wc -l < "$WORK/mpls.$w") flows (IPv4 and IPv6) match"
done

# RFC numbering: nfdump's failures are exactly the options-bearing
# messages followed by another message, once data has been seen.
TZ=UTC nfdump -R "$WORK/rfc" -o json > "$WORK/rfc.json"
$FLOWCMP "$WORK/truth.csv" "$WORK/rfc.json" --format nfdump-json --vlan --times \
	|| fail "rfc: collector totals differ"
want=$(/usr/bin/python3 "$SRC/tests/lib/cflow_check.py" nfdump-failures "$WORK/rfc.pcapng" 4740)
[ "$want" -ge 3 ] || fail "too few options messages after data ($want) to tell the numberings apart"
got=$(nfdump -R "$WORK/rfc" -I | awk -F': ' '/^Sequence failures/ { print $2 }')
expect_eq "rfc: nfdump -I sequence failures (= options messages after data)" "$got" "$want"
expect_eq "rfc: messages captured = sent" \
	"$(tshark -r "$WORK/rfc.pcapng" -Y 'udp.dstport==4740' | wc -l)" \
	"$(metric "$WORK/m_rfc.prom" jflowd_collector_messages_total)"
log "ok"
