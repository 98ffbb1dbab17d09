#!/bin/bash
# Pins start-up errors: each bad input gives one line on stderr naming the
# problem and a non-zero exit (2 for usage, 1 for start-up failures), with
# syslog priority <3> under systemd (JOURNAL_STREAM); a missing metrics or
# control socket directory says how to create it, a metrics directory the
# --user cannot write fails at start, a control socket that cannot be made
# fails before anything is attached; -c FILE -n URL logs what replaced
# what; a truncated capture still exports what was read before the cut.
. "$(dirname "$0")/lib.sh"
need_cmd nfcapd nfdump

expect_err() { # EXIT PATTERN ARGS...
	local want=$1 pat=$2 rc lines
	shift 2
	set +e
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	set -e
	lines=$(grep -vc '^$' "$WORK/err" || true)
	[ "$rc" = "$want" ] || fail "'$*': exit $rc, want $want: $(cat "$WORK/err")"
	[ "$lines" = 1 ] || fail "'$*': $lines lines on stderr, want 1: $(cat "$WORK/err")"
	grep -qi -- "$pat" "$WORK/err" || fail "'$*': stderr lacks '$pat': $(cat "$WORK/err")"
	log "exit $rc: $(cat "$WORK/err")"
}

C=ipfix://127.0.0.1:4739
expect_err 2 "unknown option" "$JFLOWD" -i lo -n $C --frobnicate
expect_err 2 "needs a value" "$JFLOWD" -i lo -n
expect_err 2 "unknown scheme" "$JFLOWD" -i lo -n sflow://127.0.0.1:6343
expect_err 2 "bad port" "$JFLOWD" -i lo -n ipfix://127.0.0.1:99999
expect_err 2 "brackets" "$JFLOWD" -i lo -n v9://2001:db8::1:2055
expect_err 2 "timeouts" "$JFLOWD" -i lo -n $C -t idle=0
expect_err 2 "nothing to meter" "$JFLOWD" -n $C
expect_err 2 "no collector" "$JFLOWD" -i lo
expect_err 2 "config" "$JFLOWD" -c /nonexistent/jflowd.conf
expect_err 1 "No such file" "$JFLOWD" -r /nonexistent.pcap -n $C
echo "not a capture" > "$WORK/bad.pcap"
expect_err 1 "unknown file format" "$JFLOWD" -r "$WORK/bad.pcap" -n $C
expect_err 1 "no such device" "$JFLOWD" -i jfnosuch0 -n $C

# Under systemd (stderr is the stream JOURNAL_STREAM names), a usage error
# is at priority err, as journalctl -p warning shows it.
: >"$WORK/err"
JOURNAL_STREAM=$(stat -c '%d:%i' "$WORK/err") expect_err 2 "^<3>error: no collector" "$JFLOWD" -i lo

# Missing directories: the error says how to make them.
expect_err 1 "does not exist: create it (mkdir -p $WORK/nodir)" "$JFLOWD" -i lo -n $C \
	--metrics-file "$WORK/nodir/m.prom"

# -c FILE -n URL: the file's collectors give way, and the log says so.
printf 'interface = jfnosuch0\ncollector = v9://192.0.2.1:2055\n' >"$WORK/r.conf"
"$JFLOWD" -c "$WORK/r.conf" -n "$C" 2>"$WORK/err" && fail "jfnosuch0 accepted"
grep -q "info: collectors: $C from the command line, instead of v9://192.0.2.1:2055 from $WORK/r.conf" \
	"$WORK/err" || fail "no log line for the replaced collectors: $(cat "$WORK/err")"
log "$(grep collectors: "$WORK/err")"

# A capture cut in the middle of a packet: what came before is exported.
"$TRAFGEN" --out "$WORK/full.pcap" --flows 10 --packets 1000 --size 100
head -c $((24 + 500 * 130 + 60)) "$WORK/full.pcap" > "$WORK/cut.pcap"
PORT=$(free_port)
start_nfcapd - "$PORT" "$WORK/nf"
expect_err 1 "truncated" "$JFLOWD" -r "$WORK/cut.pcap" -n "ipfix://127.0.0.1:$PORT" -q \
	--metrics-file "$WORK/cut.prom"
settle - "$PORT"
stop_pid "$NFCAPD_PID"
GOT=$(nfdump -R "$WORK/nf" -I | awk '/^Packets:/ { print $2 }')
[ "$GOT" = 500 ] || fail "truncated capture: collector holds $GOT packets, want the 500 before the cut"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	expect_err 1 "root" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$JFLOWD" -i lo -n $C -q
fi
if [ "$(id -u)" = 0 ]; then
	# The metrics directory is checked as the --user jflowd becomes.
	chmod 0711 "$WORK"
	mkdir -m 0755 "$WORK/rootdir"
	# (timeout: were the check missed, jflowd would run.)
	expect_err 1 "user nobody cannot create files in $WORK/rootdir" timeout 10 "$JFLOWD" \
		-i lo -n $C --user nobody --metrics-file "$WORK/rootdir/m.prom"
	# The control socket before the meter: nothing attached ("metering lo").
	expect_err 1 "its directory does not exist: create it (mkdir -p $WORK/nodir)" \
		timeout 10 "$JFLOWD" -i lo -n $C -q --control-socket "$WORK/nodir/ctl.sock"
	rc=0
	timeout 10 "$JFLOWD" -i lo -n $C --control-socket "$WORK/nodir/ctl.sock" 2>"$WORK/err" || rc=$?
	[ $rc = 1 ] && ! grep -q "metering lo" "$WORK/err" \
		|| fail "control socket made after the attach (exit $rc): $(cat "$WORK/err")"
fi
log "ok"
