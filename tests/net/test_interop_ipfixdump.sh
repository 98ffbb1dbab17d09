#!/bin/bash
# Pins: the IPFIX stream jflowd sends (UDP, captured, written to a file as
# raw messages) is parsed by libfixbuf's ipfixDump with nothing on stderr
# (no sequence, template or length warning); its message, data record and
# template record counts equal jflowd's metrics; per-flow totals and
# times decoded by ipfixDump are exact; no message exceeds --mtu.
# Control: --ipfix-sequence nfdump does make ipfixDump warn.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd ipfixDump dumpcap tshark

"$TRAFGEN" --out "$WORK/in.pcap" --flows 240 --packets 12000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --framing plain,vlan,qinq,mpls --tcp-session \
	--rate 400 --expect "$WORK/expect.csv"
/usr/bin/python3 "$SRC/tests/lib/pcapflows.py" "$WORK/in.pcap" > "$WORK/truth.csv"
JF_OPTS=(-t idle=3,active=10,fin=1 --template-interval 5 --mtu 1000 -q)

netns_pair a b
udp_sink a 4739
# run NAME [jflowd options]: the IPFIX messages, in order, in $WORK/NAME.ipfix
run() {
	local name=$1; shift
	capture_start a "udp port 4739" "$WORK/$name.pcapng"
	in_ns a "$JFLOWD" -r "$WORK/in.pcap" -n ipfix://127.0.0.1:4739 "${JF_OPTS[@]}" "$@" \
		|| fail "jflowd exited $?"
	capture_stop
	tshark -r "$WORK/$name.pcapng" -Y 'udp.dstport==4739' -T fields -e udp.payload \
		| /usr/bin/python3 -c 'import re, sys
sys.stdout.buffer.write(bytes.fromhex(re.sub("[^0-9a-fA-F]", "", sys.stdin.read())))' \
		> "$WORK/$name.ipfix"
}
run rfc --metrics-file "$WORK/m.prom"
run nfdumpseq --ipfix-sequence nfdump

log "$(ipfixDump --version 2>&1 | head -1)"
ipfixDump --in "$WORK/rfc.ipfix" > "$WORK/rfc.txt" 2> "$WORK/rfc.err" || fail "ipfixDump exited $?"
[ ! -s "$WORK/rfc.err" ] || fail "ipfixDump stderr: $(head -5 "$WORK/rfc.err")"
ipfixDump --in "$WORK/rfc.ipfix" --stats > "$WORK/stats.txt" 2>> "$WORK/rfc.err"
[ ! -s "$WORK/rfc.err" ] || fail "ipfixDump --stats stderr: $(head -5 "$WORK/rfc.err")"
stats=$(grep '^\*\*\* File Stats' "$WORK/stats.txt")
log "ipfixDump --stats: $stats"
read -r msgs data tmpl < <(echo "$stats" | sed -E 's/.*: ([0-9]+) Messages, ([0-9]+) Data Records, ([0-9]+) Template Records.*/\1 \2 \3/')
m() { metric "$WORK/m.prom" "$1"; }
expect_eq "messages = jflowd_collector_messages_total" "$msgs" "$(m jflowd_collector_messages_total)"
expect_eq "data records = records_total + options_records_total" "$data" \
	"$(( $(m jflowd_collector_records_total) + $(m jflowd_collector_options_records_total) ))"
expect_eq "template records = template_records_total" "$tmpl" \
	"$(m jflowd_collector_template_records_total)"
[ "$(m jflowd_collector_options_records_total)" -gt 3 ] || fail "too few options records"
biggest=$(awk '/^message length:/ { if ($3 > max) max = $3 } END { print max }' "$WORK/rfc.txt")
[ "$biggest" -le 1000 ] && [ "$biggest" -gt 900 ] || fail "largest message $biggest bytes with --mtu 1000"
log "largest message: $biggest bytes (--mtu 1000)"

$FLOWCMP "$WORK/truth.csv" "$WORK/rfc.txt" --format ipfixdump --vlan --times \
	|| fail "per-flow totals decoded by ipfixDump differ"
$METRICS_CHECK "$WORK/m.prom" --no-loss --expect-metered 12000 || fail "metrics invariant"

# Control: flow-records-only numbering is out of sequence for libfixbuf.
ipfixDump --in "$WORK/nfdumpseq.ipfix" > /dev/null 2> "$WORK/nfdumpseq.err"
n=$(grep -c "out of sequence" "$WORK/nfdumpseq.err" || true)
[ "$n" -gt 0 ] || fail "ipfixDump did not flag nfdump numbering: its sequence check is off"
log "control: --ipfix-sequence nfdump gives $n ipfixDump sequence warnings"
log "ok"
