#!/bin/bash
# Pins: SIGTERM in the middle of full traffic detaches, drains both maps,
# exports every flow and exits 0. The truth is what the senders sent:
#  - two senders (one per CPU) are stopped just before the SIGTERM, with
#    the maps and the cache full of flows not yet exported: both
#    collectors (IPFIX and v9) hold exactly what they sent, per flow;
#  - a third sender, on flows of its own, keeps sending through the
#    SIGTERM: no flow of it has more at the collectors than was sent;
#  - the metrics close exactly, with nothing left in the cache.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

netns_pair tx rx 2
start_nfcapd rx 4739 "$WORK/nf-ipfix" 127.0.0.1 67108864; NF_IPFIX=$NFCAPD_PID
start_nfcapd rx 4740 "$WORK/nf-v9" 127.0.0.1 67108864; NF_V9=$NFCAPD_PID
bg_ns rx "$JFLOWD" -i veth0 -n ipfix://127.0.0.1:4739 -n v9://127.0.0.1:4740 \
	--metrics-file "$WORK/m.prom" -q 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
# --duration longer than the test: SIGUSR1 stops a sender, which then
# writes exactly what it sent.
bg_ns tx "$TRAFGEN" --iface veth0 --flows 5000 --packets 50000 --cpu 0 --duration 60 \
	--expect "$WORK/sent0.csv"
S0=$LAST_PID
bg_ns tx "$TRAFGEN" --iface veth0 --flows 5000 --packets 50000 --cpu 1 --duration 60 \
	--expect "$WORK/sent1.csv"
S1=$LAST_PID
bg_ns tx "$TRAFGEN" --iface veth0 --flows 1000 --packets 10000 --seed 1 --pps 20000 \
	--duration 60 --expect "$WORK/late.csv"
SL=$LAST_PID
sleep 1.5

# sender_done PID NAME: stop a sender and check that it exited 0.
sender_done() {
	kill -USR1 "$1"
	wait "$1" || fail "sender $2 exited $?"
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}
sender_done "$S0" "on CPU 0"
sender_done "$S1" "on CPU 1"
kill -TERM "$JF"
wait "$JF"; rc=$?
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$JF" | tr '\n' ' ')
[ $rc -eq 0 ] || fail "jflowd exited $rc on SIGTERM: $(tail -5 "$WORK/jflowd.log")"
sender_done "$SL" "through the SIGTERM"
settle rx 4739
settle rx 4740
stop_nfcapd "$NF_IPFIX"
stop_nfcapd "$NF_V9"

METERED=$(metric "$WORK/m.prom" jflowd_packets_metered_total)
SENT=$(awk -F, 'FNR > 1 { s += $11 } END { print s }' "$WORK/sent0.csv" "$WORK/sent1.csv")
LATE=$(awk -F, 'FNR > 1 { s += $11 } END { print s }' "$WORK/late.csv")
log "senders stopped before the SIGTERM sent $SENT packets; jflowd metered $METERED;" \
	"the third sender sent $LATE in all"
[ "$SENT" -gt 100000 ] || fail "too little traffic before SIGTERM: $SENT packets sent"
$METRICS_CHECK "$WORK/m.prom" --no-loss || fail "metrics invariant"
[ "$METERED" -ge "$SENT" ] && [ "$METERED" -le $((SENT + LATE)) ] \
	|| fail "metered $METERED, outside what was sent: $SENT .. $((SENT + LATE))"

# split_by_source EXPECT CSV: the records of CSV whose source address is a
# source in EXPECT to CSV.late, the others to CSV.early.
split_by_source() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import csv, ipaddress, sys
exp, path = sys.argv[1:]
srcs = {ipaddress.ip_address(r["src"]) for r in csv.DictReader(open(exp))}
rows = list(csv.reader(open(path)))
sa = rows[0].index("sa")
with open(path + ".late", "w") as late, open(path + ".early", "w") as early:
    wl, we = csv.writer(late), csv.writer(early)
    wl.writerow(rows[0]); we.writerow(rows[0])
    for r in rows[1:]:
        if not r or r[0] == "Summary":
            break
        (wl if ipaddress.ip_address(r[sa].strip()) in srcs else we).writerow(r)
PY
}
sum_col() { awk -F, -v c="$1" 'FNR > 1 { s += $c } END { print s + 0 }' "${@:2}"; }
SENT_O=$(sum_col 12 "$WORK/sent0.csv" "$WORK/sent1.csv")
LATE_O=$(sum_col 12 "$WORK/late.csv")
METERED_O=$(metric "$WORK/m.prom" jflowd_octets_metered_total)
for w in ipfix v9; do
	nfdump_csv "$WORK/nf-$w" "$WORK/$w.csv"
	split_by_source "$WORK/late.csv" "$WORK/$w.csv"
	$FLOWCMP "$WORK/sent0.csv,$WORK/sent1.csv" "$WORK/$w.csv.early" \
		|| fail "$w: the flows sent before the SIGTERM differ from what was sent"
	# The third sender's flows: none has more than was sent, and together
	# they hold what jflowd metered beyond the first two senders.
	$FLOWCMP "$WORK/late.csv" "$WORK/$w.csv.late" --lost-packets $((LATE - (METERED - SENT))) \
		--lost-octets $((LATE_O - (METERED_O - SENT_O))) \
		|| fail "$w: flows sent through the SIGTERM: more at the collector than sent, or not what was metered"
done
log "ok: $SENT packets sent before SIGTERM, all at both collectors, flow by flow"
