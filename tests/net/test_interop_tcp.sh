#!/bin/bash
# Pins: IPFIX over TCP to [::1], the collector restarted in the middle of a
# run: jflowd reconnects, each connection starts with templates and
# sequence 0 and is a strict IPFIX stream for ipfixDump. With a queue that
# outlasts the outage the collector holds exactly what was sent (the
# capture's truth), flow by flow; with one that does not (queue bound
# reached), no flow has more than was sent and the collector is short,
# in total, of exactly what the metrics count as dropped.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd ipfixDump

COLLECTOR="/usr/bin/python3 $SRC/tests/lib/ipfix_tcp_collector.py"
# 20 s of traffic in ~4 records per flow, sent at 100 messages/s: a run of
# about 7 s; the collector is away for 1.5 s of it, longer than a
# 128 KiB queue (about 90 messages) lasts, shorter than a 4 MiB one.
"$TRAFGEN" --out "$WORK/in.pcap" --flows 2000 --packets 40000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --framing plain,vlan,mpls --rate 2000 \
	--expect "$WORK/expect.csv"
/usr/bin/python3 "$SRC/tests/lib/pcapflows.py" "$WORK/in.pcap" > "$WORK/truth.csv"

netns_pair a b
in_ns a sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
tcp_listening() { in_ns a ss -Hltn "sport = :4739" | grep -q .; }

# outage NAME BUFFER RC: a run whose collector goes away for 1.5 s and comes
# back; its files in $WORK/NAME-c1 and NAME-c2, metrics in $WORK/NAME.prom,
# ipfixDump's text of both connections in $WORK/NAME.txt. RC: jflowd's
# expected exit status (1: a replay that lost records says so).
outage() {
	local name=$1 buf=$2 want=$3 rc=0 c1 c2 jf c f msgs=0 data=0 tmpl=0 a b t
	mkdir -p "$WORK/$name-c1" "$WORK/$name-c2"
	bg_ns a $COLLECTOR ::1 4739 "$WORK/$name-c1" > "$WORK/$name-c1.log"
	c1=$LAST_PID
	wait_for 5 tcp_listening || fail "$name: collector did not start"
	bg_ns a "$JFLOWD" -r "$WORK/in.pcap" -n 'ipfix+tcp://[::1]:4739' -t idle=2,active=5 \
		--export-rate 100 --tcp-buffer "$buf" --metrics-file "$WORK/$name.prom" \
		2> "$WORK/$name-jflowd.log"
	jf=$LAST_PID
	sleep 1.5
	stop_pid "$c1"					# the collector goes away...
	sleep 1.5
	bg_ns a $COLLECTOR ::1 4739 "$WORK/$name-c2" > "$WORK/$name-c2.log"	# ...and comes back
	c2=$LAST_PID
	wait "$jf" || rc=$?
	[ "$rc" = "$want" ] \
		|| fail "$name: jflowd exited $rc, expected $want: $(cat "$WORK/$name-jflowd.log")"
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$jf" | tr '\n' ' ')
	stop_pid "$c2"
	cat "$WORK/$name-c1.log" "$WORK/$name-c2.log" "$WORK/$name-jflowd.log"

	m() { metric "$WORK/$name.prom" "$1"; }
	expect_eq "$name: connections made (connects_total)" "$(m jflowd_collector_connects_total)" 2
	expect_eq "$name: reconnects_total" "$(m jflowd_collector_reconnects_total)" 1
	grep -q "reconnected" "$WORK/$name-jflowd.log" || fail "$name: jflowd did not log the reconnect"
	for c in c1 c2; do
		f=$(ls "$WORK/$name-$c"/*.ipfix)
		[ "$(echo "$f" | wc -l)" = 1 ] || fail "$name-$c: expected one connection, got: $f"
		cp "$f" "$WORK/$name-$c.ipfix"
		cp "$f" "$WORK/$name-$c.dedup"
	done
	# A message the first collector read but whose acknowledgement jflowd
	# had not seen when the connection broke is sent again, whole, on the
	# next (counted in resent_messages_total): the second stream may begin
	# with copies of the first one's last messages. Leave those out (at
	# most resent_messages_total of them, identical after the header);
	# everything else must be exactly what was sent.
	dups=$(/usr/bin/python3 - "$WORK/$name-c1.ipfix" "$WORK/$name-c2.ipfix" \
		"$(m jflowd_collector_resent_messages_total)" <<'PY'
import struct, sys
def msgs(path):
    b, out, off = open(path, "rb").read(), [], 0
    while off < len(b):
        n = struct.unpack("!H", b[off + 2:off + 4])[0]
        out.append(b[off:off + n])
        off += n
    return out
c1, c2, resent = msgs(sys.argv[1]), msgs(sys.argv[2]), int(sys.argv[3])
tail = [m[16:] for m in c1[len(c1) - resent:]] if resent else []
keep, dups = [], 0
for m in c2:
    if m[16:] in tail:
        tail.remove(m[16:])
        dups += 1
    else:
        keep.append(m)
open(sys.argv[2][:-len(".ipfix")] + ".dedup", "wb").write(b"".join(keep))
print(dups)
PY
)
	log "$name: $dups message(s) delivered twice across the reconnect (resent_messages_total $(m jflowd_collector_resent_messages_total))"
	for c in c1 c2; do
		# The stream as received: strict for ipfixDump.
		ipfixDump --in "$WORK/$name-$c.ipfix" 2> "$WORK/$name-$c.err" > /dev/null
		[ ! -s "$WORK/$name-$c.err" ] || fail "$name-$c: ipfixDump stderr: $(head -3 "$WORK/$name-$c.err")"
		# Without the copies: counted and compared.
		ipfixDump --in "$WORK/$name-$c.dedup" > "$WORK/$name-$c.txt" 2> /dev/null
		ipfixDump --in "$WORK/$name-$c.dedup" --stats 2> /dev/null | grep '^\*\*\* File Stats' \
			> "$WORK/$name-$c.stats"
		log "$name-$c: ipfixDump --stats: $(cat "$WORK/$name-$c.stats")"
		expect_eq "$name-$c: first message's sequence number" \
			"$(grep -m1 'sequence number' "$WORK/$name-$c.txt" | sed -E 's/.*sequence number: ([0-9]+).*/\1/')" 0
		expect_eq "$name-$c: first record" \
			"$(grep -m1 -E '^--- (options )?(template|data) record' "$WORK/$name-$c.txt")" \
			"--- template record ---"
		read -r a b t < <(sed -E 's/.*: ([0-9]+) Messages, ([0-9]+) Data Records, ([0-9]+) Template.*/\1 \2 \3/' "$WORK/$name-$c.stats")
		msgs=$((msgs + a)); data=$((data + b)); tmpl=$((tmpl + t))
	done
	expect_eq "$name: messages in both files, copies left out = messages_total" "$msgs" "$(m jflowd_collector_messages_total)"
	expect_eq "$name: data records = records_total + options_records_total" "$data" \
		"$(( $(m jflowd_collector_records_total) + $(m jflowd_collector_options_records_total) ))"
	expect_eq "$name: template records = template_records_total" "$tmpl" \
		"$(m jflowd_collector_template_records_total)"
	cat "$WORK/$name-c1.txt" "$WORK/$name-c2.txt" > "$WORK/$name.txt"
	$METRICS_CHECK "$WORK/$name.prom" --expect-metered 40000 || fail "$name: metrics invariant"
}

# 1. A queue (4 MiB) that outlasts the outage: the collector holds exactly
#    what was sent, flow by flow, whatever jflowd's counters say.
outage roomy 4194304 0
expect_eq "roomy: dropped_records_total" "$(metric "$WORK/roomy.prom" jflowd_collector_dropped_records_total)" 0
$FLOWCMP "$WORK/truth.csv" "$WORK/roomy.txt" --format ipfixdump --vlan \
	|| fail "roomy: the collector does not hold what was sent"

# 2. The 128 KiB queue does not outlast it: records are dropped. No flow has
#    more at the collector than was sent, and what it lacks, in total, is
#    exactly what the metrics count as dropped while it was away.
outage small 131072 1
[ "$(metric "$WORK/small.prom" jflowd_collector_dropped_records_total)" -gt 0 ] \
	|| fail "small: nothing dropped: the outage did not outlast the queue"
$FLOWCMP "$WORK/truth.csv" "$WORK/small.txt" --format ipfixdump --vlan \
	--lost-packets "$(metric "$WORK/small.prom" jflowd_collector_dropped_packets_total)" \
	--lost-octets "$(metric "$WORK/small.prom" jflowd_collector_dropped_octets_total)" \
	|| fail "small: what the collector lacks is not what jflowd counted as dropped"
log "ok"
