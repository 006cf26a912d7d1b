#!/usr/bin/env bash
# run_all.sh - runs every suite of `make test` and sums their counts.
# Suites: the unit runner; each fuzz target's replay over its corpus; every
# tests/conformance/*.sh and tests/e2e/*.sh. A suite prints its own
# `N passed, N failed` line; a suite that prints none, or reports `0 passed`,
# has tested nothing and counts as one failure, as does a non-zero exit.
# The last line is the total. BUILD and SHARED become absolute paths
# (tests/paths.bash): suites cd into their temporary directories.
set -u
. "$(dirname "$0")/paths.bash"
cd "$FLINT_ROOT"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0
log=$(mktemp -d /tmp/flint-test.XXXXXX)
trap 'rm -rf "$log"' EXIT

suite() { # name command...
	local name=$1; shift
	local out="$log/$(echo "$name" | tr '/ ' '__').out"
	echo "== $name"
	"$@" >"$out" 2>&1
	local rc=$?
	grep -E '^(FAIL|not ok)' "$out" | head -50
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -n "$line" ]; then
		local p f
		p=$(echo "$line" | awk '{print $1}')
		f=$(echo "$line" | awk '{print $3}')
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
		if [ "$p" = 0 ] && [ "$f" = 0 ]; then f=1; line="$line (nothing tested)"; fi
		passed=$((passed + p)); failed=$((failed + f))
		echo "   $line"
	else
		failed=$((failed + 1)); echo "   FAIL (exit $rc, no \`N passed, N failed\` line)"; tail -n 30 "$out" | sed 's/^/   | /'
	fi
	if [ "$rc" != 0 ]; then tail -n 15 "$out" | sed 's/^/   | /'; fi
}

suite unit "$BUILD/unit"
for f in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	t=$(basename "$f")
	suite "fuzz-replay $t" "$f" "tests/fuzz/corpus/$t"
done
for s in tests/conformance/*.sh tests/e2e/*.sh; do
	[ -f "$s" ] || continue
	suite "$s" bash "$s"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
