#!/bin/bash
# Pins reload on SIGHUP under traffic: start with collector A, reload to
# add B and remove A and change the timeouts; a broken configuration, then
# one changing what needs a restart, change nothing; then a new sampling
# rate. The metrics invariant holds exactly across it all; every packet is
# at A or at B, A holding everything exported before the reload and a flow
# running across it reaching B whole; the options announcing the new rate
# come before the first record sampled at it (tshark on the capture).
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd dumpcap tshark

netns_pair tx rx
in_ns rx ip addr add 10.0.0.2/24 dev veth0
in_ns tx ip addr add 10.0.0.1/24 dev veth0
# No ARP on the metered link: every metered packet is in a flow.
in_ns tx ip neigh add 10.0.0.2 lladdr "$(in_ns rx cat /sys/class/net/veth0/address)" \
	dev veth0 nud permanent
in_ns rx ip neigh add 10.0.0.1 lladdr "$(in_ns tx cat /sys/class/net/veth0/address)" \
	dev veth0 nud permanent	# nor an ARP reply to the ICMP errors rx sends
CFLOW="/usr/bin/python3 $SRC/tests/lib/cflow_check.py"
A=4739
B=4740

# send PORT N [GAP_S]: N UDP datagrams of 100 bytes to one port, one flow.
send() {
	in_ns tx /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.1", 40000))
for i in range(int(sys.argv[2])):
    s.sendto(b"x" * 72, ("10.0.0.2", int(sys.argv[1])))
    time.sleep(float(sys.argv[3]))' "$1" "$2" "${3:-0.002}" || fail "send"
}
# conf LINE...: the configuration file jflowd reads on start and reload.
conf() {
	printf '%s\n' "interface = veth0" "metrics-file = $WORK/m.prom" "$@" > "$WORK/jflowd.conf"
}
# at PORT [DPORT]: packets in the flow records of the capture to collector
# PORT (of the flow to DPORT only).
at() {
	tshark -r "$WORK/cap.pcapng" -d "udp.port==$1,cflow" -o cflow.max_template_fields:0 \
		-Y "udp.dstport==$1" -T fields -e cflow.packets -e cflow.dstport \
		| awk -v d="${2:-}" '{ n = split($1, p, ","); split($2, q, ",")
			for (i = 1; i <= n; i++) if (d == "" || q[i] == d) s += p[i] }
			END { print s + 0 }'
}
records_to() { # PORT DPORT: flow records of that flow at that collector
	tshark -r "$WORK/cap.pcapng" -d "udp.port==$1,cflow" -o cflow.max_template_fields:0 \
		-Y "udp.dstport==$1" -T fields -e cflow.dstport | tr ',' '\n' | grep -cx "$2" || true
}
hup() { # wait for the Nth line matching PATTERN after a SIGHUP
	local n=$(grep -c "$2" "$WORK/jflowd.log" || true)
	kill -HUP "$JFPID"
	wait_for 10 sh -c "[ \$(grep -c '$2' $WORK/jflowd.log) -gt $n ]" \
		|| { cat "$WORK/jflowd.log"; fail "no '$2' after SIGHUP ($1)"; }
	kill -0 "$JFPID" || fail "jflowd stopped on SIGHUP ($1)"
}

start_nfcapd rx $A "$WORK/nfA"
start_nfcapd rx $B "$WORK/nfB"
capture_start rx "udp port $A or udp port $B" "$WORK/cap.pcapng"

conf "collector = ipfix://127.0.0.1:$A" "timeouts = idle=1,active=60,fin=1"
bg_ns rx "$JFLOWD" -c "$WORK/jflowd.conf" 2>"$WORK/jflowd.log"
JFPID=$LAST_PID
wait_for "$JF_START_S" grep -q "metering veth0" "$WORK/jflowd.log" || fail "jflowd did not start"

# 1. Five flows of 60 packets to A; a long flow (200 packets over about 4 s)
# starts and runs across the reload.
for p in 1001 1002 1003 1004 1005; do send $p 60; done
bg_ns tx /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(b"y" * 72, ("10.0.0.2", 2000))
    time.sleep(0.02)'
LONG=$LAST_PID
# The five expire (idle 1 s) and go to A.
five_out() { [ "$(awk '$1 == "jflowd_packets_exported_total" {print $2}' "$WORK/m.prom")" = 300 ]; }
wait_for 10 five_out || fail "the five flows were not exported"
before=$(metric "$WORK/m.prom" jflowd_packets_exported_total)

# 2. Reload: B instead of A, idle timeout 4 s.
conf "collector = ipfix://127.0.0.1:$B" "timeouts = idle=4,active=60,fin=1"
hup "add B, remove A" "reloaded: 1 collectors (1 added, 1 removed)"
grep -q "collector ipfix://127.0.0.1:$A removed:" "$WORK/jflowd.log" \
	|| wait_for 3 grep -q "collector ipfix://127.0.0.1:$A removed:" "$WORK/jflowd.log" \
	|| fail "A was not retired"
wait "$LONG"
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$LONG" | tr '\n' ' ')
sleep 5.5			# the long flow expires (idle 4 s), to B

# 3. A broken configuration changes nothing: one line, same collectors,
# same timeouts, the counters go on.
conf "collector = ipfix://127.0.0.1:$B" "timeouts = idle=4,active=60,fin=1" "sample = abc"
hup "broken" "reload failed"
expect_eq "log lines of the broken reload" \
	"$(grep -c "reload failed" "$WORK/jflowd.log")" 1
log "$(grep "reload failed" "$WORK/jflowd.log")"
grep "reload failed" "$WORK/jflowd.log" | grep -q "sampling rate 'abc'" \
	|| fail "the line does not name the error"
conf "collector = ipfix://127.0.0.1:$B" "timeouts = idle=4,active=60,fin=1" "mode = pcap"
hup "restart-only" "reload refused: mode"
# Router mode: egress metering (the TC program) is attached at start only.
printf '%s\n' "interface = veth0:both" "metrics-file = $WORK/m.prom" \
	"collector = ipfix://127.0.0.1:$B" "timeouts = idle=4,active=60,fin=1" > "$WORK/jflowd.conf"
hup "direction" "reload refused: the direction of veth0"
conf "collector = ipfix://127.0.0.1:$B" "timeouts = idle=4,active=60,fin=1" "route-lookup = on"
hup "route-lookup" "reload refused: route-lookup"
send 3000 100
sleep 3
# Still idle 4 s, for the cache's flows and the table's alike: not yet
# exported after 3 s (with the idle 1 s of the start it would have left
# within 2 s: the first drain after the last packet sees it, the one a
# second later expires it).
expect_eq "packets of port 3000 at B before the idle timeout" "$(at $B 3000)" 0
sleep 2.5

# 4. A new sampling rate under traffic: 1 in 1 -> 1 in 10.
bg_ns tx /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(1500):
    s.sendto(b"z" * 72, ("10.0.0.2", 4000))
    time.sleep(0.002)'
SAMP=$LAST_PID
sleep 1.5
conf "collector = ipfix://127.0.0.1:$B" "timeouts = idle=4,active=60,fin=1" "sample = 10"
hup "sampling" "sampling 1 in 1 -> 1 in 10"
wait "$SAMP"
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$SAMP" | tr '\n' ' ')
sleep 3
stop_jflowd "$JFPID" "$WORK/jflowd.log"
sleep 0.3
capture_stop
cat "$WORK/jflowd.log" | grep -v "^$" | sed 's/^/  jflowd: /' | grep -E "reload|collector|sampling" || true

# The invariant, exactly, in the final metrics file.
$METRICS_CHECK "$WORK/m.prom" || fail "metrics invariant"
metered=$(metric "$WORK/m.prom" jflowd_packets_metered_total)
exported=$(metric "$WORK/m.prom" jflowd_packets_exported_total)
atA=$(at $A)
atB=$(at $B)
log "packets: A $atA, B $atB, metered $metered, exported before the reload $before"
unacc=$(metric "$WORK/m.prom" jflowd_packets_unaccounted_total)
expect_eq "every packet metered into a flow at A or at B" "$((atA + atB))" \
	"$((metered - unacc))"
expect_eq "exported" "$exported" "$((metered - unacc))"
# What the sender sent: 5 x 60, 200, 100 and 1500 packets, every one seen,
# metered or skipped by the sampling.
expect_eq "packets observed (sent)" \
	"$(metric "$WORK/m.prom" jflowd_packets_observed_total)" 2100
expect_eq "A holds everything exported before the reload" "$atA" "$before"
expect_eq "A: the five flows" "$(at $A 1001)+$(at $A 1005)" "60+60"
expect_eq "the long flow at A" "$(at $A 2000)" 0
expect_eq "the long flow at B, whole" "$(at $B 2000)" 200
expect_eq "the long flow's records at B" "$(records_to $B 2000)" 1
expect_eq "port 3000 at B after the broken reload" "$(at $B 3000)" 100
$CFLOW sampling-order "$WORK/cap.pcapng" $B | tee "$WORK/order.txt" || fail "sampling order"
grep -q "announced 1 in 10" "$WORK/order.txt" || fail "the new rate was never announced"
# The flow across the change: its packets of the old rate left at the
# change, those of the new one after it, in a record of their own.
expect_eq "records of the flow across the rate change" "$(records_to $B 4000)" 2
