#!/bin/bash
# Run one libFuzzer target for a bounded time over the corpus kept in the
# repo (read-only), with new inputs going to a scratch directory.
# Usage: run.sh FUZZER CORPUS_DIR SECONDS
# libFuzzer exits 77 on a finding by default, which meson reads as a skip:
# every finding exits 1 here, and any artifact it wrote (crash, leak,
# timeout, out-of-memory, slow unit) fails the run whatever the exit code.
set -eu
fuzzer=$1 corpus=$2 secs=$3
work=$(mktemp -d /tmp/jflowd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$fuzzer" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-artifact_prefix="$work/" "$work" "$corpus" 2>&1 | tail -25
rc=${PIPESTATUS[0]}
found=()
for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
	[ -e "$f" ] && found+=("$f")
done
if [ ${#found[@]} -gt 0 ]; then
	echo "FAIL: fuzzer found a problem (exit $rc); inputs:"
	for f in "${found[@]}"; do
		echo "$f"
		od -An -tx1 "$f" | head -5
	done
	exit 1
fi
if [ "$rc" != 0 ]; then
	echo "FAIL: fuzzer exited $rc"
	exit 1
fi
