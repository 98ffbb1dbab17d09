#!/bin/bash
# Pins (fault: configuration files): "mirror = false" on a router leaves
# forwarding alone (ping 3/3) and "verbose = 0" adds no debug output; a
# switch value that says neither way, a directory, /dev/zero and a line
# too long to read whole are start-up errors (exit 2, one line saying
# why), never an empty, endless or cut configuration.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd ping

netns_pair tx rx
ip -n "$(ns tx)" addr add 10.99.0.1/24 dev veth0
ip -n "$(ns rx)" addr add 10.99.0.2/24 dev veth0
printf 'interface = veth0\ncollector = v9://127.0.0.1:2055\nmirror = false\nverbose = 0\n' \
	> "$WORK/off.conf"
bg_ns rx "$JFLOWD" -c "$WORK/off.conf" --metrics-file "$WORK/m.prom" 2> "$WORK/off.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/off.log")"
in_ns tx ping -c 3 -i 0.2 -W 1 10.99.0.2 > "$WORK/ping.log" || true
got=$(awk '/packets transmitted/ { print $4 }' "$WORK/ping.log")
stop_jflowd "$JF" "$WORK/off.log"
expect_eq "pings answered through jflowd with mirror = false" "$got" 3
grep -q "debug:" "$WORK/off.log" && fail "verbose = 0 turned on debug output"
[ "$(metric "$WORK/m.prom" jflowd_packets_metered_total)" -ge 3 ] || fail "nothing metered"

# And "mirror = true" really drops (the switch is read, not ignored).
sed 's/mirror = false/mirror = true/' "$WORK/off.conf" > "$WORK/on.conf"
bg_ns rx "$JFLOWD" -c "$WORK/on.conf" --metrics-file "$WORK/on.prom" 2> "$WORK/on.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/on.prom" || fail "jflowd did not start: $(cat "$WORK/on.log")"
in_ns tx ping -c 3 -i 0.2 -W 1 10.99.0.2 > "$WORK/ping-on.log" || true
stop_jflowd "$JF" "$WORK/on.log"
expect_eq "pings answered with mirror = true" \
	"$(awk '/packets transmitted/ { print $4 }' "$WORK/ping-on.log")" 0

# bad CONFIG WANT: exit 2 and an error naming WANT, within 5 s.
bad() {
	local rc=0
	timeout 5 "$JFLOWD" -c "$1" -r /nonexistent.pcap -n v9://127.0.0.1:2055 \
		2> "$WORK/bad.log" || rc=$?
	[ "$rc" = 2 ] || fail "config $1: exit status $rc, expected 2: $(cat "$WORK/bad.log")"
	grep -q "$2" "$WORK/bad.log" || fail "config $1: no '$2' in: $(cat "$WORK/bad.log")"
	log "config $1: $(cat "$WORK/bad.log")"
}
printf 'mirror = maybe\n' > "$WORK/maybe.conf"
bad "$WORK/maybe.conf" "mirror 'maybe': expected true or false"
printf 'verbose = 2\n' > "$WORK/verbose2.conf"
bad "$WORK/verbose2.conf" "verbose '2'"
mkdir -p "$WORK/dir.conf"
bad "$WORK/dir.conf" "not a regular file"
bad /dev/zero "not a regular file"
# A collector hidden in the tail of a long comment line.
{ printf '# '; head -c 4605 /dev/zero | tr '\0' x; printf 'collector = v5://10.0.0.1\n'; } \
	> "$WORK/long.conf"
bad "$WORK/long.conf" "line longer than"
log "ok: configuration switches and files are read as written"
