#!/usr/bin/env bash
# check_rules.sh - `flinttool check rules` against Debian's promtool 2.42 on
# every rule-file case of ../shared/conformance/rules/expected/cases.tsv
# (8 mixins, 112 awesome-prometheus-alerts files, upstream's rule files and
# rulefmt fixtures, the authored files, and the flag/stdin/several-file
# variants). For each case flint runs as promtool ran (same cwd, args and
# stdin); its exit status and its stdout+stderr (in order, "promtool:" read
# as "flinttool:") must equal promtool's.
#
# One normalisation, everywhere: 2.42 prints a blank line after a file's
# errors and 3.x does not (checkRules `continue`s past its fmt.Println), so
# that blank line is dropped from promtool's text before comparing (a lint
# failure keeps its blank line in both versions).
#
# Exceptions are the cases listed in check_rules-known-differences.tsv, where
# 2.42 and 3.x disagree (flint follows 3.x) or flint differs on purpose: such
# a case must give the listed exit status; its text is not compared. The list
# can only shrink: a listed case whose output now equals 2.42's is a failure
# (remove it from the list), as is a listed case that is not in cases.tsv.
# Then a few command-line cases against the live promtool (Debian's 2.42):
# usage errors before any output, exit codes of errors and fatal lints mixed
# over several files; and 3.x's wording for an unknown --lint option.
# One line per case; last line `N passed, N failed`.
set -u
. "$(dirname "$0")/../paths.bash"
TOOL=$BUILD/flinttool
DIR=$SHARED/conformance/rules
KNOWN=$FLINT_ROOT/tests/conformance/check_rules-known-differences.tsv
tmp=$(mktemp -d /tmp/flint-checkrules.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
bad() { echo "not ok $1: $2"; failed=$((failed + 1)); }
[ -x "$TOOL" ] || { bad setup "$TOOL not built"; echo "$passed passed, $failed failed"; exit 1; }
[ -f "$DIR/expected/cases.tsv" ] || { bad setup "$DIR/expected/cases.tsv missing"; echo "$passed passed, $failed failed"; exit 1; }

# 2.42's blank line after a failed file's errors is not 3.x's and "promtool:" reads "flinttool:"
norm() { sed 's/^promtool: /flinttool: /' | awk '
	/^Checking / { err = 0 }
	/^  FAILED:$/ { err = 1; print; getline nx; if (nx ~ /^lint error /) err = 0; print nx; next }
	err && $0 == "" { err = 0; next }
	{ print }'; }

declare -A known_rc
while IFS=$'\x1f' read -r exp rc _reason; do
	case $exp in '' | '#'*) continue ;; esac
	known_rc[$exp]=$rc
done < <(tr '\t' '\037' <"$KNOWN")
declare -A seen

# tabs as \x1f so that empty fields survive `read`
while IFS=$'\x1f' read -r kind cwd args stdin expected; do
	[ "$kind" = check ] || continue
	seen[$expected]=1
	# shellcheck disable=SC2086 # args are split on spaces, as the README says
	if [ -n "$stdin" ]; then
		(cd "$DIR/$cwd" && "$TOOL" $args <"$stdin") >"$tmp/out" 2>&1
	else
		(cd "$DIR/$cwd" && "$TOOL" $args </dev/null) >"$tmp/out" 2>&1
	fi
	rc=$?
	want_rc=$(head -n 1 "$DIR/$expected")
	tail -n +2 "$DIR/$expected" | norm >"$tmp/want"
	same=0
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
done < <(tr '\t' '\037' <"$DIR/expected/cases.tsv")

live() { # name args...: same exit status and merged output as promtool
	local name=$1
	shift
	if ! command -v promtool >/dev/null; then
		bad "$name" "promtool not installed (tests/deps.sh installs prometheus)"
		return
	fi
	(cd "$DIR" && promtool "$@") 2>&1 | norm >"$tmp/want"
	local p=${PIPESTATUS[0]}
	(cd "$DIR" && "$TOOL" "$@") >"$tmp/out" 2>&1
	local fl=$?
	if [ "$p" = "$fl" ] && cmp -s "$tmp/want" "$tmp/out"; then
		ok "$name (exit $fl)"
	else
		bad "$name" "exit $fl (promtool $p): $(diff "$tmp/want" "$tmp/out" | head -6 | tr '\n' '|')"
	fi
}
live missing-file-usage-error check rules upstream/promtool/rules.yml nosuch.yml
live directory-usage-error check rules upstream
live lint-fatal-then-error check rules --lint-fatal upstream/promtool/rules_duplicates.yml upstream/promtool/rules-bad.yml
live lint-all-fatal-then-good check rules --lint=all --lint-fatal upstream/promtool/rules_duplicates.yml upstream/promtool/rules.yml
live lint-none-then-flags-after-files check rules upstream/promtool/rules_duplicates.yml --lint=none
(cd "$DIR" && "$TOOL" check rules --lint=bogus,duplicate-rules upstream/promtool/rules_duplicates.yml) >"$tmp/out" 2>&1
fl=$?
if [ "$fl" = 0 ] && [ "$(head -n 1 "$tmp/out")" = 'WARNING: unknown lint option: "bogus"' ] && grep -q '^lint error 1 duplicate' "$tmp/out"; then
	ok "unknown-lint-option-3x-wording"
else
	bad "unknown-lint-option-3x-wording" "exit $fl: $(head -c 300 "$tmp/out")"
fi

for exp in "${!known_rc[@]}"; do
	[ -n "${seen[$exp]+x}" ] || bad "$exp" "listed in $(basename "$KNOWN") but not a check case of cases.tsv"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
