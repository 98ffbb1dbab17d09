#!/bin/bash
# Pins what jflowctl shows and how it takes its arguments: a UDP collector
# that refuses is "refused" and "up" once something listens, one on this
# host that is not there "away" (what is exported waits for it) and "up"
# once it listens, one without a route "unreachable"; stats carries the metrics file's series
# (jflowd_interface_attached included); stats, collectors, flows and config
# take --json; config reads back as a configuration; flows names the
# protocol, shows ICMP as type.code and the TCP flags; softflowctl's names
# work (statistics, dump-flows, expire-all, timeouts, send-template,
# shutdown); usage errors exit 2 before connecting, --socket=PATH works,
# and "Permission denied" says to run as root.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump setpriv ping

JFLOWCTL="$BUILD/src/jflowctl"
SOCK="$WORK/ctl.sock"
ctl() { "$JFLOWCTL" -s "$SOCK" "$@"; }
state() { ctl collectors | awk -v u="$1" '$1 == u {print $3}'; }
state_is() { [ "$(state "$1")" = "$2" ]; }

netns_pair tx rx
in_ns rx ip addr add 10.0.0.2/24 dev veth0
in_ns tx ip addr add 10.0.0.1/24 dev veth0
start_nfcapd rx 2055 "$WORK/nf"
NF=$NFCAPD_PID
LOCAL=v9://127.0.0.1:2056
REFUSING=v9://10.0.0.2:2057
AWAY=v9://10.0.0.77:2055
bg_ns rx "$JFLOWD" -i veth0 -n v9://127.0.0.1:2055 -n "$LOCAL" -n "$REFUSING" -n "$AWAY" \
	-t idle=60,active=120 --template-interval 1 --metrics-file "$WORK/m.prom" \
	--control-socket "$SOCK" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"

# Collector state: nobody on 2057 (ICMP port unreachable) nor on this
# host's 2056 (waited for), then listeners.
wait_for 10 state_is "$REFUSING" refused || { ctl collectors; fail "a refusing collector is not 'refused'"; }
log "nobody listens: $(ctl collectors | grep "^$REFUSING")"
wait_for 10 state_is "$LOCAL" away || { ctl collectors; fail "a collector on this host not there is not 'away'"; }
log "nobody listens on this host: $(ctl collectors | grep "^$LOCAL")"
udp_sink rx 2056
start_nfcapd rx 2057 "$WORK/nf2" 10.0.0.2
wait_for 10 state_is "$REFUSING" up || { ctl collectors; fail "a listening collector is not 'up'"; }
wait_for 10 state_is "$LOCAL" up || { ctl collectors; fail "a collector on this host that came is not 'up'"; }
# No route to a collector, then the route back.
in_ns rx ip route add unreachable 10.0.0.77/32
wait_for 10 state_is "$AWAY" unreachable || { ctl collectors; fail "no 'unreachable' without a route"; }
log "no route: $(ctl collectors | grep "^$AWAY")"
in_ns rx ip route del unreachable 10.0.0.77/32
wait_for 10 state_is "$AWAY" up || { ctl collectors; fail "not 'up' with the route back"; }
ctl collectors --json > "$WORK/coll.json" || fail "collectors --json"
/usr/bin/python3 - "$WORK/coll.json" <<'PY' || fail "collectors --json"
import json, sys
c = {x["collector"]: x for x in json.load(open(sys.argv[1]))}
assert set(c) == {"v9://127.0.0.1:2055", "v9://127.0.0.1:2056", "v9://10.0.0.2:2057",
                  "v9://10.0.0.77:2055"}, c
assert all(x["state"] == "up" and x["protocol"] == "v9" for x in c.values()), c
assert c["v9://10.0.0.2:2057"]["refused"] >= 1, c
assert c["v9://127.0.0.1:2056"]["refused"] == 0, c
assert c["v9://10.0.0.77:2055"]["send_errors"] >= 1, c
print("[test_jflowctl_output] collectors --json:", len(c), "collectors, all up again")
PY

# Traffic: ICMP echo, a TCP exchange, a UDP flow.
in_ns tx ping -c 3 -i 0.2 -W 1 10.0.0.2 >/dev/null || true
bg_ns rx /usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.2", 8080)); s.listen(1)
c, _ = s.accept(); c.recv(100); c.close()'
SRV=$LAST_PID
tcp_listening() { in_ns rx ss -Hltn "sport = :8080" | grep -q .; }
wait_for 5 tcp_listening || fail "no TCP listener"
in_ns tx /usr/bin/python3 -c '
import socket, time
s = socket.create_connection(("10.0.0.2", 8080)); s.send(b"hello"); time.sleep(0.2); s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5): u.sendto(b"x" * 50, ("10.0.0.2", 9999))' || fail "TCP/UDP sender"
wait "$SRV" 2>/dev/null || true
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$SRV" | tr '\n' ' ')
has_flows() { [ "$(ctl dump-flows | tail -n +2 | wc -l)" -ge 3 ]; }
wait_for 10 has_flows || fail "flows not in the cache: $(ctl flows)"
ctl flows > "$WORK/flows.txt" || fail "jflowctl flows"
cat "$WORK/flows.txt"
expect_eq "ICMP echo: proto, dport (type.code), flags" \
	"$(awk '$1 == "icmp" {print $1, $5, $10}' "$WORK/flows.txt")" "icmp 8.0 -"
expect_eq "TCP to 8080: proto, flags (SYN, ACK, PSH, FIN)" \
	"$(awk '$1 == "tcp" && $5 == 8080 {print $1, $10}' "$WORK/flows.txt")" "tcp ...AP.SF"
expect_eq "UDP to 9999: proto, packets" \
	"$(awk '$1 == "udp" && $5 == 9999 {print $1, $7}' "$WORK/flows.txt")" "udp 5"
ctl flows --json > "$WORK/flows.json" || fail "flows --json"
/usr/bin/python3 - "$WORK/flows.json" <<'PY' || fail "flows --json"
import json, sys
f = json.load(open(sys.argv[1]))
icmp = [x for x in f if x["proto_name"] == "icmp"][0]
assert (icmp["proto"], icmp["icmp_type"], icmp["icmp_code"]) == (1, 8, 0), icmp
tcp = [x for x in f if x["proto_name"] == "tcp" and x["dport"] == 8080][0]
assert tcp["tcp_flags"] == 0x1b, tcp		# ACK PSH SYN FIN
print("[test_jflowctl_output] flows --json: icmp 8/0, tcp flags", hex(tcp["tcp_flags"]))
PY

# stats: the metrics file's series, jflowd_interface_attached among them.
ctl statistics | awk '{print $1}' | sort > "$WORK/stats.series"
grep -v '^#' "$WORK/m.prom" | awk '{print $1}' | sort > "$WORK/file.series"
diff "$WORK/file.series" "$WORK/stats.series" || fail "jflowctl stats and the metrics file differ"
grep -qx 'jflowd_interface_attached{ifname="veth0"}' "$WORK/stats.series" \
	|| fail "stats: no jflowd_interface_attached"
log "stats: the metrics file's $(wc -l < "$WORK/stats.series") series"
ctl stats --json > "$WORK/stats.json" || fail "stats --json"
/usr/bin/python3 - "$WORK/stats.json" <<'PY' || fail "stats --json"
import json, sys
s = json.load(open(sys.argv[1]))
att = [x for x in s if x["name"] == "jflowd_interface_attached"]
assert att == [{"name": "jflowd_interface_attached", "labels": {"ifname": "veth0"}, "value": 1}], att
col = [x for x in s if x["name"] == "jflowd_collector_messages_total"]
assert len(col) == 4 and all(set(x["labels"]) == {"collector", "protocol", "monitor", "exporter"}
                             and x["labels"]["monitor"] == "default" for x in col), col
print("[test_jflowctl_output] stats --json:", len(s), "samples")
PY

# config: the settings in effect, which read back as a configuration.
ctl config > "$WORK/config.txt" || fail "jflowctl config"
grep -qx "timeouts = idle=60,active=120,fin=2" "$WORK/config.txt" || fail "config: timeouts"
grep -qx "template-interval = 1" "$WORK/config.txt" || fail "config: template-interval"
grep -qx "collector = $AWAY" "$WORK/config.txt" || fail "config: collectors"
grep -qE '^max-flows = [0-9]+$' "$WORK/config.txt" || fail "config: max-flows"
ctl timeouts | grep -qx "timeouts = idle=60,active=120,fin=2" || fail "softflowctl's timeouts"
sed -i '/^control-socket =/d' "$WORK/config.txt"	# this one is in use
in_ns rx "$JFLOWD" -c "$WORK/config.txt" --check-config >"$WORK/check.txt" 2>&1 \
	|| { cat "$WORK/config.txt" "$WORK/check.txt"; fail "jflowctl config does not read back"; }
ctl config --json > "$WORK/config.json" || fail "config --json"
/usr/bin/python3 - "$WORK/config.json" <<'PY' || fail "config --json"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["interface"] == ["veth0"] and len(c["collector"]) == 4, c
assert c["timeouts"] == "idle=60,active=120,fin=2" and c["sample"] == "1", c
assert c["source"] is None and int(c["max-flows"]) >= 131072, c
print("[test_jflowctl_output] config --json:", len(c), "settings")
PY

# softflowctl's send-template and expire-all.
t0=$(metric "$WORK/m.prom" jflowd_collector_template_messages_total 'collector="v9://127.0.0.1:2055"')
ctl send-template | grep -qx "templates and options sent to 4 collectors" || fail "send-template"
ctl stats > "$WORK/stats2.prom"
t1=$(metric "$WORK/stats2.prom" jflowd_collector_template_messages_total 'collector="v9://127.0.0.1:2055"')
[ "$t1" -gt "$t0" ] || fail "send-template sent no template message ($t0 -> $t1)"
ctl expire-all | grep -qE '^[0-9]+ flows exported$' || fail "expire-all"
expect_eq "flows after expire-all" "$(ctl flows | tail -n +2 | wc -l)" 0

# Arguments: usage errors exit 2, before any connection.
rc=0; ctl flows --top -1 2>"$WORK/err" || rc=$?
expect_eq "flows --top -1: exit" "$rc" 2
rc=0; "$JFLOWCTL" -s /nonexistent/sock frobnicate 2>"$WORK/err" || rc=$?
expect_eq "an unknown command, no jflowd: exit" "$rc" 2
grep -q "unknown command 'frobnicate'" "$WORK/err" || fail "no reason: $(cat "$WORK/err")"
rc=0; ctl expire now 2>"$WORK/err" || rc=$?
expect_eq "expire now: exit" "$rc" 2
"$JFLOWCTL" --socket="$SOCK" stats >/dev/null || fail "--socket=PATH refused"
rc=0; "$JFLOWCTL" -s /nonexistent/sock stats 2>"$WORK/err" || rc=$?
expect_eq "no jflowd: exit" "$rc" 1
rc=0; setpriv --reuid=65534 --regid=65534 --clear-groups "$JFLOWCTL" -s "$SOCK" stats \
	2>"$WORK/err" || rc=$?
expect_eq "as nobody: exit" "$rc" 1
grep -q "Permission denied (the socket is mode 0600: run jflowctl as root" "$WORK/err" \
	|| fail "Permission denied: $(cat "$WORK/err")"
log "as nobody: $(cat "$WORK/err")"

# shutdown: as SIGTERM, every flow exported, exit 0.
in_ns tx ping -c 2 -i 0.2 -W 1 10.0.0.2 >/dev/null || true
icmp2() { [ "$(ctl flows | awk '$1 == "icmp" {print $7}')" = 2 ]; }
wait_for 5 icmp2 || fail "the second pings are not in the cache: $(ctl flows)"
ctl shutdown | grep -qx "stopping: exporting every flow" || fail "shutdown"
rc=0; wait "$JF" || rc=$?
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$JF" | tr '\n' ' ')
expect_eq "jflowd after shutdown: exit" "$rc" 0
stop_nfcapd "$NF"
expect_eq "ICMP echo requests at nfcapd" \
	"$(nfdump -R "$WORK/nf" -q -o 'fmt:%pkt' 'proto icmp' | awk '{s+=$1} END {print s+0}')" 5
log "ok"
