#!/bin/bash
# Pins (fault: interface churn): the metered interface deleted under
# traffic and created again under the same name: jflowd logs the loss and
# the return, the metric jflowd_interface_attached follows, it meters the
# new interface (XDP by a new bpf_link, with only CAP_NET_ADMIN left after
# start-up), and the collector holds exactly what the sender sent, flow by
# flow. Then the same for egress metering (IFACE:out): the TC program is
# attached again on the new interface; and for a mirror port, promiscuous
# again; and for the libpcap backend, which opens its capture again. And a
# device deleted and created again under the same ifindex at once.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

NET_ADMIN=0000000000001000
NET_RAW=0000000000002000
# recreate: delete veth0 (the peer goes with it), create the pair again.
recreate() {
	ip -n "$(ns rx)" link del veth0
	wait_for 20 sh -c "grep -q 'jflowd_interface_attached{ifname=\"veth0\"} 0' '$WORK/$1.prom'" ||
		fail "$1: metrics do not show veth0 detached"
	grep -q "interface veth0 is gone" "$WORK/$1.log" || fail "$1: the loss is not logged"
	ip link add veth0 netns "$(ns tx)" type veth peer name veth0 netns "$(ns rx)"
	in_ns tx ip addr add 10.0.0.1/24 dev veth0
	in_ns rx ip addr add 10.0.0.2/24 dev veth0
	ip -n "$(ns tx)" link set veth0 up
	ip -n "$(ns rx)" link set veth0 up
	wait_for 20 sh -c "grep -q 'jflowd_interface_attached{ifname=\"veth0\"} 1' '$WORK/$1.prom'" ||
		fail "$1: metrics do not show veth0 attached again: $(cat "$WORK/$1.log")"
	grep -q "interface veth0 is back" "$WORK/$1.log" || fail "$1: the return is not logged"
}
start() { # NAME jflowd-options...
	local name=$1 caps=$NET_ADMIN; shift
	[ "$name" = pcap ] && caps=$NET_RAW
	bg_ns rx "$JFLOWD" "$@" -n v9://127.0.0.1:2055 -t idle=1,active=2 \
		--metrics-file "$WORK/$name.prom" 2> "$WORK/$name.log"
	JF=$LAST_PID
	wait_for "$JF_START_S" test -s "$WORK/$name.prom" || fail "$name: jflowd did not start: $(cat "$WORK/$name.log")"
	expect_eq "$name: attached at start" \
		"$(metric "$WORK/$name.prom" 'jflowd_interface_attached{ifname="veth0"}')" 1
	sleep 0.3
	# Re-attaching runs with what is left after the capability drop.
	# Found by its own metrics file: another test's jflowd may run beside it.
	expect_eq "$name: CapEff" "$(awk '/^CapEff/ {print $2}' \
		"/proc/$(pgrep -f -- "--metrics-file $WORK/$name.prom" | head -1)/status")" "$caps"
}

# 1. Ingress (XDP).
netns_pair tx rx
in_ns tx ip addr add 10.0.0.1/24 dev veth0
in_ns rx ip addr add 10.0.0.2/24 dev veth0
start_nfcapd rx 2055 "$WORK/nf"
start xdp -i veth0
in_ns tx "$TRAFGEN" --iface veth0 --flows 30 --packets 3000 --expect "$WORK/sent1.csv" >/dev/null
sleep 1.5
recreate xdp
in_ns tx "$TRAFGEN" --iface veth0 --flows 30 --packets 3000 --seed 1000 \
	--expect "$WORK/sent2.csv" >/dev/null
sleep 2.5
stop_jflowd "$JF" "$WORK/xdp.log"
cat "$WORK/xdp.log"
expect_eq "xdp: packets metered (3000 before, 3000 after)" \
	"$(metric "$WORK/xdp.prom" jflowd_packets_metered_total)" 6000
$METRICS_CHECK "$WORK/xdp.prom" --no-loss --expect-metered 6000 || fail "xdp: metrics invariant"
settle rx 2055
stop_nfcapd "$NFCAPD_PID"
{ cat "$WORK/sent1.csv"; tail -n +2 "$WORK/sent2.csv"; } > "$WORK/sent.csv"
nfdump_csv "$WORK/nf" "$WORK/got.csv"
$FLOWCMP "$WORK/sent.csv" "$WORK/got.csv" || fail "xdp: the collector does not hold what was sent"

# 2. Egress (TC): what rx itself sends out of veth0, before and after.
send() { # N SPORT: N UDP datagrams from rx to tx, one flow
	in_ns rx /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.2", int(sys.argv[2])))
for i in range(int(sys.argv[1])):
    s.sendto(b"x" * 200, ("10.0.0.1", 9))
    time.sleep(0.002)' "$1" "$2" || fail "send"
}
start_nfcapd rx 2055 "$WORK/nf2"
start tc -i veth0:out
grep -q "metering veth0 on egress" "$WORK/tc.log" || fail "tc: no egress metering"
send 200 40001
sleep 1.5
recreate tc
grep -q "metering its egress again" "$WORK/tc.log" || fail "tc: egress not attached again"
send 300 40002
sleep 2.5
stop_jflowd "$JF" "$WORK/tc.log"
cat "$WORK/tc.log"
# ARP requests rx sends are metered too (unaccounted: non-IP).
$METRICS_CHECK "$WORK/tc.prom" || fail "tc: metrics invariant"
settle rx 2055
stop_nfcapd "$NFCAPD_PID"
for p in 40001:200 40002:300; do
	expect_eq "tc: packets from port ${p%:*} at the collector" \
		"$(nfdump -R "$WORK/nf2" -q -o 'fmt:%pkt' "src port ${p%:*} and dst port 9" \
			| awk '{s+=$1} END {print s+0}')" "${p#*:}"
done

# 3. A mirror port: promiscuous again on the new interface (the kernel
#    dropped the membership with the old one).
promisc() { ip -d -n "$(ns rx)" link show veth0 | grep -o 'promiscuity [0-9]*'; }
start_nfcapd rx 2055 "$WORK/nf3"
start mirror -i veth0 --mirror
expect_eq "mirror: at start" "$(promisc)" "promiscuity 1"
recreate mirror
grep -q "veth0: promiscuous again" "$WORK/mirror.log" || fail "mirror: not promiscuous again"
expect_eq "mirror: on the new interface" "$(promisc)" "promiscuity 1"
in_ns tx "$TRAFGEN" --iface veth0 --flows 10 --packets 500 --families 4 \
	--dst-mac 02:00:00:00:00:99 >/dev/null
sleep 2.5
stop_jflowd "$JF" "$WORK/mirror.log"
expect_eq "mirror: promiscuity after exit" "$(promisc)" "promiscuity 0"
settle rx 2055
stop_nfcapd "$NFCAPD_PID"
# The new interface's own IPv6 chatter aside.
expect_eq "mirror: packets from the new interface at the collector" \
	"$(nfdump -R "$WORK/nf3" -q -o 'fmt:%pkt' 'src net 198.18.0.0/16' \
		| awk '{s+=$1} END {print s+0}')" 500
# 4. libpcap: the capture on the old interface is closed, a new one opened
#    with only CAP_NET_RAW left.
start_nfcapd rx 2055 "$WORK/nf4"
start pcap -i veth0 -m pcap
in_ns tx "$TRAFGEN" --iface veth0 --flows 30 --packets 3000 --seed 2000 \
	--expect "$WORK/psent1.csv" >/dev/null
sleep 1.5
recreate pcap
in_ns tx "$TRAFGEN" --iface veth0 --flows 30 --packets 3000 --seed 3000 \
	--expect "$WORK/psent2.csv" >/dev/null
sleep 2.5
stop_jflowd "$JF" "$WORK/pcap.log"
cat "$WORK/pcap.log"
$METRICS_CHECK "$WORK/pcap.prom" --no-loss --expect-metered 6000 || fail "pcap: metrics invariant"
settle rx 2055
stop_nfcapd "$NFCAPD_PID"
{ cat "$WORK/psent1.csv"; tail -n +2 "$WORK/psent2.csv"; } > "$WORK/psent.csv"
nfdump_csv "$WORK/nf4" "$WORK/pgot.csv"
$FLOWCMP "$WORK/psent.csv" "$WORK/pgot.csv" || fail "pcap: the collector does not hold what was sent"
# 5. Deleted and created again under the same ifindex while jflowd does
#    not look (stopped: within one drain interval, as events coalesce): it
#    follows the device, not the number, and attaches again; what the new
#    device received before that is counted from its rx counters
#    (not_attached), not lost in silence.
start_nfcapd rx 2055 "$WORK/nf5"
start same -i veth0
IDX=$(in_ns rx cat /sys/class/net/veth0/ifindex)
in_ns tx "$TRAFGEN" --iface veth0 --flows 20 --packets 1000 --seed 4000 \
	--expect "$WORK/ssent1.csv" >/dev/null
sleep 1.5
JPID=$(pgrep -f -n "^$JFLOWD -i veth0 -n v9")
kill -STOP "$JPID"
ip -n "$(ns rx)" link del veth0
ip -n "$(ns rx)" link add veth0 index "$IDX" type veth peer name veth0 netns "$(ns tx)"
ip -n "$(ns tx)" link set veth0 up
ip -n "$(ns rx)" link set veth0 up
expect_eq "same: the new device's ifindex" "$(in_ns rx cat /sys/class/net/veth0/ifindex)" "$IDX"
in_ns tx "$TRAFGEN" --iface veth0 --flows 5 --packets 500 --seed 5000 >/dev/null
wait_for 5 sh -c "ip -s -n '$(ns rx)' link show veth0 | awk 'f {print \$2; exit} /RX:/ {f=1}' | grep -qx 500" ||
	fail "same: the new device did not receive the 500 frames"
kill -CONT "$JPID"
wait_for 5 sh -c "ip -n '$(ns rx)' link show veth0 | grep -q prog/xdp" ||
	fail "same: XDP not attached again to the device under the same number: $(cat "$WORK/same.log")"
grep -q "interface veth0 is back" "$WORK/same.log" || fail "same: the return is not logged"
in_ns tx "$TRAFGEN" --iface veth0 --flows 20 --packets 1000 --seed 6000 \
	--expect "$WORK/ssent3.csv" >/dev/null
sleep 2.5
stop_jflowd "$JF" "$WORK/same.log"
cat "$WORK/same.log"
expect_eq "same: not attached (the device's own count)" \
	"$(metric "$WORK/same.prom" 'jflowd_packets_unaccounted_total{reason="not_attached"}')" 500
expect_eq "same: attached" "$(metric "$WORK/same.prom" 'jflowd_interface_attached{ifname="veth0"}')" 1
$METRICS_CHECK "$WORK/same.prom" --expect-metered 2500 || fail "same: metrics invariant"
settle rx 2055
stop_nfcapd "$NFCAPD_PID"
{ cat "$WORK/ssent1.csv"; tail -n +2 "$WORK/ssent3.csv"; } > "$WORK/ssent.csv"
nfdump_csv "$WORK/nf5" "$WORK/sgot.csv"
$FLOWCMP "$WORK/ssent.csv" "$WORK/sgot.csv" || fail "same: the collector does not hold what was metered"
log "ok: the interface's loss and return are followed: ingress, egress, mirror port, libpcap, same ifindex"
