#!/bin/bash
# Pins traffic selection (filter = EXPRESSION, pcap-filter(7)) in each
# path: one monitor with native XDP (the command line's words after the
# options, softflowd's way) and with libpcap (--filter: pcap_setfilter),
# two monitors on one interface, each with its own filter, with XDP (the
# programs' per-monitor walk) and with libpcap (pcap_offline_filter per
# monitor). Each monitor's collector has exactly the flows
# its expression selects, packets and octets exact, and nothing else; the
# frames a filter rejects are in none of that monitor's counters (observed
# = selected), the invariant holds per monitor.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

netns_pair tx rx
# The truth per expression: the rows of trafgen's --expect it selects.
sel() { # EXPR-NAME: rows of sent.csv the expression selects
	/usr/bin/python3 - "$WORK/sent.csv" "$1" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
pick = {
    "udp": lambda r: r["proto"] == "17",
    "not-udp": lambda r: r["proto"] != "17",
    "tcp-low": lambda r: r["proto"] == "6" and 1024 <= int(r["sport"]) <= 1100,
}[sys.argv[2]]
w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0].keys()))
w.writeheader()
n = 0
for r in rows:
    if pick(r):
        w.writerow(r)
        n += int(r["packets"])
print(n, file=sys.stderr)
PY
}
send() {
	in_ns tx "$TRAFGEN" --iface veth0 --flows 300 --packets 6000 --size 64-1400 \
		--protos tcp,udp,icmp --families 4,6 --pps 20000 --expect "$WORK/sent.csv" \
		|| fail "sender exited $?"
}

# run NAME JFLOWD-ARGS...: jflowd in rx with these arguments, the sender,
# then stop; the metrics in $WORK/NAME.prom.
run() {
	local name=$1; shift
	bg_ns rx "$JFLOWD" "$@" --metrics-file "$WORK/$name.prom" 2>"$WORK/$name.log"
	JF=$LAST_PID
	wait_for "$JF_START_S" test -s "$WORK/$name.prom" || fail "$name: jflowd did not start: $(cat "$WORK/$name.log")"
	send
	sleep 1
	stop_jflowd "$JF" "$WORK/$name.log"
}
# check NAME MONITOR SELECTION DIR: the monitor's flows at nfcapd (DIR)
# are exactly the selection, its counters only the selected frames.
check() {
	local name=$1 mon=$2 what=$3 dir=$4 n
	sel "$what" > "$WORK/$name-$what.csv" 2> "$WORK/n"
	n=$(cat "$WORK/n")
	nfdump_csv "$dir" "$WORK/$name-$mon.nf.csv"
	$FLOWCMP "$WORK/$name-$what.csv" "$WORK/$name-$mon.nf.csv" \
		|| fail "$name: monitor $mon: flows differ from the selection '$what'"
	$METRICS_CHECK "$WORK/$name.prom" --no-loss --monitor "$mon" --expect-metered "$n" \
		|| fail "$name: metrics of monitor $mon"
	expect_eq "$name: monitor $mon: frames observed" \
		"$(metric "$WORK/$name.prom" jflowd_monitor_packets_observed_total "monitor=\"$mon\"")" "$n"
}

# 1. One monitor, native XDP, the filter as the words after the options;
# then libpcap, with --filter.
start_nfcapd rx 2055 "$WORK/nf1"; NF=$NFCAPD_PID
run single -i veth0 -n v9://127.0.0.1:2055 -t idle=60,active=120 not udp
grep -q "with native XDP" "$WORK/single.log" || fail "not native XDP: $(cat "$WORK/single.log")"
settle rx 2055; stop_nfcapd "$NF"
check single default not-udp "$WORK/nf1"
start_nfcapd rx 2055 "$WORK/nf2"; NF=$NFCAPD_PID
run single-pcap -m pcap -i veth0 -n v9://127.0.0.1:2055 -t idle=60,active=120 --filter 'not udp'
settle rx 2055; stop_nfcapd "$NF"
check single-pcap default not-udp "$WORK/nf2"

# 2. and 3. Two monitors on one interface, each with its own filter: XDP,
# then libpcap.
for mode in xdp pcap; do
	start_nfcapd rx 2055 "$WORK/$mode-a"; NFA=$NFCAPD_PID
	start_nfcapd rx 4739 "$WORK/$mode-b"; NFB=$NFCAPD_PID
	cat > "$WORK/$mode.conf" <<EOF
mode = $mode
interface = veth0
collector = v9://127.0.0.1:2055
timeouts = idle=60,active=120
filter = udp
[exporter low]
collector = ipfix://127.0.0.1:4739
[monitor low]
exporter = low
interface = veth0
filter = tcp and src portrange 1024-1100
EOF
	run "$mode" -c "$WORK/$mode.conf"
	settle rx 2055; settle rx 4739
	stop_nfcapd "$NFA"; stop_nfcapd "$NFB"
	check "$mode" default udp "$WORK/$mode-a"
	check "$mode" low tcp-low "$WORK/$mode-b"
done
grep -q "with libpcap" "$WORK/pcap.log" || fail "pcap run not on libpcap: $(cat "$WORK/pcap.log")"
log "ok"
