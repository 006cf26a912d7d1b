#!/usr/bin/env bash
# check_config.sh - `flinttool check config` against Debian's promtool 2.42
# on the files in tests/data/config/ (issue 16): both get the same verdict
# (exit status) unless the file says why they may not:
#   valid_*, invalid_*   same exit status; for invalid files, promtool's
#                        reason (what follows "parsing YAML file F: ") is in
#                        flint's FAILED line too, unless it is a go-yaml
#                        decoder message or listed in OWN_WORDS below
#   refused_*            flint refuses (exit 1, "is not supported by flint");
#                        promtool may accept (it has the mechanism, or
#                        Debian stripped it: then both refuse)
#   v3_*                 2.42 and 3.x disagree; flint gives 3.x's verdict,
#                        written on the file's first line
# Then stdout of several files in one run, and --syntax-only, must equal
# promtool's byte for byte. One line per case; last line `N passed, N failed`.
set -u
. "$(dirname "$0")/../paths.bash"
TOOL=$BUILD/flinttool
DATA=$FLINT_ROOT/tests/data/config
tmp=$(mktemp -d /tmp/flint-checkcfg.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
bad() { echo "not ok $1: $2"; failed=$((failed + 1)); }
command -v promtool >/dev/null || { bad setup "promtool not installed (tests/deps.sh installs prometheus)"; echo "$passed passed, $failed failed"; exit 1; }

# Messages worded differently on purpose: the regexp anchoring 2.42 prints
# (^(?:...)$, 3.x prints ^(?s:...)$) and Go's JSON decoder's words.
# invalid_oauth2_secret_and_file.yml: 3.x names client_secret_ref and the grant type.
OWN_WORDS="invalid_relabel_regex.yml invalid_bad_sd_file.yml invalid_oauth2_secret_and_file.yml"

cd "$DATA" || exit 1
for f in *.yml; do
	promtool check config "$f" >"$tmp/p.out" 2>"$tmp/p.err"
	p=$?
	"$TOOL" check config "$f" >"$tmp/f.out" 2>"$tmp/f.err"
	fl=$?
	case $f in
	valid_* | invalid_*)
		if [ "$p" != "$fl" ]; then
			bad "$f" "exit status $fl, promtool $p: $(head -c 300 "$tmp/f.err")"
			continue
		fi
		want=$(grep -m1 '  FAILED: ' "$tmp/p.err" | sed 's/^  FAILED: //; s/^parsing YAML file [^:]*: //')
		if [ -n "$want" ] && [ "${want#yaml:}" = "$want" ] && [[ " $OWN_WORDS " != *" $f "* ]] &&
			! grep -qF -- "$want" "$tmp/f.err"; then
			bad "$f" "flint's error lacks promtool's reason '$want': $(head -c 300 "$tmp/f.err")"
			continue
		fi
		ok "$f (exit $fl)"
		;;
	refused_*)
		if [ "$fl" = 1 ] && grep -q 'is not supported by flint' "$tmp/f.err"; then
			ok "$f (flint refuses; promtool exit $p)"
		else
			bad "$f" "flint exit $fl: $(head -c 300 "$tmp/f.err")"
		fi
		;;
	v3_*)
		want=1
		grep -q '3.x and flint accept' "$f" && want=0
		if [ "$fl" = "$want" ] && [ "$p" != "$want" ]; then
			ok "$f (3.x verdict $want, 2.42 $p)"
		else
			bad "$f" "flint exit $fl, want $want (promtool 2.42: $p): $(head -c 300 "$tmp/f.err")"
		fi
		;;
	esac
done

# byte-for-byte stdout: several files in one run, rule files checked
same_stdout() {
	local name=$1
	shift
	promtool check config "$@" >"$tmp/p.out" 2>/dev/null
	local p=$?
	"$TOOL" check config "$@" >"$tmp/f.out" 2>/dev/null
	local fl=$?
	if [ "$p" = "$fl" ] && cmp -s "$tmp/p.out" "$tmp/f.out"; then
		ok "$name"
	else
		bad "$name" "exit $fl (promtool $p); stdout differs: $(diff "$tmp/p.out" "$tmp/f.out" | head -5 | tr '\n' '|')"
	fi
}
same_stdout stdout-several-files valid_full.yml valid_minimal.yml valid_empty.yml
same_stdout stdout-with-a-failure valid_minimal.yml invalid_duplicate_job.yml valid_empty.yml
same_stdout stdout-syntax-only --syntax-only valid_full.yml invalid_missing_rule_file.yml

# a file that does not exist is a usage error before any output
"$TOOL" check config valid_minimal.yml no-such.yml >"$tmp/f.out" 2>"$tmp/f.err"
fl=$?
if [ "$fl" = 1 ] && [ ! -s "$tmp/f.out" ] && grep -q "path 'no-such.yml' does not exist" "$tmp/f.err"; then
	ok missing-file-usage-error
else
	bad missing-file-usage-error "exit $fl: $(cat "$tmp/f.out" "$tmp/f.err" | head -c 300)"
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
