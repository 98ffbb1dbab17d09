#!/bin/bash
# Pins: live on two veths (XDP), jflowd announces each metered interface in
# the interface options (513): nfdump shows its description (ifalias) as
# the input interface name of every flow, in v9 and IPFIX, for the second
# interface too; tshark decodes index, name (82) and description (83);
# flows carry the ifindex of the interface they came in on; nfcapd reads
# every interface record whole (no "extra bytes").
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump dumpcap tshark

CHECK="/usr/bin/python3 $SRC/tests/lib/cflow_check.py"
netns_pair tx rx
ip link add veth1 netns "$(ns tx)" type veth peer name veth1 netns "$(ns rx)"
for n in tx rx; do ip -n "$(ns $n)" link set veth1 up; done
ip -n "$(ns rx)" link set veth0 alias "uplink to core"
ip -n "$(ns rx)" link set veth1 alias "customer 42"
ifindex() { ip -n "$(ns rx)" -o link show "$1" | awk -F: '{ print $1 }'; }
IF0=$(ifindex veth0)
IF1=$(ifindex veth1)

start_nfcapd rx 2055 "$WORK/v9" 127.0.0.1 8388608 "$WORK/nfcapd-v9.log"; NF_V9=$NFCAPD_PID
start_nfcapd rx 4739 "$WORK/ipfix" 127.0.0.1 8388608 "$WORK/nfcapd-ipfix.log"
NF_IPFIX=$NFCAPD_PID
capture_start rx "udp port 2055 or udp port 4739" "$WORK/cap.pcapng"
bg_ns rx "$JFLOWD" -i veth0 -i veth1 -n v9://127.0.0.1:2055 -n ipfix://127.0.0.1:4739 \
	--ipfix-sequence nfdump -t idle=2,active=60 --metrics-file "$WORK/m.prom" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
sleep 0.2

in_ns tx "$TRAFGEN" --iface veth0 --flows 30 --packets 600 --size 64-1400 \
	--protos tcp,udp,icmp --families 4,6 --pps 3000 --expect "$WORK/expect0.csv" \
	|| fail "sender on veth0 exited $?"
in_ns tx "$TRAFGEN" --iface veth1 --flows 20 --packets 400 --size 64-1400 --seed 7 \
	--protos tcp,udp,icmp --families 4,6 --pps 3000 --expect "$WORK/expect1.csv" \
	|| fail "sender on veth1 exited $?"
sleep 1
stop_jflowd "$JF" "$WORK/jflowd.log"
settle rx 2055
settle rx 4739
capture_stop
stop_nfcapd "$NF_V9"
stop_nfcapd "$NF_IPFIX"

# What the senders sent: packets, flows, and IPv4 flows, per interface
# (one record per flow: the traffic lasts well under the idle timeout).
sent_packets=$(awk -F, 'FNR > 1 { s += $11 } END { print s }' "$WORK/expect0.csv" "$WORK/expect1.csv")
flows() { awk -F, 'NR > 1 { n++ } END { print n + 0 }' "$1"; }
flows4() { awk -F, 'NR > 1 && $1 == 4 { n++ } END { print n + 0 }' "$1"; }
$METRICS_CHECK "$WORK/m.prom" --no-loss --expect-metered "$sent_packets" || fail "metrics invariant"
{ cat "$WORK/expect0.csv"; tail -n +2 "$WORK/expect1.csv"; } > "$WORK/expect.csv"
for w in v9 ipfix; do
	nfdump_csv "$WORK/$w" "$WORK/$w.csv"
	$FLOWCMP "$WORK/expect.csv" "$WORK/$w.csv" || fail "$w: collector totals differ"
	# Flows per input ifindex and the name nfdump looked up for it.
	nfdump -R "$WORK/$w" -q -N -o 'fmt:%in|%inam' | sed 's/^ *//; s/ *| */|/' \
		| sort | uniq -c | sed 's/^ *//' | sort > "$WORK/$w.names"
	printf '%s\n' "$(flows "$WORK/expect0.csv") $IF0|uplink to core" \
		"$(flows "$WORK/expect1.csv") $IF1|customer 42" | sort > "$WORK/names.want"
	diff "$WORK/names.want" "$WORK/$w.names" || fail "$w: interface names shown by nfdump differ"
	log "$w: flows per nfdump 'fmt:%in|%inam': $(paste -sd, "$WORK/$w.names")"
	expect_eq "$w: nfdump -I sequence failures" \
		"$(nfdump -R "$WORK/$w" -I | awk -F': ' '/^Sequence failures/ { print $2 }')" 0
done

# nfcapd -v says what it could not read: nothing here.
for w in v9 ipfix; do
	grep -iE "extra bytes|Sequence Errors: [1-9]|Bad Packets: [1-9]" "$WORK/nfcapd-$w.log" \
		&& fail "$w: nfcapd could not read everything"
	log "$w: nfcapd -v: $(grep -c . "$WORK/nfcapd-$w.log") lines, no extra bytes, no bad packets"
done

# tshark expects RFC numbering: only v9 is checked for expert info here
# (IPFIX runs with --ipfix-sequence nfdump; test_interop_tshark covers it).
$CHECK expert "$WORK/cap.pcapng" 2055 || fail "v9: tshark expert info"
printf '%s\t%s\t%s\n' "$IF0" veth0 "uplink to core" "$IF1" veth1 "customer 42" \
	| sort > "$WORK/513.want"
for p in 2055 4739; do
	$CHECK values "$WORK/cap.pcapng" $p 513 cflow.inputint cflow.if_name cflow.if_descr \
		| sort -u > "$WORK/513.$p"
	diff "$WORK/513.want" "$WORK/513.$p" || fail "port $p: interface options differ"
	log "port $p: tshark 513 records: $(paste -sd, "$WORK/513.$p")"
	$CHECK values "$WORK/cap.pcapng" $p 256 cflow.inputint | sort | uniq -c \
		| sed 's/^ *//' | paste -sd, > "$WORK/in.$p"
	expect_eq "port $p: IPv4 flows per ingress ifindex" "$(cat "$WORK/in.$p")" \
		"$(flows4 "$WORK/expect0.csv") $IF0,$(flows4 "$WORK/expect1.csv") $IF1"
done
log "ok"
