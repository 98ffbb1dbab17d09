#!/bin/bash
# Pins NAT-aware flows and NAT event logging on a Linux NAT router: client,
# router (nftables masquerade to the server side, IPv4 and IPv6, one TCP/UDP
# port forward and one ICMP forward back to the client) and server; jflowd on both
# router interfaces with --nat-lookup, --nat-events and a [record] with the
# post-NAT fields. For TCP, UDP and ICMP, outbound and forwarded inbound, and
# UDP and ICMPv6 through the IPv6 masquerade, the flow records at nfcapd
# carry in IE 225-228 (281/282, from the v9 copy: nfdump's IPFIX decoder
# lacks them) the other side of the translation that `conntrack -L` shows
# while the traffic flows, in both directions; every session has exactly one
# create and one delete event with that translation and the interfaces its
# flows came in on, created within the session and deleted after its last
# packet (conntrack's timestamps). Then a burst of sessions while
# jflowd is stopped overflows its event socket: the kernel's drops show as
# jflowd_nat_event_overflows_total, logged once, and after the re-read every
# burst session still has exactly one create and one delete.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/router_lib.sh"
need_root
need_cmd nfcapd nfdump nft conntrack ping

SEND="/usr/bin/python3 $SRC/tests/lib/sendflows.py"
CHECK="/usr/bin/python3 $SRC/tests/lib/nat_check.py"
now_ms() { date +%s%3N; }

router_topology
R=$(ns r)
# 10.2.0.3: a second public address, forwarded whole (ICMP included) to
# the client; 10.2.0.1:8080 (TCP and UDP) to the client's port 80.
ip -n "$R" addr add 10.2.0.3/32 dev r1
ip -n "$(ns s)" neigh replace 10.2.0.3 lladdr 02:00:00:00:02:01 dev vs nud permanent
in_ns r nft -f - <<'EOF'
table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat;
		iifname "r1" ip daddr 10.2.0.1 tcp dport 8080 dnat to 10.1.0.2:80
		iifname "r1" ip daddr 10.2.0.1 udp dport 8080 dnat to 10.1.0.2:80
		iifname "r1" ip daddr 10.2.0.3 dnat to 10.1.0.2
	}
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "r1" masquerade
	}
}
table ip6 nat {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "r1" masquerade
	}
}
EOF
# Sessions end within seconds of their last packet, so the test sees
# their delete; TCP keeps its entry a little after the close, for the
# lookup at the next drain. Conntrack's timestamps date the events (when
# the session began and ended, not when jflowd read them).
in_ns r sysctl -qw net.netfilter.nf_conntrack_timestamp=1 \
	net.netfilter.nf_conntrack_udp_timeout=3 \
	net.netfilter.nf_conntrack_udp_timeout_stream=3 \
	net.netfilter.nf_conntrack_icmp_timeout=3 net.netfilter.nf_conntrack_icmpv6_timeout=3 \
	net.netfilter.nf_conntrack_tcp_timeout_time_wait=3 \
	net.netfilter.nf_conntrack_tcp_timeout_fin_wait=3 \
	net.netfilter.nf_conntrack_tcp_timeout_close_wait=3 \
	net.netfilter.nf_conntrack_tcp_timeout_last_ack=3 \
	net.netfilter.nf_conntrack_tcp_timeout_close=3

bg_ns s $SEND tcp-server 9000
bg_ns s $SEND udp-echo 5001
bg_ns c $SEND tcp-server 80
bg_ns c $SEND udp-echo 80
start_nfcapd r 4739 "$WORK/nf"; NF=$NFCAPD_PID
start_nfcapd r 2055 "$WORK/nf9"; NF9=$NFCAPD_PID
# A record with the post-NAT fields; the smallest event buffer: the burst
# below must overflow it.
cat > "$WORK/jflowd.conf" <<EOF
interface = r0
interface = r1
collector = ipfix://127.0.0.1:4739
collector = v9://127.0.0.1:2055
ipfix-sequence = nfdump
timeouts = idle=2,active=60
metrics-file = $WORK/m.prom
nat-lookup = on
nat-events = on
nat-events-buffer = 65536
record = nat
[record nat]
key = sourceIPv4Address, destinationIPv4Address, sourceIPv6Address, destinationIPv6Address, ipClassOfService, protocolIdentifier, sourceTransportPort, destinationTransportPort, icmpTypeCodeIPv4, icmpTypeCodeIPv6, ingressInterface, vlanId
fields = postNATSourceIPv4Address, postNATDestinationIPv4Address, postNATSourceIPv6Address, postNATDestinationIPv6Address, postNAPTSourceTransportPort, postNAPTDestinationTransportPort, egressInterface, octetDeltaCount, packetDeltaCount, flowStartMilliseconds, flowEndMilliseconds
nat-untranslated = own
EOF
bg_ns r "$JFLOWD" -c "$WORK/jflowd.conf" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
grep -q "NAT events" "$WORK/jflowd.log" || fail "NAT events not on: $(cat "$WORK/jflowd.log")"

# One session, with the conntrack table read while it flows.
SNAP="$WORK/conntrack.txt"
session() {
	local t0 t1
	t0=$(now_ms)
	"$@" || fail "traffic: $* exited $?"
	t1=$(now_ms)
	echo "WINDOW $t0 $t1" >> "$SNAP"
	in_ns r conntrack -L -f ipv4 2>/dev/null >> "$SNAP"
	in_ns r conntrack -L -f ipv6 2>/dev/null >> "$SNAP"
}
session in_ns c $SEND tcp 10.2.0.2 9000 40010 200000
session in_ns c $SEND udp 10.2.0.2 5001 40001 5 200
session in_ns c ping -q -c 3 -i 0.2 10.2.0.2
session in_ns s $SEND tcp 10.2.0.1 8080 41000 50000
session in_ns s $SEND udp 10.2.0.1 8080 41001 5 200
session in_ns s ping -q -c 3 -i 0.2 10.2.0.3
session in_ns c $SEND udp 2001:db8:2::2 5001 40003 5 200
session in_ns c ping -q -6 -c 3 -i 0.2 2001:db8:2::2
log "conntrack showed $(grep -c '^[a-z]' "$SNAP") entries while the traffic flowed"

# Every session ends: its entry expires; listing the table reaps expired
# entries now rather than at the kernel's next garbage collection pass.
gone() { [ "$( (in_ns r conntrack -L -f ipv4; in_ns r conntrack -L -f ipv6) 2>/dev/null |
	grep -c -e '^tcp' -e '^udp.*dport=\(5001\|80\|8080\) ' -e '^icmp')" = 0 ]; }
wait_for 30 gone || fail "conntrack entries still there: $(in_ns r conntrack -L 2>&1)"
T_GONE=$(now_ms)

# The burst: jflowd stopped, 300 new sessions fill its 64 KiB event socket.
kill -STOP "$JF"
in_ns c $SEND udp-many 10.2.0.2 5001 50000 300 || { kill -CONT "$JF"; fail "burst"; }
sleep 0.5
DROPS=$(in_ns r awk 'NR > 1 && $2 == 12 && $4 != "00000000" { d += $9 } END { print d + 0 }' /proc/net/netlink)
kill -CONT "$JF"
log "kernel drops on conntrack event sockets during the burst: $DROPS"
[ "$DROPS" -gt 0 ] || fail "the burst did not overflow the event socket (no kernel drops)"
wait_for 10 sh -c "[ \$(awk '/^jflowd_nat_event_overflows_total/ {print \$2}' $WORK/m.prom) -gt 0 ]" ||
	fail "the kernel dropped $DROPS events, jflowd_nat_event_overflows_total says $(grep ^jflowd_nat_event_overflows_total "$WORK/m.prom")"
wait_for 30 gone || fail "burst entries still there"
burst_done() {
	local c d
	c=$(awk -F'[ }]' '/^jflowd_nat_events_total\{event="create"\}/ {print $NF}' "$WORK/m.prom")
	d=$(awk -F'[ }]' '/^jflowd_nat_events_total\{event="delete"\}/ {print $NF}' "$WORK/m.prom")
	[ -n "$c" ] && [ "$c" = "$d" ]
}
wait_for 15 burst_done || fail "creates and deletes differ: $(grep nat_events_total "$WORK/m.prom")"

stop_jflowd "$JF" "$WORK/jflowd.log"
settle r 4739
settle r 2055
stop_nfcapd "$NF"
stop_nfcapd "$NF9"
[ "$(grep -c 'conntrack sent more events than the socket holds' "$WORK/jflowd.log")" = 1 ] ||
	fail "the overflow was not logged once: $(cat "$WORK/jflowd.log")"
grep nat_ "$WORK/m.prom" | grep -v '^#' | sed 's/^/[nat] /'
LOST=$(metric "$WORK/m.prom" jflowd_nat_events_lost_total)
[ "$LOST" -gt 0 ] || fail "events were dropped but none counted lost"
nfdump -R "$WORK/nf" -o raw > "$WORK/raw.txt"
nfdump -R "$WORK/nf9" -o raw > "$WORK/raw9.txt"
$CHECK "$SNAP" "$WORK/raw.txt" "$WORK/raw9.txt" "$T_GONE" 50000 300 || fail "records do not match conntrack"
log "post-NAT fields and NAT events match conntrack; $LOST lost events rebuilt"

# Privileges: with --nat-lookup the libpcap backend, which keeps only
# CAP_NET_RAW otherwise (test_privs), keeps CAP_NET_ADMIN too, and as
# --user nobody its lookups still get conntrack's answer.
mkdir -p "$WORK/p"
chown nobody "$WORK/p"
chmod o+x "$WORK"
start_nfcapd r 4740 "$WORK/nf2"; NF=$NFCAPD_PID
bg_ns r "$JFLOWD" -m pcap -i r0 -n ipfix://127.0.0.1:4740 --nat-lookup --user nobody \
	-t idle=1 --metrics-file "$WORK/p/m.prom" 2>"$WORK/pcap.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/p/m.prom" || fail "jflowd (pcap) did not start: $(cat "$WORK/pcap.log")"
JPID=$(pgrep -f "^$JFLOWD -m pcap -i r0" | head -1)
CAPS=$(awk '/^CapEff/ {print $2}' "/proc/$JPID/status")
expect_eq "pcap with --nat-lookup: CapEff" "$CAPS" 0000000000003000
in_ns c ping -q -c 3 -i 0.2 10.2.0.2 >/dev/null || fail "ping through the NAT"
translated() { [ "$(awk -F'[ }]' '/^jflowd_nat_lookups_total\{answer="translated"\}/ {print $NF}' "$WORK/p/m.prom")" -gt 0 ]; }
wait_for 10 translated || fail "as nobody, no lookup answered: $(grep nat_lookups "$WORK/p/m.prom")"
stop_jflowd "$JF" "$WORK/pcap.log"
stop_nfcapd "$NF"
log "pcap as nobody keeps CAP_NET_ADMIN and its lookups answer"
