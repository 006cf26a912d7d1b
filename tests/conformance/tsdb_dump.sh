#!/usr/bin/env bash
# tsdb_dump.sh - `flinttool tsdb dump` of the golden directories written by
# real Prometheus (../shared/conformance/tsdb, see its README.md) must equal
# promtool's dump, expected-dump.txt, after `LC_ALL=C sort`.
# Each case dumps a fresh copy (a dump may write into the directory).
# One pass/fail per directory; last line `N passed, N failed`.
set -u
. "$(dirname "$0")/../paths.bash"
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
# Flags, with promtool itself as the oracle (same copy layout, same flags).
# flags NAME SRC [ARGS...]
flags() {
	local name=$1 src=$2
	shift 2
	if ! command -v promtool >/dev/null 2>&1; then
		echo "skip $name: no promtool"
		return
	fi
	rm -rf "$tmp/p" "$tmp/f"
	cp -r "$src" "$tmp/p"
	mkdir -p "$tmp/p/wal"
	cp -r "$tmp/p" "$tmp/f"
	promtool tsdb dump "$@" "$tmp/p" 2>/dev/null | LC_ALL=C sort >"$tmp/want"
	if "$TOOL" tsdb dump "$@" "$tmp/f" 2>"$tmp/$name.err" | LC_ALL=C sort >"$tmp/got" &&
		[ "${PIPESTATUS[0]}" = 0 ] && [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got"; then
		echo "ok $name ($(wc -l <"$tmp/got") lines)"
		passed=$((passed + 1))
	else
		echo "not ok $name: differs from promtool ($(wc -l <"$tmp/got") lines, want $(wc -l <"$tmp/want"))"
		diff "$tmp/want" "$tmp/got" | head -5
		tail -n 5 "$tmp/$name.err"
		failed=$((failed + 1))
	fi
	rm -rf "$tmp/p" "$tmp/f"
}
B=$G/block-openmetrics/blocks
flags time-range "$B" --min-time=1700000000000 --max-time=1700000300000
flags match-regex "$B" '--match={__name__=~"label_edge.*",city!=""}'
flags match-and-range "$B" --min-time=1700006000000 --max-time=1700007000000 '--match={job=~".+"}'
flags match-ne-across-blocks-and-wal "$G/wal-with-checkpoint/data" '--match={__name__!="nope",shard="3"}' --min-time=1795470000000

# Usage errors and bad input exit 1 with one line (promtool's message, e.g.
# "opening the db dir: stat X: no such file or directory").
usage() {
	local name=$1
	shift
	if "$TOOL" "$@" >/dev/null 2>"$tmp/err"; then
		echo "not ok $name: exit 0"
		failed=$((failed + 1))
	elif [ "$?" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ]; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "not ok $name: $(cat "$tmp/err")"
		failed=$((failed + 1))
	fi
}
usage bad-match tsdb dump '--match=up{' "$B"
usage bad-time tsdb dump --min-time=abc "$B"
usage missing-dir tsdb dump "$tmp/nope"
usage unknown-subcommand tsdb dmp "$B"
usage unknown-flag tsdb dump --frobnicate "$B"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
