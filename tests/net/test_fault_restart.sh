#!/bin/bash
# Pins (fault: process death): after SIGKILL nothing of jflowd stays
# attached, so it starts again at once and meters, in native and in
# generic XDP; another program's XDP attachment is refused and left in
# place, never replaced.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd

TRIVIAL="$BUILD/bpf/trivial.bpf.o"
[ -f "$TRIVIAL" ] || fail "no $TRIVIAL"
netns_pair tx rx
start_nfcapd rx 2055 "$WORK/nf"

# start_jflowd MODE TAG: jflowd on rx veth0 (JF), up when it wrote metrics.
start_jflowd() {
	rm -f "$WORK/$2.prom"
	bg_ns rx "$JFLOWD" -i veth0 -m "$1" -n v9://127.0.0.1:2055 -t idle=1,active=2 \
		--metrics-file "$WORK/$2.prom" 2> "$WORK/$2.log"
	JF=$LAST_PID
	wait_for "$JF_START_S" test -s "$WORK/$2.prom" ||
		fail "jflowd ($1, $2) did not start: $(cat "$WORK/$2.log")"
}
forget() { PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' '); }

for mode in xdp xdp-generic; do
	start_jflowd "$mode" "$mode-first"
	in_ns tx "$TRAFGEN" --iface veth0 --flows 20 --packets 500 >/dev/null
	kill -KILL "$JF"
	rc=0; wait "$JF" || rc=$?
	forget "$JF"
	expect_eq "$mode: exit status after SIGKILL" "$rc" 137
	# At once, as systemd's Restart= would.
	start_jflowd "$mode" "$mode-restart"
	in_ns tx "$TRAFGEN" --iface veth0 --flows 20 --packets 2000 >/dev/null
	sleep 1.5
	stop_jflowd "$JF" "$WORK/$mode-restart.log"
	expect_eq "$mode: packets metered after the restart" \
		"$(metric "$WORK/$mode-restart.prom" jflowd_packets_metered_total)" 2000
	$METRICS_CHECK "$WORK/$mode-restart.prom" --no-loss || fail "$mode: metrics invariant"
	if in_ns rx ip link show veth0 | grep -q "prog/xdp"; then
		fail "$mode: an XDP program is still attached after SIGTERM"
	fi
done

# Another program, native or generic: refused in every mode, kept attached.
for where in xdpgeneric xdpdrv; do
	in_ns rx ip link set dev veth0 "$where" obj "$TRIVIAL" sec xdp.frags
	before=$(in_ns rx ip link show veth0 | grep -o "prog/xdp id [0-9]*")
	[ -n "$before" ] || fail "$where: the other program did not attach"
	for mode in xdp xdp-generic; do
		rc=0
		in_ns rx "$JFLOWD" -i veth0 -m "$mode" -n v9://127.0.0.1:2055 \
			2> "$WORK/other.log" || rc=$?
		[ "$rc" = 1 ] || fail "$where/$mode: jflowd exited $rc next to another program"
		grep -q "another XDP program is attached" "$WORK/other.log" ||
			fail "$where/$mode: no reason given: $(cat "$WORK/other.log")"
		after=$(in_ns rx ip link show veth0 | grep -o "prog/xdp id [0-9]*")
		expect_eq "$where/$mode: the other program still attached" "$after" "$before"
	done
	in_ns rx ip link set dev veth0 "$where" off
done
log "ok: restart after SIGKILL works in both modes; another program is never replaced"
