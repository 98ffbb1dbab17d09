#!/bin/bash
# Pins jflowd --check-config: a good file exits 0 and prints its monitors,
# their interfaces and the templates they will send; each class of error
# (syntax, unknown name, what a monitor cannot know, what v5 cannot carry,
# a filter libpcap cannot compile)
# exits 2 with "FILE:LINE: what is wrong" and nothing attached; every
# example of jflowd.conf(5) is a good file.
. "$(dirname "$0")/lib.sh"

cat > "$WORK/good.conf" <<'EOF'
interface = lo
collector = v9://127.0.0.1:2055
route-lookup = off
[exporter capacity]
collector = ipfix://127.0.0.1:4739
[record hosts]
key = sourceIPv4Address/24, destinationIPv4Address/24, protocolIdentifier
key = sourceIPv6Address/48, destinationIPv6Address/48
fields = octetDeltaCount, packetDeltaCount, flowStartMilliseconds, flowEndMilliseconds
[monitor hosts]
record = hosts
exporter = capacity
interface = lo
EOF
rc=0
"$JFLOWD" --check-config -c "$WORK/good.conf" > "$WORK/good.out" 2> "$WORK/good.err" || rc=$?
expect_eq "good file: exit status" "$rc" 0
grep -q "^monitor default: record default, observation domain 1" "$WORK/good.out" ||
	fail "no default monitor in: $(cat "$WORK/good.out")"
grep -q "^monitor hosts: record hosts, observation domain 2" "$WORK/good.out" ||
	fail "no hosts monitor in: $(cat "$WORK/good.out")"
grep -q "template 256, IPFIX IPv4, 41 bytes: sourceIPv4Address(8)/4, destinationIPv4Address(12)/4, protocolIdentifier(4)/1, octetDeltaCount(1)/8" \
	"$WORK/good.out" || fail "hosts' IPv4 template missing: $(cat "$WORK/good.out")"
grep -q "template 256, v9 IPv4, 77 bytes: sourceIPv4Address(8)/4" "$WORK/good.out" ||
	fail "default's v9 template missing"
grep -q "configuration OK" "$WORK/good.out" || fail "no verdict"
[ -s "$WORK/good.err" ] && fail "good file: stderr: $(cat "$WORK/good.err")"

# The command line alone is checked the same way.
rc=0
"$JFLOWD" --check-config -i lo -n ipfix://127.0.0.1 -s 100 > "$WORK/cli.out" 2>&1 || rc=$?
expect_eq "command line: exit status" "$rc" 0
grep -q "samplingInterval(34)/4" "$WORK/cli.out" || fail "sampling not in the templates"

# bad NAME LINE WANT: a copy of good.conf changed by the rest of the
# lines on stdin; exit 2, "good-NAME.conf:LINE: ...WANT" on stderr.
bad() {
	local name=$1 line=$2 want=$3 rc=0
	cat "$WORK/good.conf" - > "$WORK/bad-$name.conf"
	timeout 10 "$JFLOWD" --check-config -c "$WORK/bad-$name.conf" > "$WORK/bad.out" \
		2> "$WORK/bad.err" || rc=$?
	expect_eq "$name: exit status" "$rc" 2
	grep -qF "bad-$name.conf:$line: " "$WORK/bad.err" ||
		fail "$name: no FILE:LINE $line in: $(cat "$WORK/bad.err")"
	grep -qF "$want" "$WORK/bad.err" || fail "$name: '$want' not in: $(cat "$WORK/bad.err")"
	[ "$(wc -l < "$WORK/bad.err")" = 1 ] || fail "$name: more than one line: $(cat "$WORK/bad.err")"
	log "$name: $(cat "$WORK/bad.err")"
}
printf '[monitor x]\nrecord = hots\nexporter = capacity\ninterface = lo\n' |
	bad name 15 "no record named hots"
printf '[record r]\nkey = sourceIPv4Adress\n' |
	bad element 15 "did you mean 'sourceIPv4Address'"
printf '[record r]\nkey = sourceIPv4Address\nfields = octetDeltaCount, ipNextHopIPv4Address\n[monitor r]\nrecord = r\nexporter = capacity\ninterface = lo\n' |
	bad need 16 "ipNextHopIPv4Address needs router mode"
printf '[exporter old]\ncollector = v5://127.0.0.1\n[monitor j]\nrecord = juniper\nexporter = old\ninterface = lo\n' |
	bad v5 14 "v5 cannot carry record juniper: it has no field for vlanId"
printf 'sample = 0\n' | bad syntax 14 "sampling rate '0'"
printf '[monitor d2]\nexporter = capacity\ninterface = lo\nobservation-domain = 1\n' |
	bad domain 14 "monitors default and d2 share observation domain 1"
for i in 1 2 3 4 5 6 7; do
	printf '[monitor m%d]\nexporter = capacity\ninterface = lo\n' "$i"
done | bad per-interface 32 "monitor m7: more than 8 monitors on lo:in"
printf '[monitor e]\ninterface = lo\n' | bad no-exporter 14 "monitor e has no exporter"
printf '[monitor f]\nexporter = capacity\ninterface = lo\nfilter = tcp and nonsense\n' |
	bad filter 17 "monitor f: filter 'tcp and nonsense': syntax error"

# The examples of jflowd.conf(5), each a good file.
n=$(/usr/bin/python3 - "$SRC/dist/man/jflowd.conf.5.in" "$WORK" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
ex = s[s.index(".SH EXAMPLES"):s.index(".SH SEE ALSO")]
blocks = re.findall(r"^\.nf\n(.*?)^\.fi\n", ex, re.S | re.M)
assert len(blocks) >= 4, f"{len(blocks)} examples"
for i, b in enumerate(blocks):
    # A list the page breaks over lines is one line in the file.
    b = re.sub(r",\n\s+", ", ", b.replace("\\-", "-"))
    open(f"{sys.argv[2]}/example{i}.conf", "w").write(b)
print(len(blocks))
PY
)
for i in $(seq 0 $((n - 1))); do
	rc=0
	"$JFLOWD" --check-config -c "$WORK/example$i.conf" > "$WORK/ex.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || fail "jflowd.conf(5) example $i: exit $rc: $(tail -3 "$WORK/ex.out")"
	log "jflowd.conf(5) example $i: $(grep -c '^monitor ' "$WORK/ex.out") monitors," \
		"$(grep -c 'template 2' "$WORK/ex.out") templates"
done
grep -q "^monitor capacity: record hosts, observation domain 2" <("$JFLOWD" --check-config \
	-c "$WORK/example1.conf") || fail "example 1: no capacity monitor in domain 2"
log "ok"
