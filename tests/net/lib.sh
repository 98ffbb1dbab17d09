# Shared helpers for the end-to-end tests: skip rules, private network
# namespaces joined by a veth pair, collectors, cleanup on every exit.
# Sourced by tests/net/test_*.sh; expects BUILD (meson build dir) and SRC.

set -eu
: "${BUILD:?BUILD must point at the meson build directory}"
: "${SRC:?SRC must point at the source tree}"

JFLOWD="$BUILD/src/jflowd"
# How long jflowd may take to start: the verifier's pass over the XDP
# program takes a second or two on an idle machine and several times that
# when the suite runs two tests at once on a loaded one. Waits end as soon
# as jflowd is up, so a generous bound costs nothing when all is well.
JF_START_S=60
TRAFGEN="$BUILD/tests/jflowd-trafgen"
FLOWCMP="/usr/bin/python3 $SRC/tests/lib/flowcmp.py"
METRICS_CHECK="/usr/bin/python3 $SRC/tests/lib/metrics_check.py"

TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/jflowd-$TEST_NAME.XXXXXX")
NS_PREFIX="jf$$"
PIDS=""
JF_PIDS=""
NETNS=""

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
log() { echo "[$TEST_NAME] $*"; }

need_root() { [ "$(id -u)" = 0 ] || skip "needs root (network namespaces, XDP)"; }
need_cmd() { for c in "$@"; do command -v "$c" >/dev/null || skip "needs $c"; done; }

# Cleanup on every exit. A jflowd still running here was never stopped
# and checked: on a test that would pass, that is a failure of the test.
# The other processes are reaped with their status unread: the test has
# given its verdict (they are collectors and captures, or it failed).
cleanup() {
	local rc=$? p
	for p in $JF_PIDS; do
		if [ $rc -eq 0 ] && echo " $PIDS " | grep -q " $p "; then
			echo "FAIL: jflowd (pid $p) was not stopped and its exit status not checked"
			rc=1
		fi
	done
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || :; done
	for p in $PIDS; do wait "$p" 2>/dev/null && :; done
	for ns in $NETNS; do ip netns del "$ns" 2>/dev/null || true; done
	if [ $rc -eq 0 ] && [ -z "${KEEP_WORK:-}" ]; then rm -rf "$WORK"; else echo "work dir kept: $WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# netns_pair A B [queues]: two namespaces joined by veth "veth0" in each;
# IPv6 off so the stack adds no traffic of its own. Names are unique per run.
netns_pair() {
	local a="$NS_PREFIX$1" b="$NS_PREFIX$2" q="${3:-1}"
	ip netns add "$a"; NETNS="$NETNS $a"
	ip netns add "$b"; NETNS="$NETNS $b"
	for ns in "$a" "$b"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
		ip -n "$ns" link set lo up
	done
	ip link add veth0 netns "$a" numtxqueues "$q" numrxqueues "$q" type veth \
		peer name veth0 netns "$b" numtxqueues "$q" numrxqueues "$q"
	# Room for tagged and labelled full-size frames, as on a trunk.
	ip -n "$a" link set veth0 mtu 9000 up
	ip -n "$b" link set veth0 mtu 9000 up
}
ns() { echo "$NS_PREFIX$1"; }
in_ns() { local n="$NS_PREFIX$1"; shift; ip netns exec "$n" "$@"; }

# bg CMD...: start in the background, remember it for cleanup (LAST_PID).
# Only plain commands: a shell function would run in a subshell that does
# not pass signals on. bg_ns NS CMD...: the same inside a namespace.
bg() {
	"$@" & PIDS="$PIDS $!"; LAST_PID=$!
	case " $* " in *" $JFLOWD "*) JF_PIDS="$JF_PIDS $LAST_PID" ;; esac
}
bg_ns() { local n="$NS_PREFIX$1"; shift; bg ip netns exec "$n" "$@"; }

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	local t=$1; shift
	local end=$(( $(date +%s) + t ))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

udp_listening() { # [ns] port
	if [ $# = 2 ]; then in_ns "$1" ss -Hlun "sport = :$2" | grep -q .;
	else ss -Hlun "sport = :$1" | grep -q .; fi
}

# start_nfcapd NS|- PORT DIR [BIND [BUFFER [LOG]]]: nfcapd on that
# namespace's loopback (or on BIND, e.g. ::1), with a socket buffer of
# BUFFER bytes; with LOG, verbose (-v: what it could not read) into LOG.
start_nfcapd() {
	local n=$1 port=$2 dir=$3 bind=${4:-127.0.0.1} buf=${5:-8388608} log=${6:-}
	local v=() out=/dev/stdout
	[ -z "$log" ] || { v=(-v); out=$log; }
	mkdir -p "$dir"
	if [ "$n" = - ]; then
		bg nfcapd -w "$dir" -p "$port" -b "$bind" -B "$buf" "${v[@]}" >>"$out" 2>&1
		wait_for 5 udp_listening "$port" || fail "nfcapd did not start"
	else
		bg_ns "$n" nfcapd -w "$dir" -p "$port" -b "$bind" -B "$buf" "${v[@]}" >>"$out" 2>&1
		wait_for 5 udp_listening "$n" "$port" || fail "nfcapd did not start"
	fi
	NFCAPD_PID=$LAST_PID
}

# stop_nfcapd PID: nfcapd now and then misses one SIGTERM while it sits in
# recvfrom() (docs/protocol.md, collectors); ask again until it has written its
# file and exited.
stop_nfcapd() {
	local i
	for i in 1 2 3 4 5; do
		kill -TERM "$1" 2>/dev/null || break
		wait_for 2 sh -c "! kill -0 $1" && break
	done
	stop_pid "$1"
}

# start_nfacctd NS NAME ADDR PORT AGGREGATE [LINE...]: pmacct's nfacctd on
# that namespace, print plugin, CSV records in $WORK/NAME.csv, log in
# $WORK/NAME.log, further config LINEs appended (NFACCTD_PID).
start_nfacctd() {
	local n=$1 name=$2 addr=$3 port=$4 agg=$5
	shift 5
	printf '%s\n' "daemonize: false" "nfacctd_ip: $addr" "nfacctd_port: $port" \
		"plugins: print[p]" "aggregate[p]: $agg" "print_output[p]: csv" \
		"print_output_file[p]: $WORK/$name.csv" "print_output_file_append[p]: true" \
		"print_refresh_time[p]: 1" "print_num_protos[p]: true" \
		"nfacctd_disable_checks: false" "logfile: $WORK/$name.log" "$@" > "$WORK/$name.conf"
	bg_ns "$n" nfacctd -f "$WORK/$name.conf"
	NFACCTD_PID=$LAST_PID
	wait_for 5 udp_listening "$n" "$port" || fail "nfacctd $name did not start"
}

# stop_nfacctd PID: SIGINT, as nfacctd blocks SIGTERM while it waits for
# data (docs/protocol.md, collectors); it purges its cache to the file before it exits.
stop_nfacctd() {
	kill -INT "$1"
	wait_for 15 sh -c "! kill -0 $1" || fail "nfacctd did not stop"
	stop_pid "$1"
}

# capture_start NS FILTER FILE: dumpcap on the namespace's loopback
# (CAPTURE_PID); capture_stop: flush and close the file.
capture_start() {
	bg_ns "$1" dumpcap -q -i lo -f "$2" -w "$3"
	CAPTURE_PID=$LAST_PID
	wait_for 20 test -s "$3" || fail "dumpcap did not start"
	sleep 0.3
}
capture_stop() { sleep 0.3; stop_pid "$CAPTURE_PID"; }

# metric FILE NAME [LABEL-SUBSTRING]: the value of one sample (sum if
# several match), as an integer. NAME may also be a whole series with its
# labels, name{label="value",...}, matched exactly.
metric() {
	awk -v n="$2" -v l="${3:-}" '
		$1 !~ /^#/ { name = $1; if (index(n, "{") == 0) sub(/\{.*/, "", name)
			if (name == n && index($1, l)) { s += $NF; found = 1 } }
		END { if (!found) exit 1; printf "%d\n", s }' "$1" \
		|| fail "metric $2${3:+ {$3}} not in $1"
}

# expect_eq WHAT GOT WANT
expect_eq() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; log "$1: $2"; }

# settle NS|- PORT: wait until the collector has read its socket empty,
# then a moment for it to process what it read.
recvq_empty() {
	local q
	if [ "$1" = - ]; then q=$(ss -Hlun "sport = :$2" | awk '{print $2}' | head -1)
	else q=$(in_ns "$1" ss -Hlun "sport = :$2" | awk '{print $2}' | head -1); fi
	[ "${q:-0}" = 0 ]
}
settle() {
	wait_for 10 recvq_empty "$1" "$2" || log "collector socket not drained"
	sleep 0.5
}

# stop_pid PID: SIGTERM and wait (nfcapd writes its file on exit); its
# exit status in STOP_RC. nfcapd sometimes misses the first SIGTERM while
# blocked in recvfrom: repeat.
stop_pid() {
	local i
	kill -TERM "$1" 2>/dev/null || :
	for i in $(seq 30); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -TERM "$1" 2>/dev/null || :
	STOP_RC=0
	wait "$1" 2>/dev/null || STOP_RC=$?
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}

# stop_jflowd PID [LOG]: SIGTERM; jflowd must exit 0 after its final
# export (a crash or an error at shutdown fails the test, however
# complete the export looked).
stop_jflowd() {
	stop_pid "$1"
	[ "$STOP_RC" = 0 ] || fail "jflowd exited $STOP_RC at shutdown${2:+: $(tail -5 "$2")}"
	log "jflowd exited 0 at shutdown"
}

# nfdump_csv DIR OUT: every record nfcapd stored, as CSV with header.
nfdump_csv() { nfdump -R "$1" -o csv -N > "$2"; }

# veth_rx_dropped NS: packets the veth dropped before XDP saw them.
veth_rx_dropped() { in_ns "$1" ip -s -j link show veth0 | /usr/bin/python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["dropped"])'; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# udp_sink NS PORT...: read and discard UDP on the namespace's loopback, so
# that exports to those ports are not refused (a replay that sends to a
# refusing port exits 1) while a capture looks at them.
udp_sink() {
	local n=$1; shift
	bg_ns "$n" /usr/bin/python3 -c '
import select, socket, sys
socks = []
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", int(p)))
    socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        s.recv(65536)
' "$@"
	for p in "$@"; do wait_for 5 udp_listening "$n" "$p" || fail "udp sink on $p did not start"; done
}
