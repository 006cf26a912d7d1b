#!/usr/bin/env bash
# run.sh - `make bench`: runs every $BUILD/bench/bench_* binary in turn, then
# every bench/*.sh but this one. Each prints its own figures. Exits non-zero
# if any of them failed, after running them all.
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
rc=0
for b in "$BUILD"/bench/bench_*; do
	case $(basename "$b") in *.*) continue ;; esac
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" || { echo "   FAIL (exit $?)"; rc=1; }
done
for s in bench/*.sh; do
	[ "$(basename "$s")" = run.sh ] && continue
	[ -f "$s" ] || continue
	echo "== $s"
	bash "$s" || { echo "   FAIL (exit $?)"; rc=1; }
done
exit $rc
