#!/bin/bash
# Pins: pmacct's nfacctd 1.7.7 (print plugin) receiving v9 and IPFIX gets
# exact per-flow totals (5-tuple + VLAN) and times (IPFIX to the ms, v9 to
# the second as pmacct computes it), and with its sequence checks on logs
# no "expecting flow" for the default RFC numbering; the same check does
# fire for --ipfix-sequence nfdump, so it is live.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfacctd

"$TRAFGEN" --out "$WORK/in.pcap" --flows 240 --packets 12000 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --framing plain,vlan,qinq,mpls --tcp-session \
	--rate 400 --expect "$WORK/expect.csv"
/usr/bin/python3 "$SRC/tests/lib/pcapflows.py" "$WORK/in.pcap" > "$WORK/truth.csv"
JF_OPTS=(-t idle=3,active=10,fin=1 --template-interval 5 -q)

# nfacctd NAME PORT: a collector on the namespace's loopback.
nfacctd_start() {
	start_nfacctd a "$1" 127.0.0.1 "$2" \
		"src_host, dst_host, src_port, dst_port, proto, vlan, timestamp_start, timestamp_end" \
		"timestamps_utc: true"
}

netns_pair a b
nfacctd_start v9 2055;    PM_V9=$NFACCTD_PID
nfacctd_start ipfix 4739; PM_IPFIX=$NFACCTD_PID
nfacctd_start nfdumpseq 4740; PM_CTRL=$NFACCTD_PID

in_ns a "$JFLOWD" -r "$WORK/in.pcap" -n v9://127.0.0.1:2055 -n ipfix://127.0.0.1:4739 \
	"${JF_OPTS[@]}" --metrics-file "$WORK/m.prom" || fail "jflowd exited $?"
in_ns a "$JFLOWD" -r "$WORK/in.pcap" -n ipfix://127.0.0.1:4740 --ipfix-sequence nfdump \
	"${JF_OPTS[@]}" || fail "jflowd (nfdump numbering) exited $?"
for p in 2055 4739 4740; do settle a $p; done
sleep 1.5	# one more purge interval
for p in $PM_V9 $PM_IPFIX $PM_CTRL; do stop_nfacctd "$p"; done

$METRICS_CHECK "$WORK/m.prom" --no-loss --expect-metered 12000 || fail "metrics invariant"
log "$(nfacctd -V | head -1)"
$FLOWCMP "$WORK/truth.csv" "$WORK/v9.csv" --format pmacct --vlan --times-ceil-s \
	|| fail "v9: collector totals or times differ"
$FLOWCMP "$WORK/truth.csv" "$WORK/ipfix.csv" --format pmacct --vlan --times \
	|| fail "ipfix: collector totals or times differ"
for w in v9 ipfix; do
	grep -q "waiting for NetFlow/IPFIX data" "$WORK/$w.log" || fail "$w: no nfacctd log"
	expect_eq "$w: nfacctd 'expecting flow' lines" "$(grep -c 'expecting flow' "$WORK/$w.log")" 0
	expect_eq "$w: nfacctd malformed-packet lines" \
		"$(grep -ciE 'discard|malformed|incomplete|unable' "$WORK/$w.log")" 0
done
# Control: nfdump numbering breaks pmacct's RFC check (so the check above is live).
n=$(grep -c "expecting flow" "$WORK/nfdumpseq.log" || true)
[ "$n" -gt 0 ] || fail "nfacctd did not flag nfdump-style numbering: its sequence check is off"
log "control: --ipfix-sequence nfdump gives $n 'expecting flow' lines, e.g. $(grep -m1 'expecting flow' "$WORK/nfdumpseq.log" | sed 's/.*INFO/INFO/')"
log "ok"
