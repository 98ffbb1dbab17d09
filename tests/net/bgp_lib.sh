# BGP topology for the BGP-aware flow tests (sourced after lib.sh):
#   c (client) vc 10.1.0.2 --- r0 10.1.0.1 [r: zebra, bgpd AS 65000 -M bmp, jflowd]
#                               r1 10.11.0.1 --- e1 10.11.0.2 u1 (bgpd AS 65001)
#                               r2 10.12.0.1 --- e2 10.12.0.2 u2 (bgpd AS 65002)
# The same in IPv6 with 2001:db8:N::. Every FRR daemon runs inside its
# namespace with its own configuration, sockets and logs under $WORK (never
# /etc/frr, never a daemon outside the test's namespaces). r's bgpd streams
# BMP to jflowd on r's loopback; zebra installs r's BGP routes in r's kernel.
FRR=/usr/lib/frr

bgp_topology() {
	local n C R l
	C=$(ns c); R=$(ns r)
	for n in $C $R $(ns u1) $(ns u2); do
		ip netns add "$n"; NETNS="$NETNS $n"
		ip netns exec "$n" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
			net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_ra=0
		ip -n "$n" link set lo up
	done
	ip link add vc netns "$C" type veth peer name r0 netns "$R"
	ip link add e1 netns "$(ns u1)" type veth peer name r1 netns "$R"
	ip link add e2 netns "$(ns u2)" type veth peer name r2 netns "$R"
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$C" addr add 10.1.0.2/24 dev vc; ip -n "$C" addr add 2001:db8:1::2/64 dev vc nodad
	ip -n "$R" addr add 10.1.0.1/24 dev r0; ip -n "$R" addr add 2001:db8:1::1/64 dev r0 nodad
	for n in 1 2; do
		ip -n "$R" addr add 10.1$n.0.1/24 dev r$n
		ip -n "$R" addr add 2001:db8:1$n::1/64 dev r$n nodad
		ip -n "$(ns u$n)" addr add 10.1$n.0.2/24 dev e$n
		ip -n "$(ns u$n)" addr add 2001:db8:1$n::2/64 dev e$n nodad
		# Both upstreams answer for 198.51.100.1 and 2001:db8:100::1;
		# u2 alone for 203.0.113.1.
		ip -n "$(ns u$n)" addr add 198.51.100.1/24 dev lo
		ip -n "$(ns u$n)" addr add 2001:db8:100::1/48 dev lo
	done
	ip -n "$(ns u2)" addr add 203.0.113.1/24 dev lo
	for l in "$C vc" "$R r0" "$R r1" "$R r2" "$(ns u1) e1" "$(ns u2) e2"; do
		set -- $l
		ip -n "$1" link set "$2" up
	done
	ip -n "$C" route add default via 10.1.0.1
	ip -n "$C" -6 route add default via 2001:db8:1::1
	for n in 1 2; do
		ip -n "$(ns u$n)" route add default via 10.1$n.0.1
		ip -n "$(ns u$n)" -6 route add default via 2001:db8:1$n::1
	done
	sleep 1
}

# frr_conf NAME: write $WORK/NAME/bgpd.conf from stdin.
frr_conf() { frr_dir "$1"; cat > "$WORK/$1/bgpd.conf"; }

# frr_dir NAME: $WORK/NAME for FRR's files, owned by its user (the
# daemons run as frr, which the vty group frrvty admits).
frr_dir() { mkdir -p "$WORK/$1"; chmod 755 "$WORK"; chown frr:frr "$WORK/$1"; }

# start_bgpd NS NAME [ARGS...]: bgpd in NS with $WORK/NAME/bgpd.conf.
start_bgpd() {
	local n=$1 name=$2; shift 2
	bg_ns "$n" "$FRR/bgpd" -u frr -g frr -f "$WORK/$name/bgpd.conf" \
		-i "$WORK/$name/bgpd.pid" --vty_socket "$WORK/$name" -P 0 \
		--log "file:$WORK/$name/bgpd.log" "$@"
	eval "BGPD_${name}=\$LAST_PID"
}

# start_zebra NS NAME: zebra in NS, its API socket at $WORK/NAME/zserv.api.
start_zebra() {
	local n=$1 name=$2
	frr_dir "$name"
	: > "$WORK/$name/zebra.conf"
	bg_ns "$n" "$FRR/zebra" -u frr -g frr -f "$WORK/$name/zebra.conf" \
		-i "$WORK/$name/zebra.pid" --vty_socket "$WORK/$name" -P 0 \
		-z "$WORK/$name/zserv.api" --log "file:$WORK/$name/zebra.log"
	wait_for 10 test -S "$WORK/$name/zserv.api" || fail "zebra did not start"
}

# vty NAME CMD...: vtysh against the daemons of $WORK/NAME.
vty() {
	local name=$1 a=(); shift
	for c in "$@"; do a+=(-c "$c"); done
	vtysh --vty_socket "$WORK/$name" "${a[@]}"
}

# upstream_conf N AS: u$N's bgpd: eBGP to r over IPv4 and IPv6, announcing
# what route-map OUT (given on stdin after the header) sets.
upstream_conf() {
	local n=$1 as=$2
	{
		cat <<EOF
hostname u$n
frr defaults traditional
EOF
		cat
		cat <<EOF
router bgp $as
 bgp router-id 10.1$n.0.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 timers bgp 3 9
 neighbor 10.1$n.0.1 remote-as 65000
 neighbor 10.1$n.0.1 timers connect 1
 neighbor 10.1$n.0.1 advertisement-interval 0
 neighbor 2001:db8:1$n::1 remote-as 65000
 neighbor 2001:db8:1$n::1 timers connect 1
 neighbor 2001:db8:1$n::1 advertisement-interval 0
 address-family ipv4 unicast
  neighbor 10.1$n.0.1 route-map OUT out
  no neighbor 2001:db8:1$n::1 activate
  \$NETWORKS4
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:1$n::1 activate
  neighbor 2001:db8:1$n::1 route-map OUT out
  \$NETWORKS6
 exit-address-family
EOF
	} | sed -e "s|\\\$NETWORKS4|$(eval echo "\$NETWORKS4_$n")|" \
		-e "s|\\\$NETWORKS6|$(eval echo "\$NETWORKS6_$n")|" | frr_conf "u$n"
}

# router_conf PORT: r's bgpd, its BMP target jflowd on 127.0.0.1:PORT.
router_conf() {
	frr_conf r <<EOF
hostname r
frr defaults traditional
router bgp 65000
 bgp router-id 10.1.0.1
 no bgp ebgp-requires-policy
 timers bgp 3 9
 neighbor 10.11.0.2 remote-as 65001
 neighbor 10.12.0.2 remote-as 65002
 neighbor 2001:db8:11::2 remote-as 65001
 neighbor 2001:db8:12::2 remote-as 65002
 neighbor 10.11.0.2 timers connect 1
 neighbor 10.12.0.2 timers connect 1
 neighbor 2001:db8:11::2 timers connect 1
 neighbor 2001:db8:12::2 timers connect 1
 neighbor 10.11.0.2 advertisement-interval 0
 neighbor 10.12.0.2 advertisement-interval 0
 address-family ipv4 unicast
  no neighbor 2001:db8:11::2 activate
  no neighbor 2001:db8:12::2 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:11::2 activate
  neighbor 2001:db8:12::2 activate
 exit-address-family
 bmp targets jflowd
  bmp monitor ipv4 unicast pre-policy
  bmp monitor ipv4 unicast post-policy
  bmp monitor ipv6 unicast pre-policy
  bmp monitor ipv6 unicast post-policy
  bmp connect 127.0.0.1 port $1 min-retry 100 max-retry 500
 exit
EOF
}
