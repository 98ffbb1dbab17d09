#!/bin/bash
# Pins reload of monitors, records and exporters under traffic (SIGHUP,
# native XDP). One sender runs through three reloads: (1) a monitor is
# added, (2) a record changes, (3) an exporter is removed. Across them:
# - "default" (the global lines, A) is never cut: every 5-tuple flow is
#   exact at A in exactly one record;
# - "hosts" (/24 pairs + protocol, to B and to C) ends its aggregates at
#   the record change (a flow boundary: every /24 record ends before the
#   first /16 one starts) and goes on /16; at B its aggregates are the sum
#   of the flows sent, 24 first, then 16; C gets nothing after its exporter
#   left;
# - "ports" (built-in protocol-port, to D) starts at (1): its records
#   at D are what it metered;
# - the invariant holds per monitor, exactly, in the final metrics.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump dumpcap tshark

netns_pair tx rx
A=4739 B=4740 C=2055 D=4741
start_nfcapd rx $A "$WORK/nfA"; NFA=$NFCAPD_PID
start_nfcapd rx $B "$WORK/nfB"; NFB=$NFCAPD_PID
start_nfcapd rx $C "$WORK/nfC"; NFC=$NFCAPD_PID
start_nfcapd rx $D "$WORK/nfD"; NFD=$NFCAPD_PID
capture_start rx "udp port $A or udp port $B or udp port $C or udp port $D" "$WORK/cap.pcapng"

# conf STEP: the configuration after that many reloads.
conf() {
	local bits=24 bits6=48
	[ "$1" -ge 2 ] && { bits=16; bits6=32; }
	{
		echo "interface = veth0"
		echo "collector = ipfix://127.0.0.1:$A"
		echo "timeouts = idle=60,active=120"
		echo "metrics-file = $WORK/m.prom"
		echo "[exporter capacity]"
		echo "collector = ipfix://127.0.0.1:$B"
		[ "$1" -ge 3 ] || printf '%s\n' "[exporter audit]" "collector = v9://127.0.0.1:$C"
		echo "[record hosts]"
		echo "key = sourceIPv4Address/$bits, destinationIPv4Address/$bits, protocolIdentifier"
		echo "key = sourceIPv6Address/$bits6, destinationIPv6Address/$bits6"
		echo "fields = octetDeltaCount, packetDeltaCount, flowStartMilliseconds"
		echo "fields = flowEndMilliseconds, sourceIPv4PrefixLength, destinationIPv4PrefixLength"
		echo "[monitor hosts]"
		echo "record = hosts"
		echo "exporter = capacity"
		[ "$1" -ge 3 ] || echo "exporter = audit"
		echo "interface = veth0"
		if [ "$1" -ge 1 ]; then
			printf '%s\n' "[exporter ports]" "collector = ipfix://127.0.0.1:$D" \
				"[monitor ports]" "record = protocol-port" "exporter = ports" \
				"interface = veth0"
		fi
	} > "$WORK/jflowd.conf"
}
# csv_packets FILE: the packets of nfdump's CSV records.
csv_packets() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "ipkt") c = i; next }
		$1 == "Summary" { exit } NF >= c { s += $c } END { print s + 0 }' "$1"
}
# hup WHAT: SIGHUP, and wait for the reload's line.
hup() {
	local n=$(grep -c "reloaded:" "$WORK/jflowd.log" || true)
	kill -HUP "$JF"
	wait_for 10 sh -c "[ \$(grep -c 'reloaded:' $WORK/jflowd.log) -gt $n ]" \
		|| { cat "$WORK/jflowd.log"; fail "no reload after SIGHUP ($1)"; }
	kill -0 "$JF" || fail "jflowd stopped on SIGHUP ($1)"
	log "$1: $(grep "reloaded:" "$WORK/jflowd.log" | tail -1 | sed 's/.*reloaded: //')"
}

conf 0
bg_ns rx "$JFLOWD" -c "$WORK/jflowd.conf" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
grep -q "with native XDP" "$WORK/jflowd.log" || fail "not native XDP: $(cat "$WORK/jflowd.log")"

# 36,000 frames over about 9 s, every flow sending all along.
bg_ns tx "$TRAFGEN" --iface veth0 --flows 600 --packets 36000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --pps 4000 --expect "$WORK/sent.csv"
SENDER=$LAST_PID
sleep 2
conf 1; hup "add monitor ports"
grep -q "monitor ports: added by reload" "$WORK/jflowd.log" || fail "ports not added"
sleep 2
conf 2; hup "record hosts /24 -> /16"
grep -q "monitor hosts: record hosts changed: its flows exported" "$WORK/jflowd.log" \
	|| fail "no flow boundary for hosts: $(tail -3 "$WORK/jflowd.log")"
sleep 2
conf 3; hup "remove exporter audit"
gone=$(date +%s.%N)
wait "$SENDER" || fail "sender exited $?"
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$SENDER" | tr '\n' ' ')
sleep 1
stop_jflowd "$JF" "$WORK/jflowd.log"
for p in $A $B $C $D; do settle rx $p; done
capture_stop
for p in $NFA $NFB $NFC $NFD; do stop_nfcapd "$p"; done
grep -E "reload|monitor|collector" "$WORK/jflowd.log" | sed 's/^/  jflowd: /'

# The invariant, exactly, per monitor; hosts and default metered everything.
$METRICS_CHECK "$WORK/m.prom" --no-loss --monitor default --expect-metered 36000 \
	|| fail "metrics invariant (default)"
$METRICS_CHECK "$WORK/m.prom" --no-loss --monitor hosts --expect-metered 36000 \
	|| fail "metrics invariant (hosts)"
$METRICS_CHECK "$WORK/m.prom" --no-loss --monitor ports || fail "metrics invariant (ports)"

# default: never cut, every flow exact in one record.
nfdump_csv "$WORK/nfA" "$WORK/a.csv"
$FLOWCMP "$WORK/sent.csv" "$WORK/a.csv" --max-records 1 || fail "default: flows differ at A"

# hosts at B: the sum of the flows sent, per /16 (its /24 records inside);
# /24 records first, then /16 ones, no aggregate across the change.
nfdump_csv "$WORK/nfB" "$WORK/b.csv"
/usr/bin/python3 "$SRC/tests/lib/aggcheck.py" "$WORK/sent.csv" "$WORK/b.csv" \
	--v4 16 --v6 32 --proto --coarsen || fail "hosts: aggregates at B differ"
tshark -r "$WORK/cap.pcapng" -d "udp.port==$B,cflow" -Y "udp.dstport==$B && cflow.srcmask" \
	-T fields -e cflow.srcmask -e cflow.abstimestart -e cflow.abstimeend -E occurrence=a \
	-E aggregator='|' > "$WORK/b_masks.txt"
/usr/bin/python3 - "$WORK/b_masks.txt" <<'PY' || fail "hosts: no clean boundary at the record change"
import datetime, sys
def ms(t):
    d, f = t.replace(" UTC", "").rsplit(".", 1)
    return datetime.datetime.strptime(d, "%b %d, %Y %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000 + int(f[:3])
seq, span = [], {}
for line in open(sys.argv[1]):
    masks, starts, ends = (c.split("|") for c in line.rstrip("\n").split("\t"))
    for m, s, e in zip(masks, starts, ends):
        if not seq or seq[-1] != m:
            seq.append(m)
        lo, hi = span.get(m, (float("inf"), 0))
        span[m] = (min(lo, ms(s)), max(hi, ms(e)))
print("hosts at B: prefix lengths in capture order", seq, "spans", span)
assert seq == ["24", "16"], seq
assert span["24"][1] <= span["16"][0], span
PY
# C: some of hosts' records, and no message after its exporter left.
nfdump_csv "$WORK/nfC" "$WORK/c.csv"
c_pkts=$(csv_packets "$WORK/c.csv")
[ "$c_pkts" -gt 0 ] || fail "C got nothing before its exporter left"
last_c=$(tshark -r "$WORK/cap.pcapng" -Y "udp.dstport==$C" -T fields -e frame.time_epoch | tail -1)
after_b=$(tshark -r "$WORK/cap.pcapng" -Y "udp.dstport==$B && frame.time_epoch > $gone" \
	| wc -l)
/usr/bin/python3 -c "import sys; sys.exit(0 if float('$last_c') <= float('$gone') else 1)" \
	|| fail "C got a message at $last_c, after its exporter left ($gone)"
[ "$after_b" -gt 0 ] || fail "B got nothing after the last reload"
log "audit (C): $c_pkts packets in records, the last message before its exporter left;" \
	"capacity (B): $after_b messages after"
# ports at D: what it metered.
nfdump_csv "$WORK/nfD" "$WORK/d.csv"
d_pkts=$(csv_packets "$WORK/d.csv")
expect_eq "ports: packets at D = its metered" "$d_pkts" \
	"$(metric "$WORK/m.prom" jflowd_monitor_packets_metered_total 'monitor="ports"')"
[ "$d_pkts" -gt 5000 ] || fail "ports metered only $d_pkts packets after it was added"
log "ok"
