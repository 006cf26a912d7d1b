# paths.bash - sourced first by every test and bench script (never run).
# Resolves BUILD and SHARED once, to absolute paths, so a script may `cd`
# anywhere (into its temporary directory, say) and still find them.
# Relative values are taken from the repository root, not from the current
# directory: `SHARED=../shared` means the folder beside the clone wherever
# the script is started from. The caller sets BUILD's default before
# sourcing (build/asan for tests, build/rel for benchmarks).
# A missing SHARED is an error, never a silent skip.
FLINT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fl_abspath() { # PATH -> absolute, relative to the repository root
	case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$FLINT_ROOT/$1" ;; esac
}
BUILD=$(fl_abspath "${BUILD:-build/asan}")
SHARED=${SHARED:-../shared}
if ! SHARED=$(cd "$(fl_abspath "$SHARED")" 2>/dev/null && pwd); then
	echo "FAIL setup: the shared test data (${SHARED}) is not there; put it beside the clone or set SHARED"
	echo "0 passed, 1 failed"
	exit 1
fi
export BUILD SHARED FLINT_SHARED=$SHARED
