#!/usr/bin/env bash
# test_rules.sh - `flinttool test rules` against Debian's promtool 2.42 on
# every unit-test case of ../shared/conformance/rules/expected/cases.tsv
# (upstream's cmd/promtool/testdata unit tests, the authored template and
# alert-state tests, and the --run / --ignore-unknown-fields / several-file
# variants). flint runs as promtool ran (same cwd and args); its exit status
# and its stdout+stderr (in order) must equal promtool's.
#
# Exceptions are the cases listed in test_rules-known-differences.tsv (3.x
# semantics flint follows, or a difference flint has not closed): such a case
# must give the listed exit status; its text is not compared. The list can
# only shrink: a listed case whose output now equals 2.42's is a failure, as
# is a listed case that is not in cases.tsv.
# Then a few checks of the 3.x behaviour itself (what the list only exits on),
# and authored unit tests run live by Debian's promtool 2.42 and by flint.
# One line per case; last line `N passed, N failed`.
set -u
. "$(dirname "$0")/../paths.bash"
. "$(dirname "$0")/rules_verdict.bash"
rules_setup test_rules-known-differences.tsv flint-testrules


# tabs as \x1f so that empty fields survive `read`
while IFS=$'\x1f' read -r kind cwd args _stdin expected; do
	[ "$kind" = test ] || continue
	seen[$expected]=1
	# shellcheck disable=SC2086 # args are split on spaces, as the README says
	(cd "$DIR/$cwd" && timeout 300 "$TOOL" $args </dev/null) >"$tmp/out" 2>&1
	rc=$?
	want_rc=$(head -n 1 "$DIR/$expected")
	tail -n +2 "$DIR/$expected" >"$tmp/want"
	rules_verdict "$expected" "$rc" "$want_rc"
done < <(tr '\t' '\037' <"$DIR/expected/cases.tsv")

for exp in "${!known_rc[@]}"; do
	[ -n "${seen[$exp]+x}" ] || bad "$exp" "listed in $(basename "$KNOWN") but not a test case of cases.tsv"
done

# 3.x behaviour: exact text where the list only pins the exit status
expect() { # name want-exit want-output cwd args...
	local name=$1 want_rc=$2 want=$3 cwd=$4
	shift 4
	case $cwd in /*) ;; *) cwd=$DIR/$cwd ;; esac # an absolute cwd is taken as is
	(cd "$cwd" && "$TOOL" "$@" </dev/null) >"$tmp/out" 2>&1
	local rc=$?
	if [ "$rc" = "$want_rc" ] && [ "$(cat "$tmp/out")" = "$want" ]; then
		ok "$name (exit $rc)"
	else
		bad "$name" "exit $rc (want $want_rc): $(head -c 400 "$tmp/out" | tr '\n' '|')"
	fi
}
p=upstream/promtool
expect run-correct 0 $'Unit Testing:  rules_run.yml\n  SUCCESS' $p test rules --run correct rules_run.yml
expect run-wrong 1 $'Unit Testing:  rules_run.yml\n  FAILED:\n    expr: "test", time: 0s,\n        exp: {__name__="test"} 1E+00\n        got: {__name__="test"} 0E+00' \
	$p test rules --run wrong rules_run.yml
expect run-none-selected 0 $'Unit Testing:  rules_run.yml\n  SUCCESS' $p test rules --run nosuchgroup rules_run.yml
expect fuzzy-correct 0 $'Unit Testing:  rules_run_fuzzy.yml\n  SUCCESS' $p test rules --run correct rules_run_fuzzy.yml
expect no-fuzzy-exact 1 $'Unit Testing:  rules_run_no_fuzzy.yml\n  FAILED:\n    expr: "test_low", time: 0s,\n        exp: {__name__="test_low"} 3E+00\n        got: {__name__="test_low"} 2.9999999999999996E+00\n\n    expr: "test_high", time: 0s,\n        exp: {__name__="test_high"} 3E+00\n        got: {__name__="test_high"} 3.0000000000000004E+00' \
	$p test rules rules_run_no_fuzzy.yml
expect extrafields-ignored 0 $'Unit Testing:  rules_run_extrafields.yml\n  SUCCESS' $p test rules --ignore-unknown-fields rules_run_extrafields.yml
expect no-group-interval 0 $'Unit Testing:  no-test-group-interval.yml\n  SUCCESS' $p test rules no-test-group-interval.yml
expect start-timestamp 0 $'Unit Testing:  start-time-test.yml\n  SUCCESS' $p test rules start-time-test.yml
mkdir -p "$tmp/u"
printf 'bogus: 1\ntests:\n  - name: a\n    intervall: 1m\n' >"$tmp/u/u.yml"
expect unknown-fields 1 $'Unit Testing:  u.yml\n  FAILED:\nyaml: unmarshal errors:\n  line 1: field bogus not found in type main.unitTestFile\n  line 4: field intervall not found in type main.testGroup' \
	"$tmp/u" test rules u.yml
# Live: a few authored unit tests run by Debian's promtool 2.42 and by flint
# (group_eval_order, external_labels in templates, alerts going firing and
# resolving through a stale marker, several alerts sorted in the failure
# text, scalar results, rule_files that match nothing, a repeated group in
# group_eval_order, an alert test without alertname, a bad exp_samples
# selector): same exit status and merged output.
L=$tmp/live
mkdir -p "$L"
cat >"$L/r.yml" <<'YML'
groups:
  - name: second
    rules:
      - record: b
        expr: a * 2
  - name: first
    rules:
      - record: a
        expr: sum(x)
      - alert: High
        expr: x > 1
        for: 2m
        labels:
          sev: page
        annotations:
          summary: "{{ $labels.instance }} is {{ $value }} on {{ $externalLabels.region }}"
YML
cat >"$L/ordered.yml" <<'YML'
rule_files: [r.yml]
evaluation_interval: 1m
group_eval_order: [first, second]
tests:
  - name: ordered
    interval: 1m
    external_labels:
      region: eu
    input_series:
      - series: 'x{instance="i1"}'
        values: '1 2 3 4 5 stale'
      - series: 'x{instance="i2"}'
        values: '0+2x6'
    alert_rule_test:
      - eval_time: 3m
        alertname: High
        exp_alerts:
          - exp_labels: {instance: i2, sev: page}
            exp_annotations: {summary: "i2 is 6 on eu"}
      - eval_time: 4m
        alertname: High
        exp_alerts:
          - exp_labels: {instance: i1, sev: page}
            exp_annotations: {summary: "i1 is 5 on eu"}
      - eval_time: 1m
        alertname: High
        exp_alerts: []
      - eval_time: 7m
        alertname: High
        exp_alerts:
          - exp_labels: {instance: i2, sev: page}
            exp_annotations: {summary: "i2 is 12 on eu"}
    promql_expr_test:
      - expr: b
        eval_time: 2m
        exp_samples:
          - labels: b
            value: 14
      - expr: scalar(sum(x))
        eval_time: 1m
        exp_samples:
          - value: 4
      - expr: x
        eval_time: 6m
        exp_samples:
          - labels: 'x{instance="i2"}'
            value: 12
      - expr: vector(1)
        eval_time: 0
        exp_samples:
          - labels: '{}'
            value: 2
YML
cat >"$L/nomatch.yml" <<'YML'
rule_files: [nosuch*.yml]
tests:
  - input_series: []
YML
cat >"$L/reorder.yml" <<'YML'
rule_files: [r.yml]
group_eval_order: [first, first]
tests:
  - interval: 1m
YML
cat >"$L/noname.yml" <<'YML'
rule_files: [r.yml]
tests:
  - interval: 1m
    name: g
    alert_rule_test:
      - eval_time: 5m
YML
cat >"$L/badlabels.yml" <<'YML'
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'x'
        values: '1x3'
    promql_expr_test:
      - expr: 'x[5m]'
        eval_time: 1m
      - expr: 'x'
        eval_time: 90s
        exp_samples:
          - labels: 'x{'
            value: 1
YML
if ! command -v promtool >/dev/null; then
	bad live "promtool not installed (tests/deps.sh installs prometheus)"
else
	for t in ordered nomatch reorder noname badlabels; do
		(cd "$L" && promtool test rules "$t.yml") >"$tmp/want" 2>&1
		p=$?
		(cd "$L" && "$TOOL" test rules "$t.yml") >"$tmp/out" 2>&1
		fl=$?
		if [ "$p" = "$fl" ] && cmp -s "$tmp/want" "$tmp/out"; then
			ok "live-$t (exit $fl)"
		else
			bad "live-$t" "exit $fl (promtool $p): $(diff "$tmp/want" "$tmp/out" | head -8 | tr '\n' '|')"
		fi
	done
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
