#!/bin/bash
# Pins (fault: interface churn): the metered interface deleted under
# traffic and created again under the same name: jflowd logs the loss and
# the return, the metric jflowd_interface_attached follows, it meters the
# new interface, and every packet it metered reaches the collector.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

netns_pair tx rx
start_nfcapd rx 2055 "$WORK/nf"
bg_ns rx "$JFLOWD" -i veth0 -n v9://127.0.0.1:2055 -t idle=1,active=2 \
	--metrics-file "$WORK/m.prom" 2> "$WORK/jflowd.log"
JF=$LAST_PID
wait_for 5 test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
attached() { metric "$WORK/m.prom" 'jflowd_interface_attached{ifname="veth0"}'; }
expect_eq "attached at start" "$(attached)" 1

in_ns tx "$TRAFGEN" --iface veth0 --flows 30 --packets 3000 >/dev/null
sleep 1.5
# Delete (the peer goes with it), then create the pair again.
ip -n "$(ns rx)" link del veth0
wait_for 5 sh -c "grep -q 'jflowd_interface_attached{ifname=\"veth0\"} 0' '$WORK/m.prom'" ||
	fail "metrics do not show veth0 detached"
grep -q "interface veth0 is gone" "$WORK/jflowd.log" || fail "the loss is not logged"
ip link add veth0 netns "$(ns tx)" type veth peer name veth0 netns "$(ns rx)"
ip -n "$(ns tx)" link set veth0 up
ip -n "$(ns rx)" link set veth0 up
wait_for 5 sh -c "grep -q 'jflowd_interface_attached{ifname=\"veth0\"} 1' '$WORK/m.prom'" ||
	fail "metrics do not show veth0 attached again: $(cat "$WORK/jflowd.log")"
grep -q "interface veth0 is back" "$WORK/jflowd.log" || fail "the return is not logged"
in_ns tx "$TRAFGEN" --iface veth0 --flows 30 --packets 3000 >/dev/null
sleep 2.5
kill -TERM "$JF"
rc=0; wait "$JF" || rc=$?
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$JF" | tr '\n' ' ')
cat "$WORK/jflowd.log"
expect_eq "jflowd exit status" "$rc" 0
expect_eq "packets metered (3000 before, 3000 after)" \
	"$(metric "$WORK/m.prom" jflowd_packets_metered_total)" 6000
$METRICS_CHECK "$WORK/m.prom" --no-loss || fail "metrics invariant"
settle rx 2055
stop_nfcapd "$NFCAPD_PID"
expect_eq "packets at the collector" \
	"$(nfdump -R "$WORK/nf" -I | awk '/^Packets:/ { print $2 }')" 6000
log "ok: the interface's loss and return are followed"
