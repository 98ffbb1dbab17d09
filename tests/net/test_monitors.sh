#!/bin/bash
# Pins two monitors on one interface (native XDP): "default" (the command
# line's record, v9 to one nfcapd) has every 5-tuple flow exact, and
# "hosts" (/24 and /48 pairs and the protocol, IPFIX to a second nfcapd)
# has every aggregate equal to the sum of its flows as sent; tshark finds
# no warning in either stream, ipfixDump none in the IPFIX one; each
# monitor's invariant holds and each has its own observation domain.
# A third, "agg", has the same record merged in the agent (aggregation =
# agent) and the same aggregates at a third nfcapd. jflowctl per monitor:
# flows --monitor shows each coarse monitor's aggregates by its record's
# key, equal to the sums sent; stats and collectors show that monitor's
# alone; expire --monitor ends that monitor's flows and no other's; an
# unknown name is an error naming the monitors.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump dumpcap tshark ipfixDump

netns_pair tx rx
start_nfcapd rx 2055 "$WORK/nfv9"; NF_V9=$NFCAPD_PID
start_nfcapd rx 4739 "$WORK/nfhosts"; NF_HOSTS=$NFCAPD_PID
start_nfcapd rx 4740 "$WORK/nfagg"; NF_AGG=$NFCAPD_PID
capture_start rx "udp port 2055 or udp port 4739" "$WORK/cap.pcapng"
JFLOWCTL="$BUILD/src/jflowctl"
SOCK="$WORK/ctl.sock"
ctl() { "$JFLOWCTL" -s "$SOCK" "$@"; }

cat > "$WORK/jflowd.conf" <<EOF
interface = veth0
collector = v9://127.0.0.1:2055
timeouts = idle=2,active=60
metrics-file = $WORK/m.prom
control-socket = $SOCK
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
timeouts = idle=60,active=120
[exporter planning]
collector = ipfix://127.0.0.1:4740
[monitor agg]
record = hosts
exporter = planning
interface = veth0
aggregation = agent
timeouts = idle=60,active=120
EOF
bg_ns rx "$JFLOWD" -c "$WORK/jflowd.conf" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
grep -q "with native XDP" "$WORK/jflowd.log" || fail "not native XDP: $(cat "$WORK/jflowd.log")"

# Two disjoint flow sets (the second's addresses spread over more /24s).
in_ns tx "$TRAFGEN" --iface veth0 --flows 1200 --packets 24000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --pps 20000 --expect "$WORK/e1.csv" \
	|| fail "sender exited $?"
in_ns tx "$TRAFGEN" --iface veth0 --flows 600 --packets 12000 --size 64-1400 \
	--protos tcp,udp --families 4,6 --seed 70 --pps 20000 --expect "$WORK/e2.csv" \
	|| fail "sender exited $?"
sleep 3	# default's flows leave (idle 2 s); hosts' and agg's stay

# jflowctl per monitor. flows: each coarse monitor's aggregates by its
# record's key, as sent (agg: the cache's flows merged to it, and its
# aggregates).
tocsv() { # the rows of flows --json as nfdump's CSV for aggcheck.py
	/usr/bin/python3 -c 'import json, sys
print("sa,da,sp,dp,pr,ipkt,ibyt")
for r in json.load(sys.stdin):
    sa = (r.get("sourceIPv4Address") or r["sourceIPv6Address"]).split("/")[0]
    da = (r.get("destinationIPv4Address") or r["destinationIPv6Address"]).split("/")[0]
    print(sa, da, 0, 0, r["protocolIdentifier"], r["packets"], r["octets"], sep=",")'
}
for mon in hosts agg; do
	ctl flows --monitor $mon --json | tocsv > "$WORK/ctl_$mon.csv" || fail "flows --monitor $mon"
	/usr/bin/python3 "$SRC/tests/lib/aggcheck.py" "$WORK/e1.csv,$WORK/e2.csv" \
		"$WORK/ctl_$mon.csv" --v4 24 --v6 48 --proto --min-aggregates 20 \
		|| fail "jflowctl flows --monitor $mon: aggregates differ"
done
ctl flows --monitor hosts | head -3 | sed 's/^/  jflowctl flows --monitor hosts: /'
ctl flows --monitor hosts | head -1 | grep -qE "^sourceIPv4Address +destinationIPv4Address +protocolIdentifier +sourceIPv6Address +destinationIPv6Address +packets +octets +seconds$" \
	|| fail "flows --monitor hosts: not the record's key columns"
ctl stats --monitor hosts > "$WORK/ctl_stats.txt" || fail "stats --monitor hosts"
grep -q . "$WORK/ctl_stats.txt" && ! grep -v 'monitor="hosts"' "$WORK/ctl_stats.txt" \
	|| fail "stats --monitor hosts: $(grep -v 'monitor="hosts"' "$WORK/ctl_stats.txt" | head -3)"
grep -q '^jflowd_collector_records_total{collector="ipfix://127.0.0.1:4739"' "$WORK/ctl_stats.txt" \
	|| fail "stats --monitor hosts: no collector series"
ctl collectors --monitor hosts > "$WORK/ctl_coll.txt" || fail "collectors --monitor hosts"
expect_eq "collectors --monitor hosts" "$(tail -n +2 "$WORK/ctl_coll.txt" | awk '{print $1}')" \
	"ipfix://127.0.0.1:4739"
ctl expire --monitor hosts | grep -qE '^[1-9][0-9]* flows exported$' || fail "expire --monitor hosts"
expect_eq "hosts' flows after expire --monitor hosts" \
	"$(ctl flows --monitor hosts | tail -n +2 | wc -l)" 0
[ "$(ctl flows --monitor agg | tail -n +2 | wc -l)" -ge 20 ] \
	|| fail "expire --monitor hosts ended agg's flows too"
rc=0; ctl flows --monitor nosuch 2>"$WORK/err" || rc=$?
expect_eq "flows --monitor nosuch: exit" "$rc" 1
grep -q "no monitor named nosuch (monitors: default hosts agg)" "$WORK/err" \
	|| fail "flows --monitor nosuch: $(cat "$WORK/err")"

stop_jflowd "$JF" "$WORK/jflowd.log"
settle rx 2055
settle rx 4739
settle rx 4740
capture_stop
stop_nfcapd "$NF_V9"
stop_nfcapd "$NF_HOSTS"
stop_nfcapd "$NF_AGG"

# Every packet, once per monitor, and the invariant per monitor.
$METRICS_CHECK "$WORK/m.prom" --no-loss --monitor default --expect-metered 36000 \
	|| fail "metrics invariant (default)"
$METRICS_CHECK "$WORK/m.prom" --no-loss --monitor hosts --expect-metered 36000 \
	|| fail "metrics invariant (hosts)"
grep -q 'jflowd_monitor_info{monitor="hosts",record="hosts",domain="2",sample="1",aggregation="program"} 1' \
	"$WORK/m.prom" || fail "hosts: not domain 2, masked in the program: $(grep monitor_info "$WORK/m.prom")"
$METRICS_CHECK "$WORK/m.prom" --no-loss --monitor agg --expect-metered 36000 \
	|| fail "metrics invariant (agg)"
grep -q 'jflowd_monitor_info{monitor="agg",record="hosts",domain="3",sample="1",aggregation="agent"} 1' \
	"$WORK/m.prom" || fail "agg: not domain 3, merged in the agent: $(grep monitor_info "$WORK/m.prom")"

# default: every 5-tuple exact.
nfdump_csv "$WORK/nfv9" "$WORK/v9.csv"
$FLOWCMP "$WORK/e1.csv,$WORK/e2.csv" "$WORK/v9.csv" || fail "default: collector totals differ"
# hosts: every aggregate the sum of its flows.
nfdump_csv "$WORK/nfhosts" "$WORK/hosts.csv"
/usr/bin/python3 "$SRC/tests/lib/aggcheck.py" "$WORK/e1.csv,$WORK/e2.csv" "$WORK/hosts.csv" \
	--v4 24 --v6 48 --proto --min-aggregates 20 --one-record || fail "hosts: aggregates differ"
nfdump_csv "$WORK/nfagg" "$WORK/agg.csv"
/usr/bin/python3 "$SRC/tests/lib/aggcheck.py" "$WORK/e1.csv,$WORK/e2.csv" "$WORK/agg.csv" \
	--v4 24 --v6 48 --proto --min-aggregates 20 --one-record || fail "agg: aggregates differ"
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
