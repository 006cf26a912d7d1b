#!/usr/bin/env bash
# tsdb_dump.sh - `flinttool tsdb dump` of the golden directories written by
# real Prometheus (../shared/conformance/tsdb, see its README.md) must equal
# promtool's dump, expected-dump.txt, after `LC_ALL=C sort`.
# Each case dumps a fresh copy (a dump may write into the directory).
# One pass/fail per directory; last line `N passed, N failed`.
set -u
BUILD=${BUILD:-build/asan}
SHARED=${SHARED:-../shared}
G=$SHARED/conformance/tsdb
TOOL=$BUILD/flinttool
tmp=$(mktemp -d /tmp/flint-dump.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# case NAME SRC_DIR EXPECTED [empty-wal]
case_dir() {
	local name=$1 src=$2 want=$3 extra=${4:-}
	local copy="$tmp/$name"
	rm -rf "$copy"
	cp -r "$src" "$copy"
	[ "$extra" = empty-wal ] && mkdir -p "$copy/wal"
	if "$TOOL" tsdb dump "$copy" 2>"$tmp/$name.err" | LC_ALL=C sort >"$tmp/$name.out" &&
		[ "${PIPESTATUS[0]}" = 0 ] && cmp -s "$tmp/$name.out" "$want"; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "not ok $name: dump differs from $want ($(wc -l <"$tmp/$name.out") lines, want $(wc -l <"$want"))"
		diff "$want" "$tmp/$name.out" | head -5
		tail -n 5 "$tmp/$name.err"
		failed=$((failed + 1))
	fi
	rm -rf "$copy"
}

case_dir wal-remote-write-data "$G/wal-remote-write/data" "$G/wal-remote-write/expected-dump.txt"
case_dir wal-remote-write-data-sigterm "$G/wal-remote-write/data-sigterm" "$G/wal-remote-write/expected-dump.txt"
case_dir wal-with-checkpoint-data "$G/wal-with-checkpoint/data" "$G/wal-with-checkpoint/expected-dump.txt"
case_dir wal-with-checkpoint-data-sigterm "$G/wal-with-checkpoint/data-sigterm" "$G/wal-with-checkpoint/expected-dump.txt"
case_dir wal-checkpoint-restarts-data "$G/wal-checkpoint-restarts/data" "$G/wal-checkpoint-restarts/expected-dump.txt"
case_dir block-openmetrics-blocks "$G/block-openmetrics/blocks" "$G/block-openmetrics/expected-dump.txt" empty-wal
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
