#!/bin/bash
# BGP at scale, end to end: jflowd (XDP on a veth in a namespace of its own,
# router mode off) with --bmp-listen takes a full table from two peers
# (bench_bgp_scale send: 1 M IPv4 + 200 k IPv6 prefixes each) over BMP.
# Prints the load time (connect to every route held), the agent's CPU time
# for it, jflowd_memory_bytes{part="bgp"} and bytes per route, and the
# in-process load of the same stream (bench_bgp_scale rib) as the baseline.
# Usage: bench/bgp_e2e.sh BUILD   (root; run under flock by scripts/bench)
set -euo pipefail
BUILD=$1
NS=jfbgpbench$$
W=$(mktemp -d /tmp/jflowd-bgpbench.XXXXXX)
JF=""
SENDER=""
cleanup() {
	[ -n "$SENDER" ] && kill "$SENDER" 2>/dev/null || :
	[ -n "$JF" ] && kill "$JF" 2>/dev/null && wait "$JF" 2>/dev/null || :
	ip netns del "$NS" 2>/dev/null || :
	rm -rf "$W"
}
trap cleanup EXIT
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/bench_bgp_scale" rib 2
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add v0 type veth peer name v1
ip -n "$NS" link set v0 up
ip -n "$NS" link set v1 up
ip netns exec "$NS" "$BUILD/src/jflowd" -i v0 -n ipfix://127.0.0.1:4739 --route-lookup off \
	--max-flows 65536 --bmp-listen 127.0.0.1:11019 --control-socket "$W/ctl.sock" \
	--metrics-file "$W/m.prom" -q 2>"$W/jflowd.log" &
JF=$!
for i in $(seq 100); do [ -S "$W/ctl.sock" ] && break; sleep 0.1; done
cpu() { awk '{ print $14 + $15 }' "/proc/$JF/stat"; }
routes() { "$BUILD/src/jflowctl" -s "$W/ctl.sock" bgp | awk '/^routes/ { gsub(",", "", $2); print $2 }'; }
tck=$(getconf CLK_TCK)
mkfifo "$W/hold"
ip netns exec "$NS" "$BUILD/bench/bench_bgp_scale" send 127.0.0.1 11019 2 < "$W/hold" > "$W/send.log" &
SENDER=$!
exec 3>"$W/hold"
# The stream is made first; the clock starts when it is sent.
until grep -q sending "$W/send.log"; do sleep 0.01; done
c0=$(cpu)
t0=$(date +%s.%N)
until [ "$(routes)" = 2400000 ]; do
	kill -0 "$JF" || { cat "$W/jflowd.log"; exit 1; }
	sleep 0.2
done
t1=$(date +%s.%N)
c1=$(cpu)
sleep 1.5	# one metrics write
mem=$(awk '/^jflowd_memory_bytes\{part="bgp"\}/ { print $2 }' "$W/m.prom")
awk -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v tck="$tck" -v mem="$mem" 'BEGIN {
	printf "jflowd: 2400000 routes loaded over BMP in %.2f s, agent CPU %.2f s; " \
		"memory part=bgp %d bytes, %.1f bytes/route\n", t1 - t0, (c1 - c0) / tck, mem,
		mem / 2400000 }'
exec 3>&-
