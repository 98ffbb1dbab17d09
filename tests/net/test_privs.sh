#!/bin/bash
# Pins least privilege: after start-up jflowd keeps only CAP_NET_ADMIN (XDP),
# CAP_NET_RAW (libpcap) or nothing (replay), in its effective, permitted and
# bounding sets; and as --user nobody it still meters, exports, writes its
# metrics file and reconnects to an IPFIX-over-TCP collector that went away,
# with every packet sent at the collector.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd ipfixDump

netns_pair tx rx
in_ns rx ip addr add 10.0.0.2/24 dev veth0
in_ns tx ip addr add 10.0.0.1/24 dev veth0

# send N: N UDP datagrams to the metered side, one flow.
send() {
	in_ns tx /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"x" * 200, ("10.0.0.2", 9))
    time.sleep(0.002)' "$1" || fail "send"
}
# caps PID: "CapEff CapPrm CapBnd Uid" of a running process.
caps() { awk '/^CapEff/{e=$2} /^CapPrm/{p=$2} /^CapBnd/{b=$2} /^Uid/{u=$2}
	END {print e, p, b, u}' "/proc/$1/status"; }
jflowd_pid() { pgrep -f "^$JFLOWD -i veth0 $1" | head -1; }
# stop_jflowd LAUNCHER_PID: SIGTERM, and its exit status must be 0.
stop_jflowd() {
	local rc=0
	kill -TERM "$1"; wait "$1" || rc=$?
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	[ "$rc" = 0 ] || { cat "$WORK/jflowd.log"; fail "jflowd exited $rc"; }
}

NET_ADMIN=0000000000001000
NET_RAW=0000000000002000
BPF=0000008000000000

# 1. XDP, as root: CAP_NET_ADMIN only, and it still exports everything.
start_nfcapd rx 2055 "$WORK/nf"
bg_ns rx "$JFLOWD" -i veth0 -n v9://127.0.0.1:2055 --metrics-file "$WORK/x.prom" \
	2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" grep -q "metering veth0" "$WORK/jflowd.log" || fail "jflowd did not start"
sleep 0.3
read -r eff prm bnd uid < <(caps "$(jflowd_pid "-n v9")")
expect_eq "XDP: CapEff CapPrm CapBnd" "$eff $prm $bnd" "$NET_ADMIN $NET_ADMIN $NET_ADMIN"
# The table maker (a child that makes the flow table's larger maps) keeps
# CAP_BPF and nothing else.
maker=$(pgrep -P "$(jflowd_pid "-n v9")" -f "^jflowd: table maker")
[ -n "$maker" ] || fail "no table maker beside jflowd"
read -r eff prm bnd uid < <(caps "$maker")
expect_eq "table maker: CapEff CapPrm CapBnd" "$eff $prm $bnd" "$BPF $BPF $BPF"
send 500
sleep 1.2
stop_jflowd "$JF"
stop_nfcapd "$NFCAPD_PID"
expect_eq "XDP: packets at nfcapd" "$(nfdump -R "$WORK/nf" -q -o 'fmt:%pkt' 'dst port 9' \
	| awk '{s+=$1} END {print s+0}')" 500

# 2. XDP as --user nobody, IPFIX over TCP, the collector away and back.
COLLECTOR="/usr/bin/python3 $SRC/tests/lib/ipfix_tcp_collector.py"
tcp_listening() { in_ns rx ss -Hltn "sport = :4739" | grep -q .; }
mkdir -p "$WORK/c1" "$WORK/c2" "$WORK/prom"
chown nobody "$WORK/prom"
chmod o+x "$WORK"
bg_ns rx $COLLECTOR 127.0.0.1 4739 "$WORK/c1" >"$WORK/c1.log"
C1=$LAST_PID
wait_for 5 tcp_listening || fail "collector did not start"
bg_ns rx "$JFLOWD" -i veth0 -n ipfix+tcp://127.0.0.1:4739 --user nobody -t idle=1,active=2 \
	--metrics-file "$WORK/prom/u.prom" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" grep -q "metering veth0" "$WORK/jflowd.log" || fail "jflowd did not start"
sleep 0.3
read -r eff prm bnd uid < <(caps "$(jflowd_pid "-n ipfix")")
expect_eq "--user nobody: CapEff CapPrm CapBnd Uid" "$eff $prm $bnd $uid" \
	"$NET_ADMIN $NET_ADMIN $NET_ADMIN $(id -u nobody)"
send 300
sleep 2.5			# flows expire and reach the first collector
stop_pid "$C1"
send 300			# while the collector is away
bg_ns rx $COLLECTOR 127.0.0.1 4739 "$WORK/c2" >"$WORK/c2.log"
C2=$LAST_PID
wait_for 15 sh -c "ls $WORK/c2/*.ipfix" || fail "jflowd did not reconnect as nobody"
send 300
sleep 3
stop_jflowd "$JF"
stop_pid "$C2"
[ -s "$WORK/prom/u.prom" ] || fail "no metrics file written as nobody"
expect_eq "reconnects as nobody" "$(metric "$WORK/prom/u.prom" jflowd_collector_reconnects_total)" 1
got=0
for f in "$WORK"/c1/*.ipfix "$WORK"/c2/*.ipfix; do
	n=$(ipfixDump --in "$f" 2>/dev/null | awk '/packetDeltaCount/ {s += $NF} END {print s+0}')
	got=$((got + n))
done
expect_eq "--user nobody: packets at the TCP collector" "$got" 900

# 3. libpcap: CAP_NET_RAW only.
bg_ns rx "$JFLOWD" -i veth0 -m pcap -n v9://127.0.0.1:2055 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" pgrep -f "^$JFLOWD -i veth0 -m pcap" || fail "jflowd did not start"
sleep 1
read -r eff prm bnd uid < <(caps "$(jflowd_pid "-m pcap")")
expect_eq "pcap: CapEff CapPrm CapBnd" "$eff $prm $bnd" "$NET_RAW $NET_RAW $NET_RAW"
stop_jflowd "$JF"

# 4. A replay keeps nothing.
"$TRAFGEN" --out "$WORK/in.pcap" --flows 10 --packets 100 --expect "$WORK/expect.csv"
udp_sink rx 2055	# a replay whose collector refused exits 1
SINK=$LAST_PID
in_ns rx "$JFLOWD" -r "$WORK/in.pcap" -n v9://127.0.0.1:2055 -v 2>"$WORK/jflowd.log" \
	|| fail "replay failed"
grep -q "capabilities now: effective 0," "$WORK/jflowd.log" \
	|| { cat "$WORK/jflowd.log"; fail "replay kept capabilities"; }
log "replay: $(grep -o 'capabilities now.*' "$WORK/jflowd.log")"
stop_pid "$SINK"

# 5. Reload as --user nobody with CAP_NET_ADMIN alone: an interface added
# by a reload is attached (by a bpf_link, and one removed detached), and
# metered, also after it was deleted and created again.
ip link add veth1 netns "$(ns tx)" type veth peer name veth1 netns "$(ns rx)"
in_ns rx ip addr add 10.0.1.2/24 dev veth1
in_ns tx ip addr add 10.0.1.1/24 dev veth1
in_ns rx ip link set veth1 up
in_ns tx ip link set veth1 up
start_nfcapd rx 2055 "$WORK/nf5"
printf '%s\n' "interface = veth0" "collector = v9://127.0.0.1:2055" "user = nobody" \
	"timeouts = idle=1,active=60" > "$WORK/r.conf"
chmod o+r "$WORK/r.conf"
bg_ns rx "$JFLOWD" -c "$WORK/r.conf" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" grep -q "metering veth0" "$WORK/jflowd.log" || fail "jflowd did not start"
sleep 0.3
pid=$(pgrep -f "^$JFLOWD -c $WORK/r.conf" | head -1)
printf '%s\n' "interface = veth1" "collector = v9://127.0.0.1:2055" "user = nobody" \
	"timeouts = idle=1,active=60" > "$WORK/r.conf"
kill -HUP "$pid"
wait_for 10 grep -q "reloaded:" "$WORK/jflowd.log" || { cat "$WORK/jflowd.log"; fail "no reload"; }
grep -q "metering veth1" "$WORK/jflowd.log" || { cat "$WORK/jflowd.log"; fail "veth1 not attached"; }
in_ns rx ip link show veth1 | grep -q "xdp" || fail "no XDP program on veth1"
in_ns rx ip link show veth0 | grep -q "xdp" && fail "XDP program still on veth0"
read -r eff prm bnd uid < <(caps "$pid")
expect_eq "reload as nobody: CapEff Uid" "$eff $uid" "$NET_ADMIN $(id -u nobody)"
# Attached by a bpf_link, as at start: a netlink detach cannot take it off.
in_ns rx ip link set dev veth1 xdp off 2>/dev/null && fail "veth1: XDP attached without a bpf_link"
# The link watcher follows the reloaded set: veth1 deleted and created
# again is attached again, as nobody with CAP_NET_ADMIN alone.
ip -n "$(ns rx)" link del veth1
wait_for 5 grep -q "interface veth1 is gone" "$WORK/jflowd.log" || fail "veth1's loss not seen"
ip link add veth1 netns "$(ns tx)" type veth peer name veth1 netns "$(ns rx)"
in_ns rx ip addr add 10.0.1.2/24 dev veth1
in_ns tx ip addr add 10.0.1.1/24 dev veth1
in_ns rx ip link set veth1 up
in_ns tx ip link set veth1 up
wait_for 5 grep -q "interface veth1 is back" "$WORK/jflowd.log" \
	|| { cat "$WORK/jflowd.log"; fail "veth1 not attached again after the reload"; }
in_ns rx ip link show veth1 | grep -q "xdp" || fail "no XDP program on the new veth1"
in_ns tx /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(b"x" * 200, ("10.0.1.2", 9))
    time.sleep(0.002)'
sleep 2.5
stop_jflowd "$JF"
stop_nfcapd "$NFCAPD_PID"
expect_eq "reload as nobody: packets metered on the added interface" \
	"$(nfdump -R "$WORK/nf5" -q -o 'fmt:%pkt' 'dst host 10.0.1.2' | awk '{s+=$1} END {print s+0}')" 200
