#!/bin/bash
# Pins (fault: -r into an absent IPFIX-over-TCP collector): a replay that
# could not deliver exits 1 and says per collector what was lost; the
# "retrying" it logs is true: a collector that appears two seconds after
# the replay ended still gets everything, and then the exit status is 0.
. "$(dirname "$0")/lib.sh"
need_root

COLLECTOR="/usr/bin/python3 $SRC/tests/lib/ipfix_tcp_collector.py"
"$TRAFGEN" --out "$WORK/in.pcap" --flows 500 --packets 30000 --rate 10000 >/dev/null
netns_pair a b

# 1. Nobody listens, ever.
rc=0
in_ns a "$JFLOWD" -r "$WORK/in.pcap" -n ipfix+tcp://127.0.0.1:4739 \
	--metrics-file "$WORK/absent.prom" 2> "$WORK/absent.log" || rc=$?
cat "$WORK/absent.log"
expect_eq "exit status, collector absent" "$rc" 1
grep -q "ipfix+tcp://127.0.0.1:4739: not delivered: 500 flow records (30000 packets)" \
	"$WORK/absent.log" || fail "the loss is not said"
grep -q "packets read, exported" "$WORK/absent.log" && fail "claims it exported"
expect_eq "dropped packets in the metrics" \
	"$(metric "$WORK/absent.prom" jflowd_collector_dropped_packets_total)" 30000

# 2. The collector appears two seconds after the replay has ended.
mkdir -p "$WORK/tcp"
bg_ns a "$JFLOWD" -r "$WORK/in.pcap" -n ipfix+tcp://127.0.0.1:4739 \
	--metrics-file "$WORK/late.prom" 2> "$WORK/late.log"
JF=$LAST_PID
sleep 2
bg_ns a $COLLECTOR 127.0.0.1 4739 "$WORK/tcp"
C=$LAST_PID
rc=0; wait "$JF" || rc=$?
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$JF" | tr '\n' ' ')
stop_pid "$C"
cat "$WORK/late.log"
grep -q "retrying" "$WORK/late.log" || fail "no 'retrying' logged"
expect_eq "exit status, collector late" "$rc" 0
expect_eq "packets the late collector acknowledged" \
	"$(metric "$WORK/late.prom" jflowd_collector_packets_total)" 30000
expect_eq "dropped packets, collector late" \
	"$(metric "$WORK/late.prom" jflowd_collector_dropped_packets_total)" 0
$METRICS_CHECK "$WORK/late.prom" --no-loss || fail "metrics invariant"
log "ok: a replay that cannot deliver fails and says so; retrying is real"
