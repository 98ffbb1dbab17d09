#!/bin/bash
# Pins router mode: three namespaces (client, router with forwarding on and
# jflowd on both of its interfaces, server behind which a second network
# sits, one blackholed prefix). Ping, UDP and TCP through the router reach
# nfcapd (v9 and IPFIX) with exactly what the client's capture saw; every
# flow has the in/out interface and next hop `ip route get` gives, the
# topology's prefix lengths and forwarding status (dropped for the
# blackhole, consumed for the router's own address); a route changed mid-run
# is followed by the flows that start after it; tshark reads IEs 14, 15/62,
# 9/13/29/30, 61 and 89 with the same values.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/router_lib.sh"
need_root
need_cmd nfcapd nfdump dumpcap tshark ping

SEND="/usr/bin/python3 $SRC/tests/lib/sendflows.py"
RCHECK="/usr/bin/python3 $SRC/tests/lib/route_check.py"
CHECK="/usr/bin/python3 $SRC/tests/lib/cflow_check.py"
PCAPFLOWS="/usr/bin/python3 $SRC/tests/lib/pcapflows.py"

router_topology
bg_ns s $SEND tcp-server 8080
start_nfcapd r 2055 "$WORK/v9";    NF_V9=$NFCAPD_PID
start_nfcapd r 4739 "$WORK/ipfix"; NF_IPFIX=$NFCAPD_PID
capture_start r "udp port 2055 or udp port 4739" "$WORK/export.pcapng"
bg_ns c dumpcap -q -i vc -P -f "host 10.1.0.2 or host 2001:db8:1::2" -w "$WORK/client.pcap"
CLIENT_CAP=$LAST_PID
wait_for 20 test -s "$WORK/client.pcap" || fail "dumpcap on the client did not start"
bg_ns r "$JFLOWD" -i r0 -i r1 -n v9://127.0.0.1:2055 -n ipfix://127.0.0.1:4739 \
	--ipfix-sequence nfdump -t idle=2,active=60 --metrics-file "$WORK/m.prom" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
grep -q "router mode" "$WORK/jflowd.log" || fail "router mode not on: $(cat "$WORK/jflowd.log")"
sleep 0.3

E="$WORK/expect.txt"
{
	expect_route 1 10.1.0.2 10.2.0.2 '*' '*' r0 24 24
	expect_route 1 10.2.0.2 10.1.0.2 '*' '*' r1 24 24
	expect_route 1 10.1.0.2 10.3.1.1 '*' '*' r0 24 16
	expect_route 1 10.3.1.1 10.1.0.2 '*' '*' r1 16 24
	expect_route 1 10.1.0.2 10.9.1.1 '*' '*' r0 24 16
	expect_route 1 10.1.0.2 10.1.0.1 '*' '*' r0 24 32
	expect_route 58 2001:db8:1::2 2001:db8:3::1 '*' '*' r0 64 48
	expect_route 58 2001:db8:3::1 2001:db8:1::2 '*' '*' r1 48 64
	expect_route 58 2001:db8:1::2 2001:db8:9::1 '*' '*' r0 64 48
	expect_route 17 2001:db8:1::2 2001:db8:3::1 40003 5001 r0 64 48
	expect_route 6 10.1.0.2 10.3.1.1 40010 8080 r0 24 16
	expect_route 6 10.3.1.1 10.1.0.2 8080 40010 r1 16 24
} > "$E"

in_ns c ping -q -c 4 -i 0.2 10.2.0.2 >/dev/null || fail "ping 10.2.0.2"
in_ns c ping -q -c 3 -i 0.2 -s 300 10.3.1.1 >/dev/null || fail "ping 10.3.1.1"
in_ns c ping -q -c 2 -i 0.2 -W 1 10.9.1.1 >/dev/null && fail "the blackhole answered"
in_ns c ping -q -c 2 -i 0.2 10.1.0.1 >/dev/null || fail "ping the router"
in_ns c ping -q -6 -c 3 -i 0.2 2001:db8:3::1 >/dev/null || fail "ping 2001:db8:3::1"
in_ns c ping -q -6 -c 2 -i 0.2 -W 1 2001:db8:9::1 >/dev/null && fail "the IPv6 blackhole answered"
in_ns c $SEND udp 10.3.1.1 5001 40001 5 200 || fail "sender exited $?"
in_ns c $SEND udp 2001:db8:3::1 5001 40003 5 300 || fail "sender exited $?"
in_ns c $SEND tcp 10.3.1.1 8080 40010 200000 || fail "sender exited $?"

# Route change: 10.3.0.0/16 now via the second link. Flows that start
# after it follow it; those before keep what they were looked up with once
# the agent has seen them (one drain interval, 1 s, after their start).
sleep 1.5
echo "$(expect_route 17 10.1.0.2 10.3.1.1 40001 5001 r0 24 16) -$(date +%s%3N)" >> "$E"
ip -n "$(ns r)" route replace 10.3.0.0/16 via 10.4.0.2 dev r2
CHANGE_MS=$(date +%s%3N)
expect_route 17 10.1.0.2 10.3.1.1 40002 5001 r0 24 16 >> "$E"
grep -q " 40002 5001 [0-9]* $(rifindex r2) 10.4.0.2 " "$E" || fail "ip route get ignores the change"
in_ns c $SEND udp 10.3.1.1 5001 40002 4 100 || fail "sender exited $?"
# The flow of port 40001 again, once its first record has left the cache:
# the answer cached for it before the change must not be reused.
sleep 2.5
echo "$(expect_route 17 10.1.0.2 10.3.1.1 40001 5001 r0 24 16) $CHANGE_MS-" >> "$E"
in_ns c $SEND udp 10.3.1.1 5001 40001 3 100 || fail "sender exited $?"

sleep 3.5	# idle timeout 2 s, then a drain
stop_jflowd "$JF" "$WORK/jflowd.log"
stop_pid "$CLIENT_CAP"
settle r 2055
settle r 4739
capture_stop
stop_nfcapd "$NF_V9"
stop_nfcapd "$NF_IPFIX"

# Exact totals: what the client's capture saw, less the router's own
# replies (router-originated: not metered on ingress).
$PCAPFLOWS "$WORK/client.pcap" | awk -F, 'NR == 1 || ($3 != "10.1.0.1" && $3 != "2001:db8:1::1")' \
	> "$WORK/truth.csv"
HOSTS="host 10.1.0.2 or host 2001:db8:1::2"
for w in v9 ipfix; do
	nfdump -R "$WORK/$w" -o csv -N "$HOSTS" > "$WORK/$w.csv"
	$FLOWCMP "$WORK/truth.csv" "$WORK/$w.csv" || fail "$w: collector totals differ from the capture"
	TZ=UTC nfdump -R "$WORK/$w" -o json "$HOSTS" > "$WORK/$w.json"
	# nfdump 1.7.1 stores IE 89 from v9 only: tshark checks it in IPFIX.
	$RCHECK "$WORK/$w.json" "$E" --hosts 10.1.0.2,2001:db8:1::2 \
		$([ $w = ipfix ] && echo --no-fwd) > "$WORK/$w.table" \
		|| { cat "$WORK/$w.table"; fail "$w: router fields differ"; }
	log "$w: per-flow router fields (route_check):"
	sed "s/^/[$TEST_NAME]   /" "$WORK/$w.table"
done
log "$(wc -l < "$WORK/truth.csv") flows in the client's capture, totals exact in v9 and IPFIX"

# What the client sent (TCP aside: its segments are the kernel's), packets
# per protocol, source and destination at the collector: the pings' counts
# and the datagrams of each sendflows.py run above.
sort > "$WORK/sent.want" <<EOF2
1 10.1.0.2 10.2.0.2 4
1 10.1.0.2 10.3.1.1 3
1 10.1.0.2 10.9.1.1 2
1 10.1.0.2 10.1.0.1 2
58 2001:db8:1::2 2001:db8:3::1 3
58 2001:db8:1::2 2001:db8:9::1 2
17 10.1.0.2 10.3.1.1 $((5 + 4 + 3))
17 2001:db8:1::2 2001:db8:3::1 5
EOF2
for w in v9 ipfix; do
	nfdump -R "$WORK/$w" -q -N -A proto,srcip,dstip -o 'fmt:%pr %sa %da %pkt' \
		'not proto tcp and (src host 10.1.0.2 or src host 2001:db8:1::2)' \
		| sed 's/  */ /g; s/^ //; s/ $//' | sort > "$WORK/sent.$w"
	diff "$WORK/sent.want" "$WORK/sent.$w" || fail "$w: packets differ from what the client sent"
done
log "the client's pings and datagrams at the collector as sent (v9 and IPFIX)"

# tshark: the same values in IEs 10, 14, 15/62, 9/13 and 29/30, 61, 89.
# tshark splits IE 89 into the status (bits 7-6) and one reason code field.
awk '$1 != "#" { print $2, $3, $6, $7, $8, $9, $10, $12, $11 }' "$E" | sort -u > "$WORK/ts.want"
FWD="cflow.forwarding_status cflow.forwarding_status_forward_code
	cflow.forwarding_status_drop_code cflow.forwarding_status_consume_code"
for p in 2055 4739; do
	{
		$CHECK values "$WORK/export.pcapng" $p 256 cflow.srcaddr cflow.dstaddr cflow.inputint \
			cflow.outputint cflow.nexthop cflow.srcmask cflow.dstmask cflow.direction $FWD
		$CHECK values "$WORK/export.pcapng" $p 257 cflow.srcaddrv6 cflow.dstaddrv6 \
			cflow.inputint cflow.outputint cflow.nexthopv6 cflow.srcmaskv6 cflow.dstmaskv6 \
			cflow.direction $FWD
	} | awk -F'\t' '{ print $1, $2, $3, $4, $5, $6, $7, $8, $9 * 64 + ($10 $11 $12) }' \
		| grep -E '^(10\.1\.0\.2|2001:db8:1::2) |^[^ ]+ (10\.1\.0\.2|2001:db8:1::2) ' \
		| sort -u > "$WORK/ts.$p"
	diff "$WORK/ts.want" "$WORK/ts.$p" || fail "port $p: tshark's router fields differ"
	log "port $p: tshark's IEs 10/14/15/62/9/13/29/30/61/89 of $(wc -l < "$WORK/ts.$p") flows as expected"
done
log "ok"
