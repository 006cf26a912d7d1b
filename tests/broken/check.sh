#!/usr/bin/env bash
# check.sh - the end-to-end suites must fail against a broken server, never
# skip or pass. Runs every tests/e2e/*.sh with BUILD pointing at a copy of
# the build whose `flint` is fake_flint.py (ready, then 500 for every
# request) and counts a suite as passed here when it exits non-zero with at
# least one FAIL line. Not part of `make test` (it takes minutes: the suites
# wait out their bounded timeouts); run it by hand after changing a suite:
#   bash tests/broken/check.sh
set -u
. "$(dirname "$0")/../paths.bash"
fake=$(mktemp -d /tmp/flint-broken.XXXXXX)
trap 'rm -rf "$fake"' EXIT
for f in "$BUILD"/*; do ln -s "$f" "$fake/$(basename "$f")"; done
rm -f "$fake/flint"
printf '#!/bin/sh\nexec /usr/bin/python3 %s "$@"\n' "$FLINT_ROOT/tests/broken/fake_flint.py" >"$fake/flint"
chmod +x "$fake/flint"
passed=0 failed=0
for s in "$FLINT_ROOT"/tests/e2e/*.sh; do
	out=$(BUILD=$fake bash "$s" 2>&1)
	rc=$?
	tally=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	nfail=$(echo "$out" | grep -c '^FAIL')
	if [ "$rc" != 0 ] && [ "$nfail" -gt 0 ]; then
		passed=$((passed + 1)); echo "ok $(basename "$s") fails against a broken server: exit $rc, $tally"
	else
		failed=$((failed + 1)); echo "FAIL $(basename "$s") did not fail: exit $rc, $tally"
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
