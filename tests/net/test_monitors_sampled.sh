#!/bin/bash
# Pins a sampled monitor beside an unsampled one, on two interfaces of one
# jflowd (native XDP): "uplink" meters veth0 at 1 in 10 (IPFIX), "customer"
# meters veth1 at 1 in 1 (v9). Each monitor observes its own interface's
# frames and no other's; the customer's flows are exact at nfcapd; the
# uplink's are bounded by what was sent, and short of it by exactly the
# frames and octets its sampling skipped (per flow at ipfixDump, summed
# over all flows); the skipped share is 0.9 within 5 sigma. The uplink
# announces 1 in 10, random (IEs 34 and 35 = 10, 2) in its options and in
# every record; the customer announces 1, deterministic (1, 0) and its
# records carry no IE 34. The invariant holds per monitor.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump dumpcap tshark ipfixDump

netns_pair tx rx
# The customer's side: its own namespace, veth1 in rx.
CUST="${NS_PREFIX}c"
ip netns add "$CUST"; NETNS="$NETNS $CUST"
ip netns exec "$CUST" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$CUST" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip link add veth1 netns "$(ns rx)" type veth peer name veth0 netns "$CUST"
ip -n "$(ns rx)" link set veth1 mtu 9000 up
ip -n "$CUST" link set veth0 mtu 9000 up
CFLOW="/usr/bin/python3 $SRC/tests/lib/cflow_check.py"

start_nfcapd rx 2055 "$WORK/nfcust"; NF=$NFCAPD_PID
udp_sink rx 4739
capture_start rx "udp port 2055 or udp port 4739" "$WORK/cap.pcapng"

cat > "$WORK/jflowd.conf" <<EOF
metrics-file = $WORK/m.prom
[exporter core]
collector = ipfix://127.0.0.1:4739
template-interval = 2
[exporter billing]
collector = v9://127.0.0.1:2055
[monitor uplink]
exporter = core
interface = veth0:in
sample = 10
timeouts = idle=60,active=120
[monitor customer]
exporter = billing
interface = veth1
timeouts = idle=60,active=120
EOF
bg_ns rx "$JFLOWD" -c "$WORK/jflowd.conf" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
grep -q "with native XDP" "$WORK/jflowd.log" || fail "not native XDP: $(cat "$WORK/jflowd.log")"

# 30,000 frames on the uplink (3,000 sampled, sigma 52), 8,000 at the customer.
in_ns tx "$TRAFGEN" --iface veth0 --flows 1000 --packets 30000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --pps 25000 --expect "$WORK/up.csv" \
	|| fail "uplink sender exited $?"
ip netns exec "$CUST" "$TRAFGEN" --iface veth0 --flows 400 --packets 8000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --seed 33 --pps 20000 --expect "$WORK/cust.csv" \
	|| fail "customer sender exited $?"
sleep 1
stop_jflowd "$JF" "$WORK/jflowd.log"
settle rx 2055
capture_stop
stop_nfcapd "$NF"

m() { metric "$WORK/m.prom" "$1" "monitor=\"$2\""; }
$METRICS_CHECK "$WORK/m.prom" --no-loss --monitor customer --expect-metered 8000 \
	|| fail "metrics invariant (customer)"
$METRICS_CHECK "$WORK/m.prom" --no-loss --monitor uplink || fail "metrics invariant (uplink)"
expect_eq "uplink: frames observed" "$(m jflowd_monitor_packets_observed_total uplink)" 30000
expect_eq "customer: frames observed" "$(m jflowd_monitor_packets_observed_total customer)" 8000
expect_eq "customer: frames not sampled" \
	"$(m jflowd_monitor_packets_not_sampled_total customer)" 0
skipped=$(m jflowd_monitor_packets_not_sampled_total uplink)
metered=$(m jflowd_monitor_packets_metered_total uplink)
expect_eq "uplink: observed = metered + not sampled" "$((metered + skipped))" 30000
# Binomial(30000, 0.9): mean 27000, sigma 52.
[ "$skipped" -ge 26740 ] && [ "$skipped" -le 27260 ] \
	|| fail "uplink: $skipped of 30000 frames skipped, not 1 in 10 sampled"
log "uplink: $metered of 30000 frames sampled"

# customer: every 5-tuple exact.
nfdump_csv "$WORK/nfcust" "$WORK/cust_nf.csv"
$FLOWCMP "$WORK/cust.csv" "$WORK/cust_nf.csv" || fail "customer: collector totals differ"
# uplink: every flow at most what was sent, the shortfall exactly what
# its sampling skipped.
tshark -r "$WORK/cap.pcapng" -Y 'udp.dstport==4739' -T fields -e udp.payload \
	| /usr/bin/python3 -c 'import re, sys
sys.stdout.buffer.write(bytes.fromhex(re.sub("[^0-9a-fA-F]", "", sys.stdin.read())))' \
	> "$WORK/up.ipfix"
ipfixDump --in "$WORK/up.ipfix" > "$WORK/up.txt" 2> "$WORK/up.err" || fail "ipfixDump exited $?"
[ ! -s "$WORK/up.err" ] || fail "ipfixDump stderr: $(head -5 "$WORK/up.err")"
sent_octets=$(awk -F, 'NR > 1 { s += $12 } END { print s }' "$WORK/up.csv")
got_octets=$(m jflowd_monitor_octets_metered_total uplink)
$FLOWCMP "$WORK/up.csv" "$WORK/up.txt" --format ipfixdump --lost-packets "$skipped" \
	--lost-octets "$((sent_octets - got_octets))" || fail "uplink: sampled totals differ"

# The sampling each stream announces, in its options and its records.
$CFLOW options "$WORK/cap.pcapng" 4739 cflow.sampling_interval=10 cflow.sampling_algorithm=2 \
	|| fail "uplink: options do not announce 1 in 10"
$CFLOW options "$WORK/cap.pcapng" 2055 cflow.sampling_interval=1 cflow.sampling_algorithm=0 \
	|| fail "customer: options do not announce 1 in 1"
for p in 4739 2055; do
	out=$($CFLOW sampling-order "$WORK/cap.pcapng" $p) || fail "port $p: $out"
	log "port $p: $out"
done
expect_eq "uplink: records with IE 34 = 10" \
	"$($CFLOW values "$WORK/cap.pcapng" 4739 256 cflow.sampling_interval | sort -u)" 10
expect_eq "customer: records with IE 34" \
	"$($CFLOW values "$WORK/cap.pcapng" 2055 256 cflow.sampling_interval | sort -u)" ""
for p in 2055 4739; do
	n=$($CFLOW expert "$WORK/cap.pcapng" $p) || fail "tshark warns on port $p"
	log "port $p: $n messages, no tshark warning"
done
log "ok"
