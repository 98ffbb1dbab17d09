#!/bin/bash
# Pins VLAN offload (issue 14.4): a frame whose tag the NIC stripped and
# handed over as metadata reports the same VLAN as the same frame with the
# tag inline. The sender's clsact egress (cls_bpf, tests/tools/vlan_push.bpf.c)
# tags every IP frame with VLAN 100 (priority 5, DEI set: the TCI must be
# masked) beside the frame, as rx-vlan offload does; with the sender's
# tx-vlan offload off the kernel writes the tag into the frame instead.
# jflowd on the receiver (veth: the driver gives the tag to XDP) exports to
# nfcapd; VLAN ids (IE 58, nfdump %svln), inner VLAN (IE 245, tshark) and
# exact packet totals are compared. Also: with --vlan-offload off the
# metadata tag is not read (so the first run did read it from the driver),
# a mirror port maps the driver's VLAN (--map-vlan), generic XDP warns
# with the ethtool remedy, and an interface that comes back keeps being
# metered, as does one a reload adds (plain program, warned: loading a
# device-bound one needs CAP_BPF, given up after start-up), while a reload
# keeps the device-bound program of an interface it keeps.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump dumpcap tshark tc ethtool
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip "needs python3-scapy"
PUSH="$BUILD/tests/vlan_push.bpf.o"
[ -f "$PUSH" ] || fail "$PUSH not built"

netns_pair tx rx
RX_MAC=$(in_ns rx cat /sys/class/net/veth0/address)
in_ns rx ethtool -k veth0 | grep -q '^rx-vlan-offload: on' || fail "receiver veth: rx-vlan offload is not on"

# The tag pusher on the sender's egress.
push_on() {
	in_ns tx tc qdisc add dev veth0 clsact
	in_ns tx tc filter add dev veth0 egress bpf da obj "$PUSH" sec tc
}
push_on

# Three flows: untagged IPv4 (7), IPv4 with an inline tag 200 (4: the
# pushed tag is then the outer one, QinQ 100/200), untagged IPv6 (3).
send_flows() {
	in_ns tx /usr/bin/python3 - "$RX_MAC" <<'PY' || fail "sender exited $?"
import sys
from scapy.all import Ether, Dot1Q, IP, IPv6, UDP, sendp
d = sys.argv[1]
f = []
f += [Ether(dst=d) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1000, dport=53) / (b"a" * 40)] * 7
f += [Ether(dst=d) / Dot1Q(vlan=200) / IP(src="10.0.0.1", dst="10.0.0.3") / UDP(sport=1001, dport=53)] * 4
f += [Ether(dst=d) / IPv6(src="fd00::1", dst="fd00::2") / UDP(sport=1002, dport=53)] * 3
sendp(f, iface="veth0", verbose=False)
PY
}

# run NAME JFLOWD-OPTIONS...: jflowd on the receiver, the flows, the export
# at nfcapd as "src|dst|vlan|packets" in $WORK/NAME.got, IE 245 of the
# QinQ flow in $WORK/NAME.inner.
run() {
	local name=$1
	shift
	start_nfcapd rx 2055 "$WORK/nf.$name"
	capture_start rx "udp port 2055" "$WORK/$name.pcapng"
	bg_ns rx "$JFLOWD" -i veth0 -n v9://127.0.0.1:2055 "$@" 2>"$WORK/$name.log"
	JF=$LAST_PID
	wait_for "$JF_START_S" grep -q "metering veth0" "$WORK/$name.log" \
		|| fail "$name: jflowd did not start: $(cat "$WORK/$name.log")"
	send_flows
	sleep 0.5
	stop_jflowd "$JF" "$WORK/$name.log"
	settle rx 2055
	capture_stop
	stop_nfcapd "$NFCAPD_PID"
	nfdump -R "$WORK/nf.$name" -q -N -o 'fmt:%sa|%da|%svln|%pkt' \
		| sed 's/ *| */|/g; s/^ *//; s/ *$//' | sort > "$WORK/$name.got"
	tshark -r "$WORK/$name.pcapng" -d udp.port==2055,cflow -T fields -E separator='|' \
		-E occurrence=a -E aggregator=';' -e cflow.dstaddr -e cflow.vlanid \
		-e cflow.dot1q_customer_vlan_id 2>/dev/null | /usr/bin/python3 -c '
import sys
for line in sys.stdin:
    cols = [c.split(";") for c in line.rstrip("\n").split("|")]
    for dst, vlan, inner in zip(*cols):
        if dst == "10.0.0.3":
            print(vlan, inner)' | sort -u > "$WORK/$name.inner"
	log "$name: $(paste -sd';' "$WORK/$name.got"); QinQ flow outer/inner: $(cat "$WORK/$name.inner")"
}

want() {
	sort > "$WORK/want.$1" <<EOF2
10.0.0.1|10.0.0.2|$1|7
10.0.0.1|10.0.0.3|$1|4
fd00::1|fd00::2|$1|3
EOF2
}
want 100

# 1. The tag as metadata (rx-vlan offload): read from the driver.
run meta
grep -q "metering veth0 .*device-bound" "$WORK/meta.log" \
	|| fail "meta: not the device-bound program: $(cat "$WORK/meta.log")"
diff "$WORK/want.100" "$WORK/meta.got" || fail "meta: VLANs or totals at nfcapd differ"
expect_eq "meta: QinQ outer/inner (IE 58/245)" "$(cat "$WORK/meta.inner")" "100 200"

# 2. The same flows with the tag inline: the sender's kernel writes it
# into the frame when its tx-vlan offload is off.
in_ns tx ethtool -K veth0 txvlan off
run inline
diff "$WORK/want.100" "$WORK/inline.got" || fail "inline: VLANs or totals at nfcapd differ"
expect_eq "inline: QinQ outer/inner (IE 58/245)" "$(cat "$WORK/inline.inner")" "100 200"
diff "$WORK/meta.got" "$WORK/inline.got" || fail "metadata and inline tags report differently"
# The tags were inline indeed: the plain program, which reads no
# metadata, reports them too.
run inline_plain --vlan-offload off
diff "$WORK/want.100" "$WORK/inline_plain.got" || fail "inline_plain: VLANs or totals differ"
in_ns tx ethtool -K veth0 txvlan on

# 3. Not read (--vlan-offload off): the tag of run 1 was metadata indeed.
# The inline tag 200 is then the only, outer, one.
run off --vlan-offload off
grep -q "device-bound" "$WORK/off.log" && fail "off: a device-bound program was loaded"
sort > "$WORK/want.off" <<EOF2
10.0.0.1|10.0.0.2|0|7
10.0.0.1|10.0.0.3|200|4
fd00::1|fd00::2|0|3
EOF2
diff "$WORK/want.off" "$WORK/off.got" || fail "off: VLANs or totals at nfcapd differ"

# 4. A mirror port mapping VLAN 100 onto a router interface (--map-vlan
# reads the VLAN the driver gave): every flow came in on index 30.
run mirror --mirror --map-vlan "100=30,ge-0/0/3.100,vlan 100"
grep -q "metering veth0 .*device-bound" "$WORK/mirror.log" || fail "mirror: not device-bound"
diff "$WORK/want.100" "$WORK/mirror.got" || fail "mirror: VLANs or totals at nfcapd differ"
expect_eq "mirror: input interfaces (%in) of the three flows" \
	"$(nfdump -R "$WORK/nf.mirror" -q -N -o 'fmt:%in' | tr -d ' ' | sort -u | paste -sd,)" 30

# 5. Generic XDP cannot read the driver's tags: one warning naming the
# remedy; every packet still counted.
run generic -m xdp-generic
expect_eq "generic: warnings naming the remedy" \
	"$(grep -c "warning: veth0: the NIC strips VLAN tags.*ethtool -K veth0 rxvlan off" "$WORK/generic.log")" 1
expect_eq "generic: packets at nfcapd" "$(cut -d'|' -f4 "$WORK/generic.got" | awk '{ s += $1 } END { print s + 0 }')" 14

# 6. A reload that adds an interface: the kept one keeps its device-bound
# program (the tags still read), the added one gets the plain program and
# the CAP_BPF warning.
ip link add veth1 netns "$(ns tx)" type veth peer name veth1 netns "$(ns rx)"
ip -n "$(ns tx)" link set veth1 up
ip -n "$(ns rx)" link set veth1 up
printf '%s\n' "interface = veth0" "collector = v9://127.0.0.1:2055" > "$WORK/r.conf"
start_nfcapd rx 2055 "$WORK/nf.reload"
bg_ns rx "$JFLOWD" -c "$WORK/r.conf" 2>"$WORK/reload.log"
JF=$LAST_PID
wait_for "$JF_START_S" grep -q "metering veth0 .*device-bound" "$WORK/reload.log" \
	|| fail "reload: jflowd did not start bound: $(cat "$WORK/reload.log")"
printf '%s\n' "interface = veth0" "interface = veth1" "collector = v9://127.0.0.1:2055" \
	> "$WORK/r.conf"
kill -HUP "$(pgrep -f "^$JFLOWD -c $WORK/r.conf" | head -1)"
wait_for 10 grep -q "reloaded:" "$WORK/reload.log" || fail "reload: not reloaded: $(cat "$WORK/reload.log")"
grep -q "metering veth1 (ifindex [0-9]*) with native XDP$" "$WORK/reload.log" \
	|| fail "reload: veth1 not on the plain program: $(cat "$WORK/reload.log")"
grep -q "warning: veth1: .*cannot load the program that reads them.*ethtool -K veth1 rxvlan off" \
	"$WORK/reload.log" || fail "reload: no warning for veth1: $(cat "$WORK/reload.log")"
send_flows
sleep 0.5
stop_jflowd "$JF" "$WORK/reload.log"
settle rx 2055
stop_nfcapd "$NFCAPD_PID"
nfdump -R "$WORK/nf.reload" -q -N -o 'fmt:%sa|%da|%svln|%pkt' \
	| sed 's/ *| */|/g; s/^ *//; s/ *$//' | sort > "$WORK/reload.got"
diff "$WORK/want.100" "$WORK/reload.got" || fail "reload: veth0's VLANs or totals differ"
log "reload: veth0 after the reload: $(paste -sd';' "$WORK/reload.got")"

# 7. The interface goes and comes back: metered again (the plain program,
# with the warning: a device-bound program for the new device would need
# CAP_BPF, given up after start-up).
start_nfcapd rx 2055 "$WORK/nf.churn"
bg_ns rx "$JFLOWD" -i veth0 -n v9://127.0.0.1:2055 -v 2>"$WORK/churn.log"
JF=$LAST_PID
wait_for "$JF_START_S" grep -q "metering veth0 .*device-bound" "$WORK/churn.log" \
	|| fail "churn: jflowd did not start bound: $(cat "$WORK/churn.log")"
ip -n "$(ns rx)" link del veth0
wait_for 5 grep -q "interface veth0 is gone" "$WORK/churn.log" || fail "churn: the loss is not seen"
ip link add veth0 netns "$(ns tx)" type veth peer name veth0 netns "$(ns rx)"
ip -n "$(ns tx)" link set veth0 up
ip -n "$(ns rx)" link set veth0 up
push_on
RX_MAC=$(in_ns rx cat /sys/class/net/veth0/address)
wait_for 5 grep -q "interface veth0 is back" "$WORK/churn.log" \
	|| fail "churn: not attached again: $(cat "$WORK/churn.log")"
grep -q "warning: veth0: .*cannot load the program that reads them.*ethtool -K veth0 rxvlan off" \
	"$WORK/churn.log" || fail "churn: no warning: $(cat "$WORK/churn.log")"
send_flows
sleep 0.5
stop_jflowd "$JF" "$WORK/churn.log"
settle rx 2055
stop_nfcapd "$NFCAPD_PID"
expect_eq "churn: packets at nfcapd after the return" \
	"$(nfdump -R "$WORK/nf.churn" -q -N -o 'fmt:%pkt' | awk '{ s += $1 } END { print s + 0 }')" 14
log "ok"
