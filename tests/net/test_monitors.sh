#!/bin/bash
# Pins two monitors on one interface (native XDP): "default" (the command
# line's record, v9 to one nfcapd) has every 5-tuple flow exact, and
# "hosts" (/24 and /48 pairs and the protocol, IPFIX to a second nfcapd)
# has every aggregate equal to the sum of its flows as sent; tshark finds
# no warning in either stream, ipfixDump none in the IPFIX one; each
# monitor's invariant holds and each has its own observation domain.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump dumpcap tshark ipfixDump

netns_pair tx rx
start_nfcapd rx 2055 "$WORK/nfv9"; NF_V9=$NFCAPD_PID
start_nfcapd rx 4739 "$WORK/nfhosts"; NF_HOSTS=$NFCAPD_PID
capture_start rx "udp port 2055 or udp port 4739" "$WORK/cap.pcapng"

cat > "$WORK/jflowd.conf" <<EOF
interface = veth0
collector = v9://127.0.0.1:2055
timeouts = idle=2,active=60
metrics-file = $WORK/m.prom
[exporter capacity]
collector = ipfix://127.0.0.1:4739
[record hosts]
key = sourceIPv4Address/24, destinationIPv4Address/24, protocolIdentifier
key = sourceIPv6Address/48, destinationIPv6Address/48
fields = octetDeltaCount, packetDeltaCount, flowStartMilliseconds, flowEndMilliseconds
fields = tcpControlBits, sourceIPv4PrefixLength, destinationIPv4PrefixLength
[monitor hosts]
record = hosts
exporter = capacity
interface = veth0
EOF
bg_ns rx "$JFLOWD" -c "$WORK/jflowd.conf" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for 10 test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
grep -q "with native XDP" "$WORK/jflowd.log" || fail "not native XDP: $(cat "$WORK/jflowd.log")"

# Two disjoint flow sets (the second's addresses spread over more /24s).
in_ns tx "$TRAFGEN" --iface veth0 --flows 1200 --packets 24000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --pps 20000 --expect "$WORK/e1.csv" \
	|| fail "sender exited $?"
in_ns tx "$TRAFGEN" --iface veth0 --flows 600 --packets 12000 --size 64-1400 \
	--protos tcp,udp --families 4,6 --seed 70 --pps 20000 --expect "$WORK/e2.csv" \
	|| fail "sender exited $?"
sleep 1
stop_jflowd "$JF" "$WORK/jflowd.log"
settle rx 2055
settle rx 4739
capture_stop
stop_nfcapd "$NF_V9"
stop_nfcapd "$NF_HOSTS"

# Every packet, once per monitor, and the invariant per monitor.
$METRICS_CHECK "$WORK/m.prom" --no-loss --monitor default --expect-metered 36000 \
	|| fail "metrics invariant (default)"
$METRICS_CHECK "$WORK/m.prom" --no-loss --monitor hosts --expect-metered 36000 \
	|| fail "metrics invariant (hosts)"
grep -q 'jflowd_monitor_info{monitor="hosts",record="hosts",domain="2",sample="1",aggregation="program"} 1' \
	"$WORK/m.prom" || fail "hosts: not domain 2, masked in the program: $(grep monitor_info "$WORK/m.prom")"

# default: every 5-tuple exact.
nfdump_csv "$WORK/nfv9" "$WORK/v9.csv"
$FLOWCMP "$WORK/e1.csv,$WORK/e2.csv" "$WORK/v9.csv" || fail "default: collector totals differ"
# hosts: every aggregate the sum of its flows.
nfdump_csv "$WORK/nfhosts" "$WORK/hosts.csv"
/usr/bin/python3 "$SRC/tests/lib/aggcheck.py" "$WORK/e1.csv,$WORK/e2.csv" "$WORK/hosts.csv" \
	--v4 24 --v6 48 --proto --min-aggregates 20 || fail "hosts: aggregates differ"
# The prefix lengths the record collects: 24, fixed.
/usr/bin/python3 "$SRC/tests/lib/cflow_check.py" values "$WORK/cap.pcapng" 4739 256 \
	cflow.srcmask cflow.dstmask | sort -u > "$WORK/masks.txt"
expect_eq "hosts: prefix lengths of its IPv4 records" "$(cat "$WORK/masks.txt")" "$(printf '24\t24')"

# Both streams clean: tshark's expert info, libfixbuf's strict reader.
for p in 2055 4739; do
	n=$(/usr/bin/python3 "$SRC/tests/lib/cflow_check.py" expert "$WORK/cap.pcapng" $p) \
		|| fail "tshark warns on port $p"
	log "port $p: $n messages, no tshark warning"
done
tshark -r "$WORK/cap.pcapng" -Y 'udp.dstport==4739' -T fields -e udp.payload \
	| /usr/bin/python3 -c 'import re, sys
sys.stdout.buffer.write(bytes.fromhex(re.sub("[^0-9a-fA-F]", "", sys.stdin.read())))' \
	> "$WORK/hosts.ipfix"
ipfixDump --in "$WORK/hosts.ipfix" > "$WORK/hosts.txt" 2> "$WORK/hosts.err" ||
	fail "ipfixDump exited $?"
[ ! -s "$WORK/hosts.err" ] || fail "ipfixDump stderr: $(head -5 "$WORK/hosts.err")"
# Each stream under its monitor's domain: nfdump keys exporters on it.
expect_eq "v9 source id (default)" \
	"$(tshark -r "$WORK/cap.pcapng" -Y 'udp.dstport==2055' -T fields -e cflow.source_id | tr ',' '\n' | grep . | sort -u)" 1
expect_eq "IPFIX observation domain (hosts)" \
	"$(tshark -r "$WORK/cap.pcapng" -Y 'udp.dstport==4739' -T fields -e cflow.od_id | tr ',' '\n' | grep . | sort -u)" 2
log "ok"
