#!/bin/bash
# NAT session storm: as many new NAT sessions per second as this machine
# makes, for DURATION seconds (default 30), through a masquerading router
# whose jflowd logs NAT events (--nat-events) to nfcapd; then, at paced
# rates, the highest rate of new sessions whose events all arrive with
# nothing lost. Prints one JSON line per run; run by bench/run.py (nat).
#
#   sudo BUILD=build-release SRC=. bench/nat_storm.sh [DURATION] [PACED_RATES] [SECONDS_EACH]
#
# Every session must be at the collector (one create, one delete), or
# counted (jflowd_nat_events_lost_total, rebuilt after an overflow, and
# jflowd_nat_event_overflows_total). Traffic stays in the namespaces it
# makes: the client injects UDP from 198.18.0.0/16 to 198.19.0.0/16 (RFC
# 2544 benchmarking space), one packet per session.
set -eu
DURATION=${1:-30}
PACED=${2:-}
EACH=${3:-10}
. "$SRC/tests/net/lib.sh"
. "$SRC/tests/net/router_lib.sh"
need_root
need_cmd nfcapd nfdump nft conntrack timeout

router_topology
R=$(ns r)
ip -n "$R" route add 198.19.0.0/16 via 10.2.0.2 dev r1
ip -n "$R" route add 198.18.0.0/16 via 10.1.0.2 dev r0
in_ns r sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.r0.rp_filter=0
in_ns r nft -f - <<'EOF'
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat;
		oifname "r1" masquerade
	}
}
EOF
# Sessions last a second: the table holds a second of the storm.
in_ns r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1 \
	net.netfilter.nf_conntrack_udp_timeout_stream=1

# stats FILE: the counters a run reports.
m() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }
ct_stat() { in_ns r conntrack -S 2>/dev/null | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { s += $2 } END { print s + 0 }'; }
rx() { in_ns r ip -s -j link show r0 | /usr/bin/python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }

# run NAME PPS SECONDS SEED: one storm; PPS 0 is flat out.
run() {
	local name=$1 pps=$2 secs=$3 seed=$4 d="$WORK/nf-$1" rx0 rx1 drop0 drop1 t0 t1 jf nf secs_sent
	local pace=()
	[ "$pps" = 0 ] || pace=(--pps "$pps")
	start_nfcapd r 4739 "$d" 127.0.0.1 67108864; nf=$NFCAPD_PID
	bg_ns r "$JFLOWD" -i r1 -n ipfix://127.0.0.1:4739 --ipfix-sequence nfdump --nat-events \
		--metrics-file "$WORK/m-$name.prom" --drain-interval 0.5 2>"$WORK/jflowd-$name.log"
	jf=$LAST_PID
	wait_for 15 test -s "$WORK/m-$name.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd-$name.log")"
	rx0=$(rx); drop0=$(( $(ct_stat drop) + $(ct_stat early_drop) + $(ct_stat insert_failed) ))
	t0=$(now_s)
	# trafgen stops at SIGUSR1 (the packet count is never reached).
	in_ns c timeout --preserve-status -s USR1 "$secs" "$TRAFGEN" --iface vc --dst-mac 02:00:00:00:01:01 --protos udp --families 4 \
		--flows 8000000 --packets 8000000 --seed "$seed" --size 64 \
		"${pace[@]}" >/dev/null 2>"$WORK/trafgen-$name.log" || fail "trafgen: $(cat "$WORK/trafgen-$name.log")"
	t1=$(now_s)
	# The sending time trafgen reports (its flow table takes a moment to build).
	secs_sent=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$WORK/trafgen-$name.log")
	rx1=$(rx); drop1=$(( $(ct_stat drop) + $(ct_stat early_drop) + $(ct_stat insert_failed) ))
	# Every session expires (a second) and is reaped; then every event is out.
	# (A dump removes the expired entries it meets, as the collector
	# would later: the deletes come now.)
	reaped() { in_ns r conntrack -L >/dev/null 2>&1; [ "$(in_ns r conntrack -C)" -lt 50 ]; }
	wait_for 120 reaped || log "$(in_ns r conntrack -C) entries still in the table"
	done_() { local c d
		c=$(m "$WORK/m-$name.prom" 'jflowd_nat_events_total{event="create"}')
		d=$(m "$WORK/m-$name.prom" 'jflowd_nat_events_total{event="delete"}')
		[ -n "$c" ] && [ "$c" = "$d" ]; }
	wait_for 60 done_ || log "creates and deletes still differ"
	sleep 1
	stop_jflowd "$jf" "$WORK/jflowd-$name.log"
	settle r 4739
	stop_nfcapd "$nf"
	local p="$WORK/m-$name.prom" at
	# Records at the collector (the meter sees none of the storm: its
	# packets leave by r1, where jflowd meters what comes in).
	at=$(nfdump -R "$d" -I 2>/dev/null | awk '$1 == "Flows:" { print $2 }')
	/usr/bin/python3 - "$name" "$pps" "$t0" "$t1" "${secs_sent:-0}" "$(( rx1 - rx0 ))" "$(( drop1 - drop0 ))" \
		"$(m "$p" 'jflowd_nat_events_total{event="create"}')" \
		"$(m "$p" 'jflowd_nat_events_total{event="delete"}')" \
		"$(m "$p" jflowd_nat_events_lost_total)" "$(m "$p" jflowd_nat_event_overflows_total)" \
		"$(m "$p" jflowd_nat_resyncs_total)" "${at:-0}" \
		"$(grep -c 'conntrack sent more events' "$WORK/jflowd-$name.log" || :)" <<'EOF'
import json, sys
(name, pps, t0, t1, sent_s, rx, ctdrop, cr, de, lost, ovf, rs, at, logged) = sys.argv[1:]
secs = float(sent_s) or float(t1) - float(t0)
sessions = int(rx) - int(ctdrop)
print(json.dumps({
    "run": name, "offered_pps": int(pps), "seconds": round(secs, 1),
    "packets_in": int(rx), "conntrack_drops": int(ctdrop), "sessions": sessions,
    "sessions_per_s": round(sessions / secs), "events_per_s": round(2 * sessions / secs),
    "created": int(cr or 0), "deleted": int(de or 0), "lost": int(lost or 0),
    "overflows": int(ovf or 0), "resyncs": int(rs or 0),
    "collector_records": int(at), "overflow_logged": int(logged),
    "complete": int(cr or 0) == sessions and int(de or 0) == sessions and int(at) >= 2 * sessions,
    "no_loss": int(lost or 0) == 0 and int(ovf or 0) == 0,
}))
EOF
}
now_s() { date +%s.%N; }

run storm 0 "$DURATION" 0
seed=1
for r in ${PACED//,/ }; do
	run "paced-$r" "$r" "$EACH" "$seed"
	seed=$((seed + 1))
done
