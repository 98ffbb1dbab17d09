#!/bin/bash
# Pins mirror ports: jflowd --mirror puts the SPAN interface in promiscuous
# mode while it runs and gives the previous state back at exit, also when
# it is killed (the kernel drops a packet socket's membership with it).
# Frames between two router MACs (and on a mapped VLAN) reach nfcapd with
# the operator's interface indexes and names (%in %out %inam %onam); frames
# to a foreign MAC are metered too; what is not mapped keeps the mirror
# port's own index. -m pcap --mirror is refused.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump
/usr/bin/python3 -c 'import scapy' 2>/dev/null || skip "needs python3-scapy"

netns_pair tx rx
MIRROR_IF=$(ip -n "$(ns rx)" -o link show veth0 | awk -F: '{ print $1 }')
promisc() { ip -n "$(ns rx)" -d -j link show veth0 | /usr/bin/python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["promiscuity"])'; }
expect_eq "promiscuity before" "$(promisc)" 0

if in_ns rx "$JFLOWD" -i veth0 -m pcap --mirror -n ipfix://127.0.0.1:4739 2>"$WORK/pcap.err"; then
	fail "-m pcap --mirror was accepted"
fi
grep -q "needs -m xdp" "$WORK/pcap.err" || fail "no clear reason: $(cat "$WORK/pcap.err")"

start_nfcapd rx 2055 "$WORK/nf"
bg_ns rx "$JFLOWD" -i veth0 --mirror -n v9://127.0.0.1:2055 -t idle=2 \
	--map-mac "02:00:00:00:0a:01=10,ge-0/0/1,uplink A" \
	--map-mac "02:00:00:00:0b:01=20,ge-0/0/2,customer B, rack 7" \
	--map-vlan "300=30,ge-0/0/3.300,vlan 300" --metrics-file "$WORK/m.prom" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
expect_eq "promiscuity while jflowd runs" "$(promisc)" 1

# A->B 5 frames, B->A 3, foreign MACs on VLAN 300 4, foreign untagged 2.
in_ns tx /usr/bin/python3 - <<'PY' || fail "sender exited $?"
from scapy.all import Ether, Dot1Q, IP, UDP, sendp
A, B, X, Y = "02:00:00:00:0a:01", "02:00:00:00:0b:01", "02:00:00:00:ee:01", "02:00:00:00:ee:02"
f = []
f += [Ether(src=B, dst=A) / IP(src="10.0.0.1", dst="10.0.1.1") / UDP(sport=1000, dport=53) / (b"x" * 50)] * 5
f += [Ether(src=A, dst=B) / IP(src="10.0.1.1", dst="10.0.0.1") / UDP(sport=53, dport=1000) / (b"y" * 80)] * 3
f += [Ether(src=X, dst=Y) / Dot1Q(vlan=300) / IP(src="10.0.3.1", dst="10.0.3.2") / UDP(sport=7, dport=7)] * 4
f += [Ether(src=X, dst=Y) / IP(src="10.0.4.1", dst="10.0.4.2") / UDP(sport=9, dport=9)] * 2
sendp(f, iface="veth0", verbose=False)
PY
sleep 3.5
stop_jflowd "$JF" "$WORK/jflowd.log"
settle rx 2055
stop_nfcapd "$NFCAPD_PID"
expect_eq "promiscuity after jflowd stopped" "$(promisc)" 0

nfdump -R "$WORK/nf" -q -N -o 'fmt:%sa|%da|%in|%out|%inam|%onam|%pkt' \
	| sed 's/ *| */|/g; s/^ *//; s/ *$//' | sort > "$WORK/got"
sort > "$WORK/want" <<EOF2
10.0.0.1|10.0.1.1|10|20|uplink A|customer B, rack 7|5
10.0.1.1|10.0.0.1|20|10|customer B, rack 7|uplink A|3
10.0.3.1|10.0.3.2|30|0|vlan 300||4
10.0.4.1|10.0.4.2|$MIRROR_IF|0|veth0||2
EOF2
diff "$WORK/want" "$WORK/got" || fail "mapped interfaces at nfcapd differ"
log "nfdump %sa|%da|%in|%out|%inam|%onam|%pkt: $(paste -sd';' "$WORK/got")"

# A crash gives the state back too.
bg_ns rx "$JFLOWD" -i veth0 --mirror -n v9://127.0.0.1:2055 --metrics-file "$WORK/m2.prom" \
	2>"$WORK/jflowd2.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m2.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd2.log")"
expect_eq "promiscuity while the second jflowd runs" "$(promisc)" 1
kill -KILL "$JF"
wait "$JF" 2>/dev/null || true
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$JF" | tr '\n' ' ')
expect_eq "promiscuity after SIGKILL" "$(promisc)" 0
log "ok"
