#!/bin/bash
# Pins egress metering (-i IFACE:both): in the routed namespaces, with
# jflowd metering both router interfaces in and out, every packet that
# crosses the server link is counted exactly once (the server's capture is
# the truth; TSO super-packets count as the segments they stand for): a
# forwarded packet at its ingress with direction 0, what the router sends
# itself (ping, UDP, a TCP transfer with GSO) at egress with direction 1,
# input interface 0 and the output interface it left by.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/router_lib.sh"
need_root
need_cmd nfcapd nfdump dumpcap ping

SEND="/usr/bin/python3 $SRC/tests/lib/sendflows.py"
RCHECK="/usr/bin/python3 $SRC/tests/lib/route_check.py"
PCAPFLOWS="/usr/bin/python3 $SRC/tests/lib/pcapflows.py"

router_topology
R0=$(rifindex r0)
R1=$(rifindex r1)
bg_ns s $SEND tcp-server 8080
start_nfcapd r 2055 "$WORK/v9"
NF=$NFCAPD_PID
bg_ns s dumpcap -q -i vs -P -f ip -w "$WORK/server.pcap"
CAP=$LAST_PID
wait_for 20 test -s "$WORK/server.pcap" || fail "dumpcap on the server did not start"
bg_ns r "$JFLOWD" -i r0:both -i r1:both -n v9://127.0.0.1:2055 -t idle=2,active=60 \
	--metrics-file "$WORK/m.prom" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
grep -q "metering r1 on egress" "$WORK/jflowd.log" || fail "no egress metering: $(cat "$WORK/jflowd.log")"
sleep 0.3

# Forwarded (counted at ingress only) ...
in_ns c ping -q -c 5 -i 0.2 10.2.0.2 >/dev/null || fail "client ping"
in_ns c $SEND udp 10.2.0.2 5001 40001 5 200 || fail "sender exited $?"
# ... and the router's own traffic (counted at egress).
in_ns r ping -q -c 3 -i 0.2 10.2.0.2 >/dev/null || fail "router ping to the server"
in_ns r ping -q -c 2 -i 0.2 10.1.0.2 >/dev/null || fail "router ping to the client"
in_ns r $SEND udp 10.2.0.2 5001 40100 4 300 || fail "sender exited $?"
in_ns r $SEND tcp 10.2.0.2 8080 40110 300000 || fail "sender exited $?"

sleep 3.5
stop_jflowd "$JF" "$WORK/jflowd.log"
stop_pid "$CAP"
settle r 2055
stop_nfcapd "$NF"

# Exactly once: the server link's capture against every flow that crossed it.
$PCAPFLOWS "$WORK/server.pcap" --mss 1448 > "$WORK/truth.csv"
nfdump -R "$WORK/v9" -o csv -N "host 10.2.0.2" > "$WORK/got.csv"
$FLOWCMP "$WORK/truth.csv" "$WORK/got.csv" || fail "collector totals differ from the server link"
log "$(($(wc -l < "$WORK/truth.csv") - 1)) flows on the server link, each packet counted once"

# What the client and the router sent (TCP aside: its segments are the
# kernel's): the pings' counts (the client answers the router's 2 echo
# requests) and each sendflows.py run's datagrams.
sort > "$WORK/sent.want" <<EOF2
1 10.1.0.2 10.2.0.2 5
17 10.1.0.2 10.2.0.2 5
1 10.2.0.1 10.2.0.2 3
1 10.1.0.1 10.1.0.2 2
1 10.1.0.2 10.1.0.1 2
17 10.2.0.1 10.2.0.2 4
EOF2
nfdump -R "$WORK/v9" -q -N -A proto,srcip,dstip -o 'fmt:%pr %sa %da %pkt' \
	'not proto tcp and (src host 10.1.0.2 or src host 10.2.0.1 or src host 10.1.0.1)' \
	| sed 's/  */ /g; s/^ //; s/ $//' | sort > "$WORK/sent.got"
diff "$WORK/sent.want" "$WORK/sent.got" || fail "packets differ from what the senders sent"
log "the client's and the router's pings and datagrams at the collector as sent"

# Direction, interfaces and forwarding status of each flow.
E="$WORK/expect.txt"
{
	expect_route 1 10.1.0.2 10.2.0.2 '*' '*' r0 24 24
	expect_route 1 10.2.0.2 10.1.0.2 '*' '*' r1 24 24
	expect_route 17 10.1.0.2 10.2.0.2 40001 5001 r0 24 24
	expect_route 1 10.2.0.2 10.2.0.1 '*' '*' r1 24 32
	# sent by the router: in 0, out the interface, direction 1
	echo "1 10.2.0.1 10.2.0.2 * * 0 $R1 0.0.0.0 32 24 64 1"
	echo "1 10.1.0.1 10.1.0.2 * * 0 $R0 0.0.0.0 32 24 64 1"
	echo "17 10.2.0.1 10.2.0.2 40100 5001 0 $R1 0.0.0.0 32 24 64 1"
	echo "6 10.2.0.1 10.2.0.2 40110 8080 0 $R1 0.0.0.0 32 24 64 1"
	expect_route 6 10.2.0.2 10.2.0.1 8080 40110 r1 24 32
	expect_route 1 10.1.0.2 10.1.0.1 '*' '*' r0 24 32
} > "$E"
TZ=UTC nfdump -R "$WORK/v9" -o json > "$WORK/got.json"
# (The router's own IPv6 MLD reports, at egress too, are not checked here.)
$RCHECK "$WORK/got.json" "$E" --hosts 10.1.0.1,10.1.0.2,10.2.0.1,10.2.0.2 > "$WORK/table" || { cat "$WORK/table"; fail "router fields differ"; }
sed "s/^/[$TEST_NAME]   /" "$WORK/table"
grep -q "^ *1 *10.1.0.1 .* 1 *2 *168$" "$WORK/table" || fail "the router's ping to the client is not one egress flow of 2 packets"

# GSO: the server's capture holds TSO super-packets of the router's TCP
# transfer; the collector has the segments they stand for (equal to the
# --mss expansion above), more than the frames captured.
FRAMES=$($PCAPFLOWS "$WORK/server.pcap" | awk -F, '$3 == "10.2.0.1" && $4 == 40110 { print $12 }')
GOT=$(nfdump -R "$WORK/v9" -q -N -o 'fmt:%pkt' 'src ip 10.2.0.1 and proto tcp' | awk '{ s += $1 } END { print s }')
[ "$FRAMES" -lt "$GOT" ] || fail "no GSO in the router's TCP transfer ($FRAMES frames, $GOT packets)"
log "router's TCP: $FRAMES frames captured (GSO), $GOT segments at the collector"
log "ok"
