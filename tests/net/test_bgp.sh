#!/bin/bash
# Pins BGP-aware flows: FRR's bgpd on the router streams BMP to jflowd, zebra
# installs its routes, two eBGP upstreams announce overlapping prefixes with
# different AS paths (a 4-byte ASN, a prepended path); every flow's IE 16,
# 17, 18/63, 128 and 129 in v9 and IPFIX, at nfcapd and in tshark, equal
# what the test computes from its own announcements, before and after a
# withdrawal, a peer down and a BMP reconnect; the RIB's memory comes back
# to its level; malformed BMP closes that session with a log line and
# nothing else.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bgp_lib.sh"
need_root
need_cmd nfcapd nfdump tshark dumpcap vtysh "$FRR/bgpd" "$FRR/zebra"

SEND="/usr/bin/python3 $SRC/tests/lib/sendflows.py"
CTL="$BUILD/src/jflowctl -s $WORK/ctl.sock"
BMP_PORT=11019	# inside r's namespace
M="$WORK/m.prom"

bgp_topology
R=$(ns r)

# The announcements, from which every expectation below is computed: the
# AS path r receives (the upstream's AS first), per upstream and prefix.
P1=198.51.100.0/24 P2=203.0.113.0/24 P6=2001:db8:100::/48
PATH_u1_P1="65001 4200000001"			# 4-byte origin
PATH_u1_P2="65001 65001 65001 64513"		# prepended: worse than u2's
PATH_u1_P6="65001 4200000001"
PATH_u2_P1="65002 65002 65002 64512"		# prepended: worse than u1's
PATH_u2_P2="65002 64513"
PATH_u2_P6="65002"				# originated by u2 itself
NH_u1=10.11.0.2 NH_u2=10.12.0.2 NH6_u1=2001:db8:11::2 NH6_u2=2001:db8:12::2

# The route-map that builds each path: what u$N prepends before its own AS.
prepends() { local w; w=$(eval echo "\$PATH_$1_$2"); set -- $w; shift; echo "$*"; }
NETWORKS4_1="network $P1\n  network $P2"; NETWORKS6_1="network $P6"
NETWORKS4_2="network $P1\n  network $P2"; NETWORKS6_2="network $P6"
for u in u1 u2; do
	n=${u#u}
	{
		echo "ip prefix-list P1 seq 5 permit $P1"
		echo "ip prefix-list P2 seq 5 permit $P2"
		echo "ipv6 prefix-list P6 seq 5 permit $P6"
		k=10
		for p in P1 P2; do
			echo "route-map OUT permit $k"
			echo " match ip address prefix-list $p"
			pp=$(prepends $u $p)
			[ -n "$pp" ] && echo " set as-path prepend $pp"
			k=$((k + 10))
		done
		echo "route-map OUT permit $k"
		echo " match ipv6 address prefix-list P6"
		pp=$(prepends $u P6)
		[ -n "$pp" ] && echo " set as-path prepend $pp"
		echo "route-map OUT permit 100"
	} | upstream_conf "$n" "$(eval echo "\$PATH_${u}_P2" | cut -d' ' -f1)"
done
router_conf $BMP_PORT

# Two monitors on r's three interfaces, as an operator configures them: the
# default one (record default: 16, 17, 18/63) and "bgp", a per-flow record
# with every BGP element (128 and 129 too), each in v9 and IPFIX.
COLLECTORS="v9:2055 ipfix:4739 bgp_v9:2056 bgp_ipfix:4740"
for c in $COLLECTORS; do
	start_nfcapd r "${c#*:}" "$WORK/${c%:*}"
	eval "NF_${c%:*}=\$NFCAPD_PID"
done
capture_start r "udp port 2055 or udp port 4739 or udp port 2056 or udp port 4740" \
	"$WORK/export.pcapng"
cat > "$WORK/jflowd.conf" <<EOF
interface = r0
interface = r1
interface = r2
collector = v9://127.0.0.1:2055
collector = ipfix://127.0.0.1:4739
ipfix-sequence = nfdump
timeouts = idle=2,active=60
bmp-listen = 127.0.0.1:$BMP_PORT
metrics-file = $M
control-socket = $WORK/ctl.sock

[record bgp]
key = sourceIPv4Address, destinationIPv4Address, sourceIPv6Address, destinationIPv6Address
key = protocolIdentifier, sourceTransportPort, destinationTransportPort, ingressInterface
fields = bgpSourceAsNumber, bgpDestinationAsNumber, bgpNextAdjacentAsNumber
fields = bgpPrevAdjacentAsNumber, bgpNextHopIPv4Address, bgpNextHopIPv6Address
fields = egressInterface, octetDeltaCount, packetDeltaCount
fields = flowStartMilliseconds, flowEndMilliseconds

[exporter bgp]
collector = v9://127.0.0.1:2056
collector = ipfix://127.0.0.1:4740

[monitor bgp]
record = bgp
exporter = bgp
interface = r0
interface = r1
interface = r2
EOF
bg_ns r "$JFLOWD" -c "$WORK/jflowd.conf" 2>"$WORK/jflowd.log"
JF=$LAST_PID
# The XDP program is verified once per interface (device-bound): 5-12 s
# for three on a loaded machine.
wait_for 60 test -s "$M" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
start_zebra r r
start_bgpd r r -z "$WORK/r/zserv.api" -M bmp
start_bgpd u1 u1 -Z -n
start_bgpd u2 u2 -Z -n

# synced ROUTES: jflowd holds ROUTES routes (post-policy tables) and says
# it is synced.
routes_held() { $CTL bgp | awk '$3 == "post-policy" { n += $5 } END { print n + 0 }'; }
synced() { $CTL bgp | head -1 | grep -q "bmp: synced" && [ "$(routes_held)" = "$1" ]; }
kroute() { ip -n "$R" "$@" | grep -q .; }
# Six routes: P1, P2 and P6 from each upstream.
wait_for 40 synced 6 || fail "BMP feed not synced: $($CTL bgp; vty r 'show bmp'; tail -20 "$WORK/jflowd.log")"
wait_for 10 kroute route show "$P1" via $NH_u1 || fail "zebra did not install $P1: $(vty r 'show ip route')"
wait_for 10 kroute -6 route show "$P6" || fail "zebra did not install $P6"
log "BMP synced: $(routes_held) routes"

# The expectation of one flow: the best of the upstreams' paths for the
# prefix (the shortest: equal local preference and origin), origin AS the
# last AS, neighbour AS the first, next hop that upstream's; "-" for no
# route. want SPORT DPORT DST_PREFIX_UPSTREAMS SRC_PREFIX_UPSTREAMS FAMILY
E="$WORK/expect.txt"
best() { # PREFIX UPSTREAMS...: "origin first upstream" of the shortest path
	local p=$1 u best="" bl=999 w; shift
	for u in "$@"; do
		w=$(eval echo "\$PATH_${u}_$p"); set -- $w
		[ $# -lt $bl ] && { bl=$#; best="${!#} $1 $u"; }
	done
	echo "${best:-0 0 -}"
}
want() {
	local sp=$1 dp=$2 dpfx=$3 dup=$4 spfx=$5 sup=$6 fam=$7 d s nh
	d=$(best "$dpfx" $dup); s=$(best "$spfx" $sup)
	set -- $d; local das=$1 nas=$2 du=$3
	set -- $s; local sas=$1 pas=$2
	if [ "$du" = - ]; then nh=$([ "$fam" = 6 ] && echo "::" || echo 0.0.0.0)
	elif [ "$fam" = 6 ]; then nh=$(eval echo "\$NH6_$du")
	else nh=$(eval echo "\$NH_$du"); fi
	echo "$sp $dp $sas $das $nas $pas $nh" >> "$E"
}

# Phase 1: both upstreams up. Client to the prefixes, upstreams back.
UP="u1 u2"
want 41001 5001 P1 "$UP" - "" 4; in_ns c $SEND udp 198.51.100.1 5001 41001 3 100
want 41002 5001 P2 "$UP" - "" 4; in_ns c $SEND udp 203.0.113.1 5001 41002 3 100
want 41003 5001 P6 "$UP" - "" 6; in_ns c $SEND udp 2001:db8:100::1 5001 41003 3 100
want 42001 5001 - "" P1 "$UP" 4; in_ns u1 $SEND udp-from 198.51.100.1 10.1.0.2 5001 42001 3 100
want 42002 5001 - "" P2 "$UP" 4; in_ns u2 $SEND udp-from 203.0.113.1 10.1.0.2 5001 42002 3 100
want 42003 5001 - "" P6 "$UP" 6; in_ns u2 $SEND udp-from 2001:db8:100::1 2001:db8:1::2 5001 42003 3 100
sleep 1.5
MEM1=$(metric "$M" 'jflowd_memory_bytes{part="bgp"}')

# Event 1, withdraw: u2 withdraws P2; u1's longer path is the best now.
vty u2 "configure terminal" "router bgp 65002" "address-family ipv4 unicast" "no network $P2"
wait_for 15 kroute route show "$P2" via $NH_u1 || fail "withdrawal: $P2 not via u1"
wait_for 10 synced 5 || fail "withdrawal not seen by jflowd: $($CTL bgp)"
P2_UP="u1"
want 41011 5001 P2 "$P2_UP" - "" 4; in_ns c $SEND udp 203.0.113.1 5001 41011 3 100
log "withdrawal of $P2 at u2: followed"
# A flow is looked up when the agent first sees it, within a drain
# interval (1 s) of its first packet: the next event waits for that.
sleep 1.5

# Event 2, peer down: u1's bgpd stops; its routes go (P1 from u2 now,
# P2 from nobody: the router drops it).
stop_pid "$(eval echo "\$BGPD_u1")"
wait_for 20 kroute route show "$P1" via $NH_u2 || fail "peer down: $P1 not via u2"
wait_for 10 synced 2 || fail "peer down not seen by jflowd: $($CTL bgp)"
want 41021 5001 P1 "u2" - "" 4; in_ns c $SEND udp 198.51.100.1 5001 41021 3 100
want 41022 5001 P2 "" - "" 4;   in_ns c $SEND udp 203.0.113.1 5001 41022 2 100
want 41023 5001 P6 "u2" - "" 6; in_ns c $SEND udp 2001:db8:100::1 5001 41023 3 100
log "peer u1 down: its routes dropped"
sleep 1.5
ROUTES2=$(routes_held)
MEM2=$(metric "$M" 'jflowd_memory_bytes{part="bgp"}')

# Event 3, BMP reconnect: r's bgpd drops its BMP session and connects
# again; jflowd drops the session's routes and takes the new dump.
vty r "configure terminal" "router bgp 65000" "bmp targets jflowd" \
	"no bmp connect 127.0.0.1 port $BMP_PORT min-retry 100 max-retry 500"
wait_for 10 sh -c "grep -q 'ended (closed by the speaker' '$WORK/jflowd.log'" \
	|| fail "BMP session did not end: $(tail -5 "$WORK/jflowd.log")"
vty r "configure terminal" "router bgp 65000" "bmp targets jflowd" \
	"bmp connect 127.0.0.1 port $BMP_PORT min-retry 100 max-retry 500"
wait_for 20 synced "$ROUTES2" || fail "BMP did not reconnect: $($CTL bgp)"
want 41031 5001 P1 "u2" - "" 4; in_ns c $SEND udp 198.51.100.1 5001 41031 3 100
want 42031 5001 - "" P1 "u2" 4; in_ns u2 $SEND udp-from 198.51.100.1 10.1.0.2 5001 42031 3 100
log "BMP reconnected: $(routes_held) routes"

# Malformed input on a session of its own: each closes that session with
# a log line; r's session and its routes stay.
in_ns r /usr/bin/python3 - $BMP_PORT <<'PY' || fail "malformed BMP sender failed"
import socket, struct, subprocess, sys, time
port = int(sys.argv[1])
def bmp(t, body): return struct.pack("!BIB", 3, 6 + len(body), t) + body
peer = struct.pack("!BBQ16sII8s", 0, 0, 0, b"\0" * 12 + bytes([192, 0, 2, 9]), 65009, 0, b"\0" * 8)
def update(attrs, nlri=b""):
    body = struct.pack("!H", 0) + struct.pack("!H", len(attrs)) + attrs + nlri
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 2) + body
bad = [
    b"\x02" + b"\0" * 20,                                    # BMP version 2
    bmp(0, peer[:20]),                                       # per-peer header truncated
    bmp(0, peer + update(b"\x40\x01\x01\x00\x40\x02\x09\x02\x01\0\0\0\x01")),  # AS_PATH too long
    bmp(0, peer + update(b"\x40\x01\x01\x00", b"\x21\x0a\0\0\0")),  # /33 IPv4 prefix
    bmp(42, b"x") + bmp(0, peer + b"\xff" * 16 + b"\x00\x13\x05"),  # unknown type, then type 5
    struct.pack("!BIB", 3, 0x7fffffff, 0),                   # length out of range
]
for msg in bad:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(msg)
    s.settimeout(5)
    try:
        s.recv(1)  # jflowd closes the session
    except OSError:
        pass
    s.close()
PY
wait_for 10 sh -c "[ \$(grep -c 'malformed message' '$WORK/jflowd.log') -ge 6 ]" \
	|| fail "malformed BMP: $(grep -c 'malformed message' "$WORK/jflowd.log") of 6 sessions closed: $(tail -8 "$WORK/jflowd.log")"
grep "malformed message" "$WORK/jflowd.log" | sed "s/^/[$TEST_NAME]   /"
kill -0 "$JF" || fail "jflowd died on malformed input"
[ "$(routes_held)" = "$ROUTES2" ] || fail "malformed input changed the speaker's routes"
sleep 1.5
MEM3=$(metric "$M" 'jflowd_memory_bytes{part="bgp"}')
log "RIB memory: $MEM1 bytes at first, $MEM2 after the events, $MEM3 after reconnect and malformed input"
[ "$MEM3" -le "$MEM2" ] || fail "BGP memory grew from $MEM2 to $MEM3 over a reconnect"
[ "$MEM2" -le "$MEM1" ] || fail "BGP memory grew from $MEM1 to $MEM2 while routes went"

sleep 3	# idle timeout 2 s, then a drain
$CTL bgp | sed "s/^/[$TEST_NAME]   /"
stop_jflowd "$JF" "$WORK/jflowd.log"
for c in $COLLECTORS; do settle r "${c#*:}"; done
capture_stop
for c in $COLLECTORS; do stop_nfcapd "$(eval echo "\$NF_${c%:*}")"; done

# Every record of each flow, at each collector, against the table.
sort -u "$E" > "$WORK/want.txt"
log "per-flow table from the announcements: sport dport IE16 (source AS) 17 (destination AS) 128 (next AS) 129 (previous AS) 18/63 (BGP next hop):"
sed "s/^/[$TEST_NAME]   /" "$WORK/want.txt"
# cols ALL: lines of the table's form from stdin, blanks evened; without
# ALL (a stream that has no 128/129) columns 5 and 6 are "-".
cols() { awk -v all="$1" '{ $1 = $1; if (!all) { $5 = "-"; $6 = "-" }; print }'; }
# vs NAME ALL WHO: $WORK/NAME.got against the table; every stream is
# compared before the test fails (BAD).
BAD=""
vs() {
	cols "$2" < "$WORK/want.txt" > "$WORK/$1.want"
	if diff "$WORK/$1.want" "$WORK/$1.got" > "$WORK/$1.diff"; then
		log "$1: $(wc -l < "$WORK/$1.got") flows, BGP fields as announced ($3, IE 16 17 18/63${2:+ 128 129})"
	else
		log "$1: BGP fields differ (< expected, > $3):"
		sed "s/^/[$TEST_NAME]   /" "$WORK/$1.diff"
		BAD="$BAD $1"
	fi
}

# nfdump. The default record has no 128/129. nfdump stores 128/129 from
# v9 only: its IPFIX decoder (1.7.1 here, and upstream to 1.7.8) has no
# row for them in its element table and skips them, so %nas %pas show 0
# for IPFIX (docs/bgp.md, "At the collector"); tshark checks them there.
for c in v9: ipfix: bgp_v9:1 bgp_ipfix:; do
	w=${c%:*}
	nfdump -R "$WORK/$w" -q -N -o 'fmt:%sp %dp %sas %das %nas %pas %nhb' 'dst port 5001' \
		| cols "${c#*:}" | sort -u > "$WORK/$w.got"
	vs "$w" "${c#*:}" nfdump
done

# tshark decodes each data record of the four streams from the wire (the
# capture has every template): 128 is its cflow.peer_dstas, 129
# cflow.peer_srcas; the default record has neither ("-").
tshark -r "$WORK/export.pcapng" -d udp.port==2056,cflow -d udp.port==4740,cflow -T pdml \
	2>/dev/null | /usr/bin/python3 -c '
import sys, xml.etree.ElementTree as ET
for pkt in ET.parse(sys.stdin).getroot().iter("packet"):
    port = next(f.get("show") for f in pkt.iter("field") if f.get("name") == "udp.dstport")
    for rec in pkt.iter("field"):
        if not (rec.get("name") == "" and (rec.get("show") or "").startswith("Flow ")):
            continue
        f = {c.get("name"): c.get("show") for c in rec}
        if f.get("cflow.dstport") != "5001":
            continue
        nh = f.get("cflow.bgpnexthop") or f.get("cflow.bgpnexthopv6")
        print(port, f["cflow.srcport"], f["cflow.dstport"], f["cflow.srcas"], f["cflow.dstas"],
              f.get("cflow.peer_dstas", "-"), f.get("cflow.peer_srcas", "-"), nh)' \
	> "$WORK/tshark.rows" || fail "tshark: could not read the capture"
for c in $COLLECTORS; do
	w=${c%:*}
	awk -v p="${c#*:}" '$1 == p { $1 = ""; sub(/^ /, ""); print }' "$WORK/tshark.rows" \
		| sort -u > "$WORK/tshark_$w.got"
	case $w in bgp_*) vs "tshark_$w" 1 tshark ;; *) vs "tshark_$w" "" tshark ;; esac
done
[ -z "$BAD" ] || fail "BGP fields not as announced in:$BAD"
