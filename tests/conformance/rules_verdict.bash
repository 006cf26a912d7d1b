# rules_verdict.bash - sourced by check_rules.sh and test_rules.sh (never run):
# the setup both share and the verdict on one case of
# ../shared/conformance/rules/expected/cases.tsv.
# A listed case must give the listed exit and must not equal promtool's
# answer (the list only shrinks); any other case must equal it.
passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
bad() { echo "not ok $1: $2"; failed=$((failed + 1)); }
declare -A known_rc # expected file -> exit flint must give
declare -A seen     # expected files run

# Sets TOOL, DIR, KNOWN (tests/conformance/<list>) and tmp (removed on exit),
# loads the list into known_rc; exits when flint or the data is missing.
rules_setup() { # list tmp-prefix
	TOOL=$BUILD/flinttool
	DIR=$SHARED/conformance/rules
	KNOWN=$FLINT_ROOT/tests/conformance/$1
	tmp=$(mktemp -d "/tmp/$2.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	[ -x "$TOOL" ] || { bad setup "$TOOL not built"; echo "$passed passed, $failed failed"; exit 1; }
	[ -f "$DIR/expected/cases.tsv" ] || { bad setup "$DIR/expected/cases.tsv missing"; echo "$passed passed, $failed failed"; exit 1; }
	local exp rc _reason
	while IFS=$'\x1f' read -r exp rc _reason; do
		case $exp in '' | '#'*) continue ;; esac
		known_rc[$exp]=$rc
	done < <(tr '\t' '\037' <"$KNOWN")
}

# Flint's merged output is in $tmp/out, promtool's expected text in $tmp/want.
rules_verdict() { # expected-file flint-exit promtool-exit
	local expected=$1 rc=$2 want_rc=$3 same=0
	[ "$rc" = "$want_rc" ] && cmp -s "$tmp/want" "$tmp/out" && same=1
	if [ -n "${known_rc[$expected]+x}" ]; then
		if [ "$same" = 1 ]; then
			bad "$expected" "listed in $(basename "$KNOWN") but now equals promtool 2.42: remove it from the list"
		elif [ "$rc" = "${known_rc[$expected]}" ]; then
			ok "$expected (known difference: exit $rc, 2.42 $want_rc)"
		else
			bad "$expected" "exit $rc, the list says ${known_rc[$expected]} (2.42: $want_rc): $(head -c 400 "$tmp/out")"
		fi
	elif [ "$same" = 1 ]; then
		ok "$expected (exit $rc)"
	else
		bad "$expected" "exit $rc (promtool $want_rc); diff: $(diff "$tmp/want" "$tmp/out" | head -8 | tr '\n' '|')"
	fi
}
