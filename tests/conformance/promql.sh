#!/usr/bin/env bash
# promql.sh - upstream's PromQL test scripts (../shared/conformance/promql,
# Prometheus v3.14) run unchanged by `flinttool test promql` on a bare head.
# Evals on tests/conformance/promql-known-failures.txt (each with a reason)
# count as known; any other failure fails the suite. Prints flinttool's
# `N passed, N failed, N known` line, then `P passed, F failed` for run_all.
set -u
. "$(dirname "$0")/../paths.bash"
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp /tmp/flint-promql.XXXXXX)
trap 'rm -f "$out"' EXIT
"$BUILD/flinttool" test promql --known="$here/promql-known-failures.txt" "$SHARED"/conformance/promql/*.test >"$out" 2>&1
rc=$?
grep -v '^[0-9]* passed, [0-9]* failed' "$out"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ known$' "$out" | tail -n 1)
if [ -z "$line" ]; then
	echo "promql: no summary line (exit $rc)"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "$line"
p=$(echo "$line" | awk '{print $1}')
f=$(echo "$line" | awk '{print $3}')
if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
# Without --known, flinttool finds the checked-in list itself (from the
# repository root and from anywhere, through its own path).
want=$("$BUILD/flinttool" test promql --known="$here/promql-known-failures.txt" "$SHARED"/conformance/promql/limit.test 2>/dev/null | tail -n 1)
abs_build=$(cd "$BUILD" && pwd)
abs_shared=$(cd "$SHARED" && pwd)
for dir in "$here/../.." /; do
	got=$(cd "$dir" && "$abs_build/flinttool" test promql "$abs_shared"/conformance/promql/limit.test 2>/dev/null | tail -n 1)
	if [ "$got" = "$want" ]; then p=$((p + 1)); else f=$((f + 1)); echo "not ok default known list from $dir: '$got' want '$want'"; fi
done
echo "$p passed, $f failed"
[ "$f" = 0 ] && [ "$rc" = 0 ]
