#!/bin/bash
# Pins (fault: bad input at start-up and at run time): the same interface
# twice, by name or by an altname; a metrics file in a missing directory;
# flow maps larger than memory; a --min-flows beyond the table; a collector
# URL with a path: each is one clear error at start. Without privileges,
# the hint names CAP_PERFMON too. A metrics directory that disappears at run time is warned about
# once, counted, and written again when it is back. A full flow cache is
# said once, with the remedy.
. "$(dirname "$0")/lib.sh"
need_root

netns_pair tx rx
# start_err WANT-STATUS WANT-TEXT ARGS...: jflowd on rx must fail so.
start_err() {
	local want=$1 text=$2 rc=0
	shift 2
	in_ns rx timeout 10 "$JFLOWD" "$@" 2> "$WORK/err.log" || rc=$?
	[ "$rc" = "$want" ] || fail "jflowd $*: exit $rc, expected $want: $(cat "$WORK/err.log")"
	grep -q -- "$text" "$WORK/err.log" || fail "jflowd $*: no '$text' in: $(cat "$WORK/err.log")"
	log "jflowd $*: $(tail -1 "$WORK/err.log")"
	if in_ns rx ip link show veth0 | grep -q "prog/xdp"; then fail "left XDP attached"; fi
}
C=v9://127.0.0.1:2055
start_err 2 "interface veth0 given twice" -i veth0 -i veth0 -n $C
start_err 2 "interface veth0 given twice" -i veth0 -i veth0 -m pcap -n $C
ip -n "$(ns rx)" link property add dev veth0 altname jfalt0
start_err 1 "are the same interface" -i veth0 -i jfalt0 -n $C
start_err 1 "are the same interface" -i veth0 -i jfalt0 -m pcap -n $C
start_err 1 "the directory $WORK/missing does not exist: create it" -i veth0 -n $C \
	--metrics-file "$WORK/missing/jflowd.prom"
# The table's sizing rule against MemAvailable and the cgroup's room: all
# sizes at their maximum (48 GiB), so that it is refused on any test box
# with less than that available. Refused while the options are read
# (exit 2), as the sizing from memory is done there.
start_err 2 "lower --max-flows" -i veth0 -n $C --max-flows 67108864 --map-flows 67108864
start_err 2 "lower --min-flows" -i veth0 -n $C --max-flows 100000 --min-flows 200000
start_err 2 "unexpected path '/garbage'" -i veth0 -n v9://127.0.0.1/garbage
# Without privileges: the hint names every capability the load needs.
rc=0
in_ns rx setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all "$JFLOWD" -i veth0 -n $C 2> "$WORK/caps.log" || rc=$?
expect_eq "exit status without privileges" "$rc" 1
grep -q "CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN" "$WORK/caps.log" ||
	fail "capability hint: $(cat "$WORK/caps.log")"

# The metrics directory goes away at run time, and comes back.
mkdir -p "$WORK/mdir"
bg_ns rx "$JFLOWD" -i veth0 -n $C --max-flows 64 -t idle=30,active=60 \
	--metrics-file "$WORK/mdir/m.prom" 2> "$WORK/run.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/mdir/m.prom" || fail "jflowd did not start: $(cat "$WORK/run.log")"
rm -rf "$WORK/mdir"
sleep 4
mkdir -p "$WORK/mdir"
wait_for 5 test -s "$WORK/mdir/m.prom" || fail "metrics not written again"
# 500 flows through a cache of 64.
in_ns tx "$TRAFGEN" --iface veth0 --flows 500 --packets 500 >/dev/null
sleep 2
stop_jflowd "$JF" "$WORK/run.log"
cat "$WORK/run.log"
expect_eq "warnings about the metrics file in 4 s" \
	"$(grep -c "metrics file $WORK/mdir/m.prom" "$WORK/run.log")" 1
f=$(metric "$WORK/mdir/m.prom" jflowd_metrics_write_failures_total)
[ "$f" -ge 3 ] || fail "failed metrics writes counted: $f"
log "failed metrics writes counted: $f"
expect_eq "warnings about the full flow cache" "$(grep -c "flow cache full" "$WORK/run.log")" 1
grep -q "raise --max-flows" "$WORK/run.log" || fail "no remedy given for the full cache"
$METRICS_CHECK "$WORK/mdir/m.prom" || fail "metrics invariant"
log "ok: bad input is refused at start, run-time trouble said once"
