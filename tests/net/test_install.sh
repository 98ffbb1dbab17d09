#!/bin/bash
# What `meson install` lays down is complete and works: binary in sbin, both
# man pages render without warnings, systemd accepts both units and rates
# their hardening OK or better (and does not restart a configuration error,
# exit 2), a second install keeps a changed configuration and puts the
# example beside it, the example configuration feeds nfcapd without a
# sequence failure, and the installed jflowd starts and exports under the
# unit's capability bounding set and system call filter, telling systemd
# when it is ready and stopping.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd man systemd-analyze strace setpriv nfcapd nfdump

DEST="$WORK/root"
meson install -C "$BUILD" --no-rebuild --destdir "$DEST" >"$WORK/install.log" 2>&1 \
	|| { cat "$WORK/install.log"; fail "meson install"; }
PREFIX=$(meson introspect "$BUILD" --buildoptions | /usr/bin/python3 -c \
	'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}["prefix"])')
R="$DEST$PREFIX"
SBIN="$R/sbin/jflowd"
CTL="$R/sbin/jflowctl"
UNITS="$R/lib/systemd/system"
for f in "$SBIN" "$CTL" "$R/share/man/man8/jflowd.8" "$R/share/man/man8/jflowctl.8" \
	"$R/share/man/man5/jflowd.conf.5" \
	"$R/etc/jflowd/jflowd.conf" "$UNITS/jflowd.service" "$UNITS/jflowd@.service"; do
	[ -f "$f" ] || fail "not installed: ${f#$DEST}"
	log "installed ${f#$DEST}"
done
[ -x "$SBIN" ] && [ -x "$CTL" ] || fail "jflowd or jflowctl is not executable"

# An install over an installed jflowd keeps the operator's configuration.
CONF="$R/etc/jflowd/jflowd.conf"
cp "$CONF" "$WORK/example.conf"
echo "# the operator's line" >>"$CONF"
meson install -C "$BUILD" --no-rebuild --destdir "$DEST" >"$WORK/install.log" 2>&1 \
	|| { cat "$WORK/install.log"; fail "meson install, again"; }
[ "$(tail -1 "$CONF")" = "# the operator's line" ] || fail "a second meson install replaced $CONF"
cmp -s "$CONF.example" "$WORK/example.conf" || fail "no example beside the kept configuration"
cp "$WORK/example.conf" "$CONF"
rm "$CONF.example"
log "a second meson install kept the changed configuration, the example beside it"

# Man pages: groff's warnings (bad macros, lines it cannot fill) on stderr.
for m in "$R/share/man/man8/jflowd.8" "$R/share/man/man8/jflowctl.8" \
	"$R/share/man/man5/jflowd.conf.5"; do
	MANWIDTH=80 man --warnings -l "$m" >"$WORK/man.txt" 2>"$WORK/man.err"
	[ ! -s "$WORK/man.err" ] || { cat "$WORK/man.err"; fail "man warnings in ${m##*/}"; }
	grep -q "SYNOPSIS" "$WORK/man.txt" || fail "${m##*/} did not render"
done
log "man pages render without warnings"
# Every long option of --help is in jflowd(8), and every key in jflowd.conf(5).
MANTXT=$(MANWIDTH=200 man -l "$R/share/man/man8/jflowd.8" 2>/dev/null)
CONFTXT=$(MANWIDTH=200 man -l "$R/share/man/man5/jflowd.conf.5" 2>/dev/null)
for o in $("$SBIN" --help | grep -o -- '--[a-z0-9-]*' | sort -u); do
	grep -qe "$o" <<<"$MANTXT" || fail "jflowd(8) does not document $o"
	case $o in --help|--version|--config|--check-config|--start-condition) continue ;; esac
	grep -qE "^ +${o#--} =" <<<"$CONFTXT" || fail "jflowd.conf(5) does not document ${o#--}"
done
log "every option of --help is in both man pages"
# Every option and command of jflowctl --help is in jflowctl(8).
CTLTXT=$(MANWIDTH=200 man -l "$R/share/man/man8/jflowctl.8" 2>/dev/null)
for o in $("$CTL" --help | grep -o -- '--[a-z0-9-]*' | sort -u); do
	grep -qe "$o" <<<"$CTLTXT" || fail "jflowctl(8) does not document $o"
done
# Each command heads an entry of COMMANDS.
for c in $("$CTL" --help | sed -n '/^Commands:/,$p' | awk 'NR > 1 && /^  [a-z]/ {print $1}'); do
	sed -n '/^COMMANDS/,/^[A-Z]/p' <<<"$CTLTXT" | grep -qE "^ {7}$c( |\$)" \
		|| fail "jflowctl(8) has no entry for the command $c"
done
log "every option and command of jflowctl --help is in jflowctl(8)"

# systemd-analyze verify: a root made of the install and the host's own
# units (for sysinit.target and friends); any complaint fails.
mkdir -p "$DEST/usr/lib/systemd"
cp -a /lib/systemd/system "$DEST/usr/lib/systemd/" 2>/dev/null || cp -a /usr/lib/systemd/system "$DEST/usr/lib/systemd/"
# ExecReload's /bin/kill, as on any system.
mkdir -p "$DEST/bin"
cp "$(readlink -f /bin/kill)" "$DEST/bin/kill"
cp "$UNITS/jflowd@.service" "$UNITS/jflowd@edge.service"
for u in jflowd.service jflowd@edge.service; do
	out=$(systemd-analyze verify --man=no --root="$DEST" "$UNITS/$u" 2>&1) \
		|| { echo "$out"; fail "systemd-analyze verify $u"; }
	[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify $u complained"; }
	score=$(cd "$UNITS" && systemd-analyze security --offline=true "$u" 2>&1 | grep 'Overall exposure')
	log "$u: verified; ${score#→ }"
	grep -qE ' (OK|SAFE) ' <<<"$score" || fail "$u: hardening rated worse than OK"
done
grep -q "^ExecStart=$PREFIX/sbin/jflowd -c $PREFIX/etc/jflowd/%i.conf" "$UNITS/jflowd@.service" \
	|| fail "jflowd@.service does not read $PREFIX/etc/jflowd/%i.conf"
for u in jflowd.service jflowd@.service; do
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$UNITS/$u" || fail "$u: no ExecReload"
	grep -qx 'RuntimeDirectory=jflowd' "$UNITS/$u" || fail "$u: no RuntimeDirectory"
	grep -qx 'RestartPreventExitStatus=2' "$UNITS/$u" \
		|| fail "$u: a configuration error (exit 2) would be restarted"
done

# The installed binary, the example configuration (interface overridden;
# its collector is nfcapd on this host's 4739), the unit's capability
# bounding set and system call filter.
netns_pair tx rx
in_ns rx ip addr add 10.0.0.2/24 dev veth0
in_ns tx ip addr add 10.0.0.1/24 dev veth0
PORT=4739
start_nfcapd rx "$PORT" "$WORK/nf"
CAPS=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNITS/jflowd.service" | tr 'A-Z' 'a-z' \
	| sed 's/cap_/+/g; s/ /,/g')
log "capability bounding set: $CAPS"

# A notify socket stands in for systemd: READY=1 must come after the attach.
cat >"$WORK/notify.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2], "w").close()
with open(sys.argv[2], "a") as out:
    while True:
        out.write(s.recv(4096).decode() + "\n--\n")
        out.flush()
PY
bg_ns rx /usr/bin/python3 "$WORK/notify.py" "$WORK/notify.sock" "$WORK/notify.log"
wait_for 5 test -S "$WORK/notify.sock" || fail "notify listener did not start"

# JOURNAL_STREAM names the log file, as systemd names the stream it gives.
: >"$WORK/jflowd.log"
JS=$(stat -c '%d:%i' "$WORK/jflowd.log")
ip netns exec "$(ns rx)" env NOTIFY_SOCKET="$WORK/notify.sock" JOURNAL_STREAM="$JS" \
	setpriv --bounding-set "-all,$CAPS" --inh-caps -all \
	strace -f -qq -o "$WORK/strace.log" \
	"$SBIN" -c "$R/etc/jflowd/jflowd.conf" -i veth0 \
	--template-interval 1 --metrics-file "$WORK/m.prom" --control-socket "$WORK/ctl.sock" \
	2>>"$WORK/jflowd.log" &
JPID=$!
PIDS="$PIDS $JPID"
# strace detaches on SIGTERM: signal jflowd itself (strace exits with its
# status).
wait_for "$JF_START_S" pgrep -f "^$SBIN " || fail "jflowd did not start"
JF=$(pgrep -f "^$SBIN ")
PIDS="$PIDS $JF"
wait_for 15 grep -q READY=1 "$WORK/notify.log" || { cat "$WORK/jflowd.log"; fail "no READY=1"; }
grep -q "^<6>info: metering veth0" "$WORK/jflowd.log" \
	|| { cat "$WORK/jflowd.log"; fail "no journald priority prefix before READY"; }
log "READY=1 after: $(grep -m1 metering "$WORK/jflowd.log")"
# Under the unit's bounding set (no CAP_SETPCAP) the drop still leaves
# CAP_NET_ADMIN alone in the effective and permitted sets.
expect_eq "CapEff CapPrm under the unit" \
	"$(awk '/^CapEff/{e=$2} /^CapPrm/{p=$2} END {print e, p}' "/proc/$JF/status")" \
	"0000000000001000 0000000000001000"

SENT=20
in_ns tx /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"x" * 100, ("10.0.0.2", 9))
    time.sleep(0.01)' "$SENT" || fail "sending through the metered link"
sleep 1.5
# Reload (ExecReload's SIGHUP) and every jflowctl command, under the filter.
kill -HUP "$JF"
wait_for 10 grep -q "reloaded:" "$WORK/jflowd.log" || { cat "$WORK/jflowd.log"; fail "no reload"; }
grep -q "RELOADING=1" "$WORK/notify.log" || fail "no RELOADING=1 on SIGHUP"
for c in stats flows "flows --top 5 --sort packets --json" collectors reload expire; do
	"$CTL" -s "$WORK/ctl.sock" $c >"$WORK/ctl.out" || { cat "$WORK/ctl.out"; fail "jflowctl $c"; }
done
log "SIGHUP and every jflowctl command under the unit's restrictions"
# Options data after the flows that expire left (two refreshes, 2 records
# each): with the RFC numbering, nfcapd would count a sequence failure.
opts() { metric "$WORK/m.prom" jflowd_collector_options_records_total; }
o0=$(opts)
for i in $(seq 100); do [ "$(opts)" -ge $((o0 + 4)) ] && break; sleep 0.1; done
[ "$(opts)" -ge $((o0 + 4)) ] || fail "no options data after the flows"
kill -TERM "$JF"
rc=0
wait "$JPID" || rc=$?
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vxe "$JPID" -e "$JF" | tr '\n' ' ')
[ "$rc" = 0 ] || { cat "$WORK/jflowd.log"; fail "jflowd exited $rc"; }
grep -q STOPPING=1 "$WORK/notify.log" || fail "no STOPPING=1"
log "STOPPING=1 on SIGTERM, exit 0"

/usr/bin/python3 "$SRC/tests/lib/syscall_check.py" "$UNITS/jflowd.service" "$WORK/strace.log" \
	|| fail "the unit's SystemCallFilter refuses a call jflowd makes"
# The datagrams sent are the truth (ARP is counted as non_ip, in no flow).
expect_eq "packets exported under the unit's restrictions" \
	"$(metric "$WORK/m.prom" jflowd_packets_exported_total)" "$SENT"
stop_nfcapd "$NFCAPD_PID"
at=$(nfdump -R "$WORK/nf" -q -o "fmt:%pkt" 'proto udp and dst port 9' 2>/dev/null \
	| awk '{s+=$1} END {print s+0}')
expect_eq "packets at nfcapd" "$at" "$SENT"
expect_eq "nfdump -I sequence failures with the example configuration" \
	"$(nfdump -R "$WORK/nf" -I | awk -F': ' '/^Sequence failures/ { print $2 }')" 0
