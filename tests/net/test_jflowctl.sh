#!/bin/bash
# Pins jflowctl against a running jflowd: every command (stats, flows with
# --sort/--top/--json, collectors, expire, reload), the socket's mode, the
# order of `flows --top 5` against flows whose sizes the test chose, that
# `expire` puts every active flow at the collector, and that a flood of
# 200 connections that send nothing stops neither metering, nor the tick,
# nor the export; and that a collector removed and added back while it
# drains is one collector (no duplicate series).
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump

JFLOWCTL="$BUILD/src/jflowctl"
SOCK="$WORK/ctl.sock"
ctl() { "$JFLOWCTL" -s "$SOCK" "$@"; }

netns_pair tx rx
in_ns rx ip addr add 10.0.0.2/24 dev veth0
in_ns tx ip addr add 10.0.0.1/24 dev veth0
in_ns tx ip neigh add 10.0.0.2 lladdr "$(in_ns rx cat /sys/class/net/veth0/address)" \
	dev veth0 nud permanent

# send PORT PACKETS PAYLOAD: one UDP flow.
send() {
	in_ns tx /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b"x" * int(sys.argv[3]), ("10.0.0.2", int(sys.argv[1])))
    time.sleep(0.001)' "$@" || fail "send"
}
conf() {
	printf '%s\n' "interface = veth0" "metrics-file = $WORK/m.prom" \
		"collector = v9://127.0.0.1:2055" "$@" > "$WORK/jflowd.conf"
}
nf_packets() { # DIR [FILTER]
	nfdump -R "$1" -q -o 'fmt:%pkt' "${2:-any}" | awk '{s+=$1} END {print s+0}'
}

start_nfcapd rx 2055 "$WORK/nf"
NF=$NFCAPD_PID
conf "timeouts = idle=60,active=120"
bg_ns rx "$JFLOWD" -c "$WORK/jflowd.conf" --control-socket "$SOCK" 2>"$WORK/jflowd.log"
JFPID=$LAST_PID
wait_for "$JF_START_S" grep -q "metering veth0" "$WORK/jflowd.log" || fail "jflowd did not start"
wait_for 5 test -S "$SOCK" || fail "no control socket"
expect_eq "socket mode and owner" "$(stat -c '%a %U' "$SOCK")" "600 root"

# Seven flows: packets and payload chosen so that the order by packets and
# the order by octets differ.
#   port packets payload -> octets (IP: payload + 28)
declare -A PK OC
for f in "5001 10 1000" "5002 70 10" "5003 30 500" "5004 50 100" "5005 20 800" \
	 "5006 60 50" "5007 40 200"; do
	set -- $f
	send "$1" "$2" "$3"
	PK[$1]=$2
	OC[$1]=$(($2 * ($3 + 28)))
done
# A drain: every packet is in the cache.
cached() { "$JFLOWCTL" -s "$SOCK" stats | grep -qx 'jflowd_packets_cached 280'; }
wait_for 10 cached || fail "the packets sent never reached the cache"

# stats: the metrics file's counters.
ctl stats > "$WORK/stats.txt" || fail "jflowctl stats"
grep -q '^jflowd_packets_metered_total ' "$WORK/stats.txt" || fail "stats: no metered total"
grep -q '^#' "$WORK/stats.txt" && fail "stats: comments left in"
expect_eq "stats: packets cached" "$(metric "$WORK/stats.txt" jflowd_packets_cached)" 280
expect_eq "stats: flows cached" "$(metric "$WORK/stats.txt" jflowd_flows_cached)" 7

# flows: all seven, then the top five each way.
ctl flows > "$WORK/flows.txt" || fail "jflowctl flows"
cat "$WORK/flows.txt"
expect_eq "flows: lines" "$(tail -n +2 "$WORK/flows.txt" | wc -l)" 7
top() { ctl flows "$@" | awk 'NR > 1 {print $5}' | paste -sd' '; }
expect_eq "flows --sort packets --top 5" "$(top --sort packets --top 5)" \
	"5002 5006 5004 5007 5003"
expect_eq "flows --sort octets --top 5" "$(top --sort octets --top 5)" \
	"5005 5003 5001 5007 5004"
expect_eq "flows --top 5 (octets)" "$(top --top 5)" "5005 5003 5001 5007 5004"
ctl flows --json --sort packets > "$WORK/flows.json" || fail "jflowctl flows --json"
/usr/bin/python3 - "$WORK/flows.json" "${PK[5001]}:${OC[5001]}" <<'PY' || fail "flows --json"
import json, sys
flows = json.load(open(sys.argv[1]))
assert len(flows) == 7, flows
pk = [f["packets"] for f in flows]
assert pk == sorted(pk, reverse=True), pk
f = [f for f in flows if f["dport"] == 5001][0]
want = sys.argv[2].split(":")
assert (f["packets"], f["octets"]) == (int(want[0]), int(want[1])), f
assert f["src"] == "10.0.0.1" and f["dst"] == "10.0.0.2" and f["proto"] == 17, f
print("[test_jflowctl] flows --json: 7 flows, sorted, 5001 =", f["packets"], f["octets"])
PY
ctl flows --sort bogus 2>"$WORK/err.txt" && fail "flows --sort bogus accepted"
grep -q "expected octets or packets" "$WORK/err.txt" || fail "no reason for a bad --sort"

# collectors: up, nothing sent yet (long timeouts).
ctl collectors > "$WORK/coll.txt" || fail "jflowctl collectors"
cat "$WORK/coll.txt"
expect_eq "collectors: state, records" \
	"$(awk '$1 == "v9://127.0.0.1:2055" {print $3, $4}' "$WORK/coll.txt")" "up 0"

# expire: every active flow at the collector now.
ctl expire > "$WORK/expire.txt" || fail "jflowctl expire"
expect_eq "expire" "$(cat "$WORK/expire.txt")" "7 flows exported"
expect_eq "flows after expire" "$(ctl flows | tail -n +2 | wc -l)" 0
expect_eq "collectors: records after expire" \
	"$(ctl collectors | awk '$1 == "v9://127.0.0.1:2055" {print $4, $5}')" "7 280"

# reload: a second collector and short timeouts; a broken file is refused.
start_nfcapd rx 2056 "$WORK/nf2"
NF2=$NFCAPD_PID
conf "timeouts = idle=1,active=120" "collector = v9://127.0.0.1:2056"
ctl reload > "$WORK/reload.txt" || fail "jflowctl reload"
cat "$WORK/reload.txt"
grep -q "2 collectors (1 added, 0 removed)" "$WORK/reload.txt" || fail "reload: not applied"
conf "timeouts = idle=1,active=120" "collector = v9://127.0.0.1:2056" "bogus-option = 1"
ctl reload 2>"$WORK/err.txt" && fail "a broken reload answered ok"
grep -q "unknown option 'bogus-option'" "$WORK/err.txt" || fail "reload: no reason"
expect_eq "collectors after the broken reload" "$(ctl collectors | tail -n +2 | wc -l)" 2

# A flood: 200 connections that send nothing, held for 3 s, while traffic
# flows. The tick goes on (the metrics file keeps changing), packets are
# metered and exported (idle 1 s).
up0=$(awk '$1 == "jflowd_uptime_seconds" {print $2}' "$WORK/m.prom")
drains0=$(metric "$WORK/m.prom" jflowd_drains_total)
/usr/bin/python3 - "$SOCK" > "$WORK/flood.txt" <<'PY' &
import socket, sys, time
socks, busy, end = [], 0, time.time() + 10
while len(socks) < 200 and time.time() < end:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(sys.argv[1])	# EAGAIN while the backlog is full
    except BlockingIOError:
        s.close()
        time.sleep(0.005)
        continue
    socks.append(s)
time.sleep(3)
for s in socks:
    s.settimeout(0.2)
    try:
        if s.recv(100).startswith(b"error: busy"):
            busy += 1
    except OSError:
        pass
print(len(socks), busy)
PY
FLOOD=$!
sleep 0.5
send 6000 300 100
sleep 2
drains1=$(metric "$WORK/m.prom" jflowd_drains_total)
up1=$(awk '$1 == "jflowd_uptime_seconds" {print $2}' "$WORK/m.prom")
wait $FLOOD || fail "flood client"
read -r conns busy < "$WORK/flood.txt"
log "flood: $conns connections, $busy told busy; drains $drains0 -> $drains1, uptime $up0 -> $up1"
[ "$conns" = 200 ] || fail "flood: only $conns connections made"
[ "$busy" -ge 150 ] || fail "flood: only $busy of 200 told busy"
[ $((drains1 - drains0)) -ge 2 ] || fail "the tick stopped during the flood"
ctl stats > /dev/null || fail "jflowctl after the flood"
# A TCP collector removed while it is away: its queue is given up after a
# bounded time (5 s), drained from the tick, never stopping metering.
COLLECTOR="/usr/bin/python3 $SRC/tests/lib/ipfix_tcp_collector.py"
TCPURL="ipfix+tcp://127.0.0.1:4739"
mkdir -p "$WORK/tcp"
bg_ns rx $COLLECTOR 127.0.0.1 4739 "$WORK/tcp" >"$WORK/tcp.log"
TC=$LAST_PID
conf "timeouts = idle=1,active=120" "collector = v9://127.0.0.1:2056" "collector = $TCPURL"
ctl reload | grep -q "3 collectors (1 added, 0 removed)" || fail "reload: TCP collector not added"
wait_for 10 sh -c "$JFLOWCTL -s $SOCK collectors | grep -q '^$TCPURL .* up '" \
	|| fail "TCP collector not up"
kill -KILL "$TC"		# gone at once: nothing more is read
wait "$TC" 2>/dev/null || true
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$TC" | tr '\n' ' ')
send 7000 100 100
# Expired (idle 1 s) and queued for the TCP collector that is away.
queued() { "$JFLOWCTL" -s "$SOCK" collectors | awk -v u="$TCPURL" '$1 == u && $8 > 0' | grep -q .; }
wait_for 15 queued || { ctl collectors; fail "nothing queued for the TCP collector"; }
ctl collectors
# Removed, then added back while its queue drains: the same collector goes
# on, one series per metric (a strict parser, as node_exporter's, takes the
# file), its queue kept.
conf "timeouts = idle=1,active=120" "collector = v9://127.0.0.1:2056"
ctl reload | grep -q "2 collectors (0 added, 1 removed)" || fail "reload: TCP collector not removed"
conf "timeouts = idle=1,active=120" "collector = v9://127.0.0.1:2056" "collector = $TCPURL"
ctl reload | grep -q "3 collectors (1 added, 0 removed)" || fail "reload: TCP collector not added back"
expect_eq "added back: one line, not removed" \
	"$(ctl collectors | awk -v u="$TCPURL" '$1 == u {print $3}')" down
d0=$(metric "$WORK/m.prom" jflowd_drains_total)
wait_for 5 sh -c "! grep -qx 'jflowd_drains_total $d0' '$WORK/m.prom'" || fail "no drain"
$METRICS_CHECK "$WORK/m.prom" > "$WORK/dup.txt" || fail "metrics with the collector added back: $(tail -3 "$WORK/dup.txt")"
grep -q "added back by reload, its queue kept" "$WORK/jflowd.log" || fail "not logged as added back"
conf "timeouts = idle=1,active=120" "collector = v9://127.0.0.1:2056"
t0=$(date +%s.%N)
ctl reload | grep -q "2 collectors (0 added, 1 removed)" || fail "reload: TCP collector not removed"
expect_eq "the removed collector drains" \
	"$(ctl collectors | awk -v u="$TCPURL" '$1 == u {print $3}')" removed
d0=$(metric "$WORK/m.prom" jflowd_drains_total)
wait_for 10 grep -q "collector $TCPURL removed:" "$WORK/jflowd.log" \
	|| { cat "$WORK/jflowd.log"; fail "the removed TCP collector never left"; }
t1=$(date +%s.%N)
d1=$(metric "$WORK/m.prom" jflowd_drains_total)
line=$(grep "collector $TCPURL removed:" "$WORK/jflowd.log")
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
log "$line (after $took s; drains meanwhile: $((d1 - d0)))"
awk -v t="$took" 'BEGIN {exit !(t < 7)}' || fail "the drain of the removed collector took too long"
[ $((d1 - d0)) -ge 3 ] || fail "metering stopped while the removed collector drained"
grep -qE "[1-9][0-9]* dropped" <<<"$line" || fail "what it never took is not counted dropped"
expect_eq "collectors after it left" "$(ctl collectors | tail -n +2 | wc -l)" 2
stop_jflowd "$JFPID" "$WORK/jflowd.log"
stop_nfcapd "$NF"
stop_nfcapd "$NF2"
$METRICS_CHECK "$WORK/m.prom" || fail "metrics invariant"
expect_eq "packets at the first collector" "$(nf_packets "$WORK/nf")" 680
expect_eq "port 7000 at the added collector" "$(nf_packets "$WORK/nf2" 'dst port 7000')" 100
expect_eq "the flood's traffic at the added collector" \
	"$(nf_packets "$WORK/nf2" 'dst port 6000')" 300
