#!/bin/bash
# Pins: IPFIX over TCP to [::1], the collector restarted in the middle of a
# run: jflowd reconnects, each connection starts with templates and
# sequence 0 and is a strict IPFIX stream for ipfixDump; what the
# collector is short of, per flow and in total, is exactly what the
# metrics count as dropped while it was away (queue bound reached).
. "$(dirname "$0")/lib.sh"
need_root
need_cmd ipfixDump

COLLECTOR="/usr/bin/python3 $SRC/tests/lib/ipfix_tcp_collector.py"
# 20 s of traffic in ~4 records per flow, sent at 100 messages/s: a run of
# about 7 s; the collector is away for 1.5 s of it, longer than the
# 128 KiB queue (about 90 messages) lasts.
"$TRAFGEN" --out "$WORK/in.pcap" --flows 2000 --packets 40000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --framing plain,vlan,mpls --rate 2000 \
	--expect "$WORK/expect.csv"
/usr/bin/python3 "$SRC/tests/lib/pcapflows.py" "$WORK/in.pcap" > "$WORK/truth.csv"

netns_pair a b
in_ns a sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
mkdir -p "$WORK/c1" "$WORK/c2"
tcp_listening() { in_ns a ss -Hltn "sport = :4739" | grep -q .; }

bg_ns a $COLLECTOR ::1 4739 "$WORK/c1" > "$WORK/c1.log"
C1=$LAST_PID
wait_for 5 tcp_listening || fail "collector did not start"
bg_ns a "$JFLOWD" -r "$WORK/in.pcap" -n 'ipfix+tcp://[::1]:4739' -t idle=2,active=5 \
	--export-rate 100 --tcp-buffer 131072 --metrics-file "$WORK/m.prom" 2> "$WORK/jflowd.log"
JF=$LAST_PID
sleep 1.5
stop_pid "$C1"					# the collector goes away...
sleep 1.5
bg_ns a $COLLECTOR ::1 4739 "$WORK/c2" > "$WORK/c2.log"	# ...and comes back
C2=$LAST_PID
# Records were dropped (queue bound): a replay that lost some exits 1.
rc=0; wait "$JF" || rc=$?
[ "$rc" = 1 ] || fail "jflowd exited $rc, expected 1 (records dropped): $(cat "$WORK/jflowd.log")"
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$JF" | tr '\n' ' ')
stop_pid "$C2"
cat "$WORK/c1.log" "$WORK/c2.log" "$WORK/jflowd.log"

m() { metric "$WORK/m.prom" "$1"; }
expect_eq "connections made (connects_total)" "$(m jflowd_collector_connects_total)" 2
expect_eq "reconnects_total" "$(m jflowd_collector_reconnects_total)" 1
[ "$(m jflowd_collector_dropped_records_total)" -gt 0 ] \
	|| fail "nothing dropped: the outage did not outlast the queue"
grep -q "reconnected" "$WORK/jflowd.log" || fail "jflowd did not log the reconnect"

msgs=0; data=0; tmpl=0
for c in c1 c2; do
	f=$(ls "$WORK/$c"/*.ipfix)
	[ "$(echo "$f" | wc -l)" = 1 ] || fail "$c: expected one connection, got: $f"
	ipfixDump --in "$f" > "$WORK/$c.txt" 2> "$WORK/$c.err"
	ipfixDump --in "$f" --stats 2>> "$WORK/$c.err" | grep '^\*\*\* File Stats' > "$WORK/$c.stats"
	[ ! -s "$WORK/$c.err" ] || fail "$c: ipfixDump stderr: $(head -3 "$WORK/$c.err")"
	log "$c: ipfixDump --stats: $(cat "$WORK/$c.stats")"
	expect_eq "$c: first message's sequence number" \
		"$(grep -m1 'sequence number' "$WORK/$c.txt" | sed -E 's/.*sequence number: ([0-9]+).*/\1/')" 0
	expect_eq "$c: first record" "$(grep -m1 -E '^--- (options )?(template|data) record' "$WORK/$c.txt")" \
		"--- template record ---"
	read -r a b t < <(sed -E 's/.*: ([0-9]+) Messages, ([0-9]+) Data Records, ([0-9]+) Template.*/\1 \2 \3/' "$WORK/$c.stats")
	msgs=$((msgs + a)); data=$((data + b)); tmpl=$((tmpl + t))
done
expect_eq "messages in both files = messages_total" "$msgs" "$(m jflowd_collector_messages_total)"
expect_eq "data records = records_total + options_records_total" "$data" \
	"$(( $(m jflowd_collector_records_total) + $(m jflowd_collector_options_records_total) ))"
expect_eq "template records = template_records_total" "$tmpl" "$(m jflowd_collector_template_records_total)"

cat "$WORK/c1.txt" "$WORK/c2.txt" > "$WORK/all.txt"
$FLOWCMP "$WORK/truth.csv" "$WORK/all.txt" --format ipfixdump --vlan \
	--lost-packets "$(m jflowd_collector_dropped_packets_total)" \
	--lost-octets "$(m jflowd_collector_dropped_octets_total)" \
	|| fail "what the collector lacks is not what jflowd counted as dropped"
$METRICS_CHECK "$WORK/m.prom" --expect-metered 40000 || fail "metrics invariant"
log "ok"
