#!/bin/bash
# Pins offline replay as a live run would see it:
#  1. a five-minute capture of long-lived flows: timeouts run on capture
#     time, each flow gives one record per active timeout, with the
#     capture's times, and per-flow sums are exact;
#  2. sampling 1 in 100: the sampled count is within 5 sigma of N/100, it
#     is what the collector holds, and the interval (34) and algorithm (35)
#     are announced in the options and data templates (decoded by tshark);
#  3. 200,000 one-packet flows reach nfcapd with its default socket buffer:
#     all of them (the export is paced);
#  4. a collector on this host that never reads its socket costs one
#     second of waiting and one warning, not a hang; what it could not
#     take is counted and the replay exits 1;
#  5. octets: a capture cut by its snap length counts the IP length (the
#     wire carried it), an IP header claiming more than its frame holds
#     counts the frame, flagged trimmed.
. "$(dirname "$0")/lib.sh"
need_root
need_cmd nfcapd nfdump tshark dumpcap
RECORDS_CHECK="/usr/bin/python3 $SRC/tests/lib/records_check.py"

netns_pair a b
T0=1700000000

log "long-lived flows over five minutes, active timeout 60 s"
"$TRAFGEN" --out "$WORK/long.pcap" --flows 12 --packets 6000 --start $T0 --rate 20 \
	--protos tcp,udp,icmp --families 4,6 --expect "$WORK/long.expect"
start_nfcapd a 4739 "$WORK/nf-long"
in_ns a "$JFLOWD" -r "$WORK/long.pcap" -n ipfix://127.0.0.1:4739 -t idle=15,active=60 \
	--metrics-file "$WORK/long.prom" -q || fail "jflowd -r exited $?"
settle a 4739
stop_pid "$NFCAPD_PID"
TZ=UTC nfdump -R "$WORK/nf-long" -o json > "$WORK/long.json"
nfdump_csv "$WORK/nf-long" "$WORK/long.csv"
$FLOWCMP "$WORK/long.expect" "$WORK/long.csv" || fail "per-flow sums differ"
$RECORDS_CHECK "$WORK/long.json" --active 60 --start $T0 --end $((T0 + 300)) --flows 12 \
	|| fail "records do not follow the active timeout on capture time"
[ "$(metric "$WORK/long.prom" 'jflowd_flows_exported_total{reason="active"}')" = 48 ] \
	|| fail "expected 4 active-timeout records per flow"

log "sampling 1 in 100"
"$TRAFGEN" --out "$WORK/samp.pcap" --flows 500 --packets 200000 --rate 50000 --protos udp \
	--families 4 --expect "$WORK/samp.expect"
start_nfcapd a 4739 "$WORK/nf-samp"
bg_ns a dumpcap -q -i lo -f "udp port 4739" -w "$WORK/samp.pcapng"
TS=$LAST_PID
# dumpcap writes the file header once it captures.
wait_for 20 test -s "$WORK/samp.pcapng" || fail "dumpcap did not start"
sleep 0.3
in_ns a "$JFLOWD" -r "$WORK/samp.pcap" -n ipfix://127.0.0.1:4739 -s 100 \
	--metrics-file "$WORK/samp.prom" -q || fail "jflowd -r -s 100 exited $?"
settle a 4739
sleep 0.5
stop_pid "$TS"
stop_pid "$NFCAPD_PID"
$METRICS_CHECK "$WORK/samp.prom" || fail "metrics invariant with sampling"
METERED=$(metric "$WORK/samp.prom" 'jflowd_packets_in_flows_total{path="map"}')
NOT=$(metric "$WORK/samp.prom" jflowd_packets_not_sampled_total)
[ $((METERED + NOT)) = 200000 ] || fail "sampled $METERED + skipped $NOT != 200000"
# Binomial(200000, 1/100): mean 2000, sigma 44.5; 5 sigma = 222.
[ "$METERED" -ge 1778 ] && [ "$METERED" -le 2222 ] || fail "sampled $METERED, expected 2000 +- 222"
GOT=$(nfdump -R "$WORK/nf-samp" -I | awk '/^Packets:/ { print $2 }')
[ "$GOT" = "$METERED" ] || fail "collector holds $GOT packets, jflowd sampled $METERED"
# Per message: its set ids, then the interval and algorithm values it carries.
tshark -r "$WORK/samp.pcapng" -d udp.port==4739,cflow -T fields -E separator=/t -E aggregator=';' \
	-e cflow.flowset_id -e cflow.sampling_interval -e cflow.sampling_algorithm \
	-Y cflow.sampling_interval > "$WORK/samp.fields" 2>/dev/null
awk -F'\t' '$1 ~ /(^|;)512(;|$)/ && $2 ~ /(^|;)100(;|$)/ && $3 ~ /(^|;)2(;|$)/ { ok = 1 } END { exit !ok }' \
	"$WORK/samp.fields" || fail "no options record with interval 100, algorithm 2: $(head -3 "$WORK/samp.fields")"
awk -F'\t' '$1 == "256" && $2 ~ /^100(;100)*$/ && $3 ~ /^2(;2)*$/ { ok = 1 } END { exit !ok }' \
	"$WORK/samp.fields" || fail "data records lack interval 100, algorithm 2"
log "sampled $METERED of 200000; tshark sees interval 100, random, in options and data"

log "200,000 one-packet flows into nfcapd with its default socket buffer"
"$TRAFGEN" --out "$WORK/many.pcap" --flows 200000 --packets 200000 --rate 200000 --protos udp \
	--families 4
mkdir -p "$WORK/nf-many"
bg_ns a nfcapd -w "$WORK/nf-many" -p 4740 -b 127.0.0.1
NF=$LAST_PID
wait_for 5 udp_listening a 4740 || fail "nfcapd did not start"
in_ns a "$JFLOWD" -r "$WORK/many.pcap" -n ipfix://127.0.0.1:4740 --metrics-file "$WORK/many.prom" \
	-q || fail "jflowd -r exited $?"
settle a 4740
stop_pid "$NF"
nfdump -R "$WORK/nf-many" -I > "$WORK/many.stat"
grep -q "^Flows: 200000$" "$WORK/many.stat" && grep -q "^Packets: 200000$" "$WORK/many.stat" \
	|| fail "nfcapd got $(grep -E '^(Flows|Packets):' "$WORK/many.stat" | tr '\n' ' ')"
log "a collector that does not read"
bg_ns a /usr/bin/python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 4741))
time.sleep(60)'
DEAF=$LAST_PID
wait_for 5 udp_listening a 4741 || fail "deaf collector did not start"
START=$(date +%s)
rc=0
in_ns a timeout 20 "$JFLOWD" -r "$WORK/many.pcap" -n ipfix://127.0.0.1:4741 2>"$WORK/deaf.log" \
	|| rc=$?
[ "$rc" = 1 ] || fail "jflowd -r with a collector that does not read exited $rc, not 1 (loss)"
[ $(( $(date +%s) - START )) -le 8 ] || fail "waited too long on a collector that does not read"
[ "$(grep -c "does not read its socket" "$WORK/deaf.log")" = 1 ] \
	|| fail "expected one warning: $(cat "$WORK/deaf.log")"
grep -q "not delivered: [1-9][0-9]* flow records" "$WORK/deaf.log" \
	|| fail "what the collector could not take is not counted: $(cat "$WORK/deaf.log")"
stop_pid "$DEAF"

log "lengths: a capture cut by its snap length, an IP header that lies"
# Three IPv4 UDP frames: 1514 bytes on the wire kept to 64 (snap length):
# the IP length (1500) is the truth; 60 bytes claiming 65535: the frame
# (46) is, the packet flagged trimmed; an honest 60-byte frame (46).
/usr/bin/python3 - "$WORK/len.pcap" <<'PY'
import struct, sys
def frame(tot, size):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 1, 0, 64, 17, 0,
                     bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))
    udp = struct.pack("!HHHH", 1000, 2000, 8, 0)
    f = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + udp
    return f + b"\0" * (size - len(f))
with open(sys.argv[1], "wb") as out:
    out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 64, 1))
    for i, (tot, wire, kept) in enumerate([(1500, 1514, 64), (65535, 60, 60), (46, 60, 60)]):
        out.write(struct.pack("<IIII", 1700000000 + i, 0, kept, wire))
        out.write(frame(tot, wire)[:kept])
PY
udp_sink a 4742
in_ns a "$JFLOWD" -r "$WORK/len.pcap" -n ipfix://127.0.0.1:4742 --metrics-file "$WORK/len.prom" \
	-q || fail "jflowd -r (lengths) exited $?"
expect_eq "octets metered (1500 + 46 + 46)" "$(metric "$WORK/len.prom" jflowd_octets_metered_total)" 1592
expect_eq "packets trimmed" "$(metric "$WORK/len.prom" jflowd_packets_trimmed_total)" 1
expect_eq "octets claimed beyond the frame" "$(metric "$WORK/len.prom" jflowd_octets_trimmed_total)" \
	$((65535 - 46))
$METRICS_CHECK "$WORK/len.prom" --no-loss > /dev/null || fail "metrics invariant (lengths)"
log "ok"
