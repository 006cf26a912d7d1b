#!/usr/bin/env bash
# openmetrics.sh - the upstream OpenMetrics parser suite
# (../shared/conformance/openmetrics: 211 cases, 44 that must parse and 167
# that must be refused, each a folder with `metrics` and `test.json`) through
# `flinttool check metrics --format=openmetrics --lint=none`: a case passes
# when the exit status is 0 for shouldParse and 1 (with an "error: line N:"
# message) for the rest. Prints `not ok CASE ...` for each miss, then
# `N passed, N failed`.
set -u
. "$(dirname "$0")/../paths.bash"
dir="$SHARED/conformance/openmetrics"
p=0 f=0
for c in "$dir"/*/; do
	c=${c%/}
	name=$(basename "$c")
	[ -f "$c/test.json" ] || continue
	if grep -q '"shouldParse": *true' "$c/test.json"; then want=0; else want=1; fi
	msg=$("$BUILD/flinttool" check metrics --format=openmetrics --lint=none <"$c/metrics" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && { [ "$want" = 0 ] || echo "$msg" | grep -q '^error: line [0-9]*: '; }; then
		p=$((p + 1))
	else
		f=$((f + 1))
		echo "not ok $name: exit $rc, want $want: $msg"
	fi
done
[ $((p + f)) = 211 ] || { echo "not ok: $((p + f)) cases, want 211"; f=$((f + 1)); }
echo "$p passed, $f failed"
[ "$f" = 0 ]
