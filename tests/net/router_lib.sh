# Routed topology for the router-mode tests (sourced after lib.sh):
#   c (client) vc 10.1.0.2 --- r0 10.1.0.1  [r: forwarding]  r1 10.2.0.1 --- vs 10.2.0.2 s
#                                                             r2 10.4.0.1 --- vs2 10.4.0.2 s
# s is the server and the gateway to 10.3.0.0/16 (10.3.1.1 on its lo);
# 10.9.0.0/16 is blackholed on r. The same in IPv6 with 2001:db8:N::.
# Neighbours are static: no ARP or ND traffic of their own in the flows,
# and no router solicitations, DAD or autoconfiguration.
router_topology() {
	local n C R S l
	C=$(ns c); R=$(ns r); S=$(ns s)
	for n in $C $R $S; do
		ip netns add "$n"; NETNS="$NETNS $n"
		ip netns exec "$n" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
			net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_ra=0
		ip -n "$n" link set lo up
	done
	ip link add vc netns "$C" address 02:00:00:00:01:02 type veth \
		peer name r0 netns "$R" address 02:00:00:00:01:01
	ip link add vs netns "$S" address 02:00:00:00:02:02 type veth \
		peer name r1 netns "$R" address 02:00:00:00:02:01
	ip link add vs2 netns "$S" address 02:00:00:00:04:02 type veth \
		peer name r2 netns "$R" address 02:00:00:00:04:01
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$C" addr add 10.1.0.2/24 dev vc; ip -n "$C" addr add 2001:db8:1::2/64 dev vc nodad
	ip -n "$R" addr add 10.1.0.1/24 dev r0; ip -n "$R" addr add 2001:db8:1::1/64 dev r0 nodad
	ip -n "$R" addr add 10.2.0.1/24 dev r1; ip -n "$R" addr add 2001:db8:2::1/64 dev r1 nodad
	ip -n "$R" addr add 10.4.0.1/24 dev r2; ip -n "$R" addr add 2001:db8:4::1/64 dev r2 nodad
	ip -n "$S" addr add 10.2.0.2/24 dev vs; ip -n "$S" addr add 2001:db8:2::2/64 dev vs nodad
	ip -n "$S" addr add 10.4.0.2/24 dev vs2; ip -n "$S" addr add 2001:db8:4::2/64 dev vs2 nodad
	ip -n "$S" addr add 10.3.1.1/24 dev lo; ip -n "$S" addr add 2001:db8:3::1/64 dev lo
	for l in "$C vc" "$R r0" "$R r1" "$R r2" "$S vs" "$S vs2"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$C" route add default via 10.1.0.1
	ip -n "$C" -6 route add default via 2001:db8:1::1
	ip -n "$S" route add default via 10.2.0.1
	ip -n "$S" -6 route add default via 2001:db8:2::1
	ip -n "$R" route add 10.3.0.0/16 via 10.2.0.2 dev r1
	ip -n "$R" -6 route add 2001:db8:3::/48 via 2001:db8:2::2 dev r1
	ip -n "$R" route add blackhole 10.9.0.0/16
	ip -n "$R" -6 route add blackhole 2001:db8:9::/48
	for l in "$C vc 10.1.0.1 01:01" "$C vc 2001:db8:1::1 01:01" \
		 "$R r0 10.1.0.2 01:02" "$R r0 2001:db8:1::2 01:02" \
		 "$R r1 10.2.0.2 02:02" "$R r1 2001:db8:2::2 02:02" \
		 "$R r2 10.4.0.2 04:02" "$R r2 2001:db8:4::2 04:02" \
		 "$S vs 10.2.0.1 02:01" "$S vs 2001:db8:2::1 02:01" \
		 "$S vs2 10.4.0.1 04:01" "$S vs2 2001:db8:4::1 04:01"; do
		set -- $l
		ip -n "$1" neigh replace "$3" lladdr "02:00:00:00:$4" dev "$2" nud permanent
	done
	# Let link-up MLD reports pass before anything is metered.
	sleep 1
}

# rifindex IFACE: ifindex of a router interface.
rifindex() { ip -n "$(ns r)" -o link show "$1" | awk -F: '{ print $1 }'; }

# expect_route PROTO SRC DST SPORT DPORT IIF SRCMASK DSTMASK: one line of
# route_check.py expectations, interface and next hop from `ip route get`
# on the router now (prefix lengths are the topology's, given).
expect_route() {
	local pr=$1 src=$2 dst=$3 sp=$4 dp=$5 iif=$6 smk=$7 dmk=$8 out nh="0.0.0.0" fwd r dev
	[ "${dst#*:}" != "$dst" ] && nh="::"
	if ! r=$(ip -n "$(ns r)" -o route get "$dst" from "$src" iif "$iif" 2>/dev/null); then
		echo "$pr $src $dst $sp $dp $(rifindex "$iif") 0 $nh $smk 0 131 0"
		return
	fi
	case "$r" in
	local*) echo "$pr $src $dst $sp $dp $(rifindex "$iif") 0 $nh $smk $dmk 195 0"; return ;;
	esac
	dev=$(echo "$r" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
	case "$r" in *" via "*) nh=$(echo "$r" | sed -n 's/.* via \([^ ]*\).*/\1/p') ;; esac
	out=$(rifindex "$dev")
	echo "$pr $src $dst $sp $dp $(rifindex "$iif") $out $nh $smk $dmk 64 0"
}
