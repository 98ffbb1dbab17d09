#!/bin/bash
# Pins SNMP consistency: net-snmp's snmpd, run in the router's namespace
# beside jflowd, answers IF-MIB::ifName.N with the name jflowd announces
# for index N in its interface options (v9 and IPFIX), IF-MIB::ifDescr.N
# with the same name, a sensible IF-MIB::ifHighSpeed for each metered
# interface, and the flows carry only those indexes. (net-snmp keeps
# ifAlias in its own store, not the kernel's ifalias that jflowd exports as
# the description: logged, not compared; see README "Router".)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/router_lib.sh"
need_root
need_cmd nfcapd dumpcap tshark snmpd snmpget ping

CHECK="/usr/bin/python3 $SRC/tests/lib/cflow_check.py"
IFNAME=.1.3.6.1.2.1.31.1.1.1.1		# IF-MIB::ifName
IFALIAS=.1.3.6.1.2.1.31.1.1.1.18	# IF-MIB::ifAlias
IFDESCR=.1.3.6.1.2.1.2.2.1.2		# IF-MIB::ifDescr
IFHIGHSPEED=.1.3.6.1.2.1.31.1.1.1.15	# IF-MIB::ifHighSpeed (Mb/s)

router_topology
ip -n "$(ns r)" link set r0 alias "to the client LAN"
ip -n "$(ns r)" link set r1 alias "to the server"
cat > "$WORK/snmpd.conf" <<EOF2
agentAddress udp:127.0.0.1:1161
rocommunity public 127.0.0.1
EOF2
# -C: this file only; -f: foreground; -Lf: log to a file.
bg_ns r snmpd -f -C -c "$WORK/snmpd.conf" -Lf "$WORK/snmpd.log" -p "$WORK/snmpd.pid" \
	-I -smux,mteTrigger,mteTriggerConf
SNMPD=$LAST_PID
wait_for 10 udp_listening r 1161 || fail "snmpd did not start: $(cat "$WORK/snmpd.log")"
snmp() { in_ns r snmpget -v2c -c public -On -Oqv -r 2 -t 2 127.0.0.1:1161 "$1" | tr -d '"'; }

capture_start r "udp port 2055 or udp port 4739" "$WORK/export.pcapng"
# Listeners: an export to a collector on this host that is not there waits
# for it (docs/export.md).
udp_sink r 2055 4739
bg_ns r "$JFLOWD" -i r0 -i r1 -n v9://127.0.0.1:2055 -n ipfix://127.0.0.1:4739 -t idle=1 \
	--metrics-file "$WORK/m.prom" 2>"$WORK/jflowd.log"
JF=$LAST_PID
wait_for "$JF_START_S" test -s "$WORK/m.prom" || fail "jflowd did not start: $(cat "$WORK/jflowd.log")"
in_ns c ping -q -c 3 -i 0.2 10.2.0.2 >/dev/null || fail "ping through the router"
sleep 2.5
stop_jflowd "$JF" "$WORK/jflowd.log"
capture_stop

for p in 2055 4739; do
	$CHECK values "$WORK/export.pcapng" $p 513 cflow.inputint cflow.if_name cflow.if_descr \
		| sort -u > "$WORK/513.$p"
	[ "$(wc -l < "$WORK/513.$p")" = 2 ] || fail "port $p: not two announced interfaces: $(cat "$WORK/513.$p")"
	while IFS=$'\t' read -r idx name descr; do
		expect_eq "port $p: snmpd ifName.$idx" "$(snmp $IFNAME.$idx)" "$name"
		expect_eq "port $p: snmpd ifDescr.$idx" "$(snmp $IFDESCR.$idx)" "$name"
		log "port $p: jflowd's description of $idx: '$descr', snmpd's ifAlias: '$(snmp $IFALIAS.$idx)'"
		speed=$(snmp $IFHIGHSPEED.$idx)
		[ "$speed" -ge 10 ] 2>/dev/null || fail "ifHighSpeed.$idx '$speed' is not a speed"
		log "port $p: ifHighSpeed.$idx = $speed Mb/s"
	done < "$WORK/513.$p"
	# The flows' interfaces are announced ones.
	$CHECK values "$WORK/export.pcapng" $p 256 cflow.inputint cflow.outputint | tr '\t' '\n' \
		| sort -u > "$WORK/used.$p"
	cut -f1 "$WORK/513.$p" | sort -u > "$WORK/announced.$p"
	diff "$WORK/announced.$p" "$WORK/used.$p" || fail "port $p: flows use unannounced indexes"
done
stop_pid "$SNMPD"
log "ok"
