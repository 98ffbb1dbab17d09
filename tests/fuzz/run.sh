#!/bin/bash
# Run one libFuzzer target for a bounded time over the corpus kept in the
# repo (read-only), with new inputs going to a scratch directory.
# Usage: run.sh FUZZER CORPUS_DIR SECONDS
set -eu
fuzzer=$1 corpus=$2 secs=$3
work=$(mktemp -d /tmp/jflowd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$fuzzer" -max_total_time="$secs" -print_final_stats=1 -rss_limit_mb=2048 \
	-artifact_prefix="$work/" "$work" "$corpus" 2>&1 | tail -25
rc=${PIPESTATUS[0]}
if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >/dev/null 2>&1; then
	echo "FAIL: fuzzer found a problem; inputs:"
	for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
		[ -e "$f" ] && { echo "$f"; od -An -tx1 "$f" | head -5; }
	done
	exit 1
fi
exit "$rc"
