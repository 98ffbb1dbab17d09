#!/bin/bash
# Pins (fault: a hostile metrics directory): a symlink planted at the
# metrics file or at the temporary name the old code used (PATH.tmp.PID)
# is never written through; the metrics still arrive, as a regular file.
# The metrics file (and its temporary) is every file jflowd writes.
. "$(dirname "$0")/lib.sh"
need_root

netns_pair tx rx
mkdir -p "$WORK/dir"
printf 'secret-a\n' > "$WORK/secret-a"
printf 'secret-b\n' > "$WORK/secret-b"
chmod 600 "$WORK/secret-a" "$WORK/secret-b"
M="$WORK/dir/jflowd.prom"
ln -s "$WORK/secret-a" "$M"

bg_ns rx "$JFLOWD" -i veth0 -n v9://127.0.0.1:2055 --metrics-file "$M" 2> "$WORK/jflowd.log"
JF=$LAST_PID
# What a non-root owner of the directory plants once the pid is known.
ln -s "$WORK/secret-b" "$M.tmp.$JF"
# jflowd's first write: a regular file at $M, or (the fault) through a link.
wait_for "$JF_START_S" sh -c "test -f '$M' && ! test -L '$M' ||
	! grep -qx secret-a '$WORK/secret-a' || ! grep -qx secret-b '$WORK/secret-b'" ||
	fail "jflowd wrote no metrics file: $(ls -l "$WORK/dir"; cat "$WORK/jflowd.log")"
[ -L "$M" ] && fail "metrics file not written as a regular file: $(ls -l "$WORK/dir")"
sleep 2.5
stop_jflowd "$JF" "$WORK/jflowd.log"
expect_eq "file behind the symlink at the metrics path" "$(cat "$WORK/secret-a")" secret-a
expect_eq "file behind the symlink at PATH.tmp.PID" "$(cat "$WORK/secret-b")" secret-b
grep -q '^jflowd_uptime_seconds' "$M" || fail "metrics file has no metrics"
expect_eq "metrics file mode" "$(stat -c %a "$M")" 644
# Nothing left behind but the metrics and the planted link.
expect_eq "files in the directory" "$(ls "$WORK/dir" | wc -l)" 2
log "ok: no planted symlink was followed"
