#!/usr/bin/env bash
# rules_unittest_flags.sh - `flinttool test --junit=FILE rules --debug --diff`,
# promtool 3.x's (cmd/promtool/unittest.go, util/junitxml) on upstream's
# unit-test files (Debian's promtool 2.42 has neither flag, so the
# expectations are 3.x's code, written down here):
#   - JUnit: <testsuites> with one <testsuite> per file (name, tests,
#     failures, errors, skipped="0", timestamp 2006-01-02T15:04:05), one
#     <testcase> per test group run ("unnamed#i" without a name), one
#     <failure> per error; a file that cannot be read or parsed is the
#     suite's <error> in an "unknown" case; --run leaves unselected groups
#     out; no XML declaration, no newline (encoding/xml's Encode); the
#     exit code and stdout are those of the run without --junit.
#   - --debug: "DEBUG: Starting test NAME" / "DEBUG: Test NAME finished,
#     took D" around each group on stderr, and the dump of every series at
#     the last eval_time rounded up to a second.
#   - --diff: a failed alert_rule_test as nsf/jsondiff's coloured diff of
#     the JSON of both lists ([{"Annotations": {}, "Labels": {}}] for an
#     empty one), indented as promtool indents it;
#   - a --junit path that cannot be opened: kingpin's usage error, exit 1.
# Prints `ok`/`FAIL` lines and `N passed, N failed`; exits non-zero on failure.
set -u
. "$(dirname "$0")/web_common.bash"
TOOL=$BUILD/flinttool
need "$TOOL"
U=$SHARED/conformance/rules/upstream/promtool
cd "$U" || exit 1
printf 'tests: [\n' >"$tmp/broken.yml"

"$TOOL" test --junit="$tmp/j.xml" rules failing.yml rules_run.yml bad-rules-error-test.yml "$tmp/broken.yml" \
	>"$tmp/out" 2>"$tmp/err"
check_eq junit_run_exit "$?" 1
"$TOOL" test rules failing.yml rules_run.yml bad-rules-error-test.yml "$tmp/broken.yml" >"$tmp/out2" 2>/dev/null
check_eq junit_same_stdout "$(cat "$tmp/out")" "$(cat "$tmp/out2")"
summary=$("$PY" - "$tmp/j.xml" <<'EOF'
import re, sys, xml.etree.ElementTree as ET
text = open(sys.argv[1]).read()
assert not text.startswith("<?xml") and not text.endswith("\n"), "encoding/xml writes no declaration, no newline"
root = ET.fromstring(text)
assert root.tag == "testsuites"
out = []
for s in root:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", s.get("timestamp")) or s.get("errors") == "1", s.get("timestamp")
    cases = ["%s:%d%s" % (c.get("name"), len(c.findall("failure")), ":error" if c.find("error") is not None else "")
             for c in s]
    out.append("%s tests=%s failures=%s errors=%s skipped=%s [%s]" % (s.get("name").split("/")[-1], s.get("tests"),
               s.get("failures"), s.get("errors"), s.get("skipped"), " ".join(cases)))
print("\n".join(out))
EOF
)
check_eq junit_suites "$summary" "failing.yml tests=2 failures=4 errors=0 skipped=0 [Failing test:2 Failing alert test:2]
rules_run.yml tests=2 failures=1 errors=0 skipped=0 [correct test:0 wrong test:1]
bad-rules-error-test.yml tests=1 failures=1 errors=0 skipped=0 [unnamed#0:1]
broken.yml tests=1 failures=0 errors=1 skipped=0 [unknown:0:error]"
check_has junit_failure_escaped "$(cat "$tmp/j.xml")" '<failure>    expr: &#34;test&#34;, time: 0s,&#xA;        exp: {__name__=&#34;test&#34;} 1E+00&#xA;        got: {__name__=&#34;test&#34;} 0E+00</failure>'

"$TOOL" test --junit="$tmp/r.xml" rules --run=correct rules_run.yml >/dev/null 2>&1
check_eq junit_run_filter_exit "$?" 0
check_has junit_run_filter "$(cat "$tmp/r.xml")" 'tests="1" failures="0" errors="0" skipped="0"'
check_has junit_run_filter_case "$(cat "$tmp/r.xml")" '<testcase name="correct test"></testcase></testsuite></testsuites>'

"$TOOL" test rules --debug rules_run.yml >"$tmp/dout" 2>"$tmp/derr"
check_eq debug_exit "$?" 1
check_eq debug_stdout_unchanged "$(cat "$tmp/dout")" "$(cat "$tmp/out2" | sed -n '/rules_run.yml/,/^Unit Testing:  bad/p' | sed '$d')"
d=$(cat "$tmp/derr")
check_has debug_start "$d" "DEBUG: Starting test correct test"
check_has debug_finish "$d" "DEBUG: Test correct test finished, took "
check_has debug_dump_header "$d" "DEBUG: Dump of all data (input_series and rules) at 1s:"
check_has debug_dump_empty "$d" "DEBUG: Dump of all data (input_series and rules) at 1s:

DEBUG: Test correct test" # (0, 1s] holds no sample: ranges are left-open in 3.x
"$TOOL" test rules --debug --run='Failing alert' failing.yml >/dev/null 2>"$tmp/derr2"
check_has debug_dump_series "$(cat "$tmp/derr2")" 'DEBUG: Dump of all data (input_series and rules) at 5m1s:
{__name__="ALERTS", alertname="AlwaysFiring", alertstate="firing"} =>
1 @[60000]
1 @[120000]
1 @[180000]
1 @[240000]
1 @[300000]
{__name__="ALERTS", alertname="InstanceDown", alertstate="firing", job="test", severity="page"} =>
1 @[300000]'
check_eq debug_order "$(grep -o 'DEBUG: [A-Z][a-z]*' "$tmp/derr" | tr '\n' ' ')" \
	"DEBUG: Starting DEBUG: Dump DEBUG: Test DEBUG: Starting DEBUG: Dump DEBUG: Test "

# --diff: nsf/jsondiff's console diff of the expected and received alerts
"$TOOL" test rules --diff --run='Failing alert' failing.yml >/dev/null 2>"$tmp/diff"
check_eq diff_exit "$?" 1
G=$(printf '\033[0;32m') E=$(printf '\033[0m')
check_has diff_added_alert "$(cat "$tmp/diff")" "    alertname: AlwaysFiring, time: 5m, 
        diff: [
                {
                    \"Annotations\": {},
                    \"Labels\": {
                        $G\"alertname\": \"AlwaysFiring\"$E
                    }
                }
            ]"
check_has diff_added_labels "$(cat "$tmp/diff")" "                    \"Labels\": {
                        $G\"alertname\": \"InstanceDown\"$E,
                        $G\"job\": \"test\"$E,
                        $G\"severity\": \"page\"$E
                    }"

msg=$("$TOOL" test --junit=/nonexistent-dir/x.xml rules rules_run.yml 2>&1)
check_eq junit_unopenable_exit "$?" 1
check_eq junit_unopenable_message "$msg" "flinttool: error: open /nonexistent-dir/x.xml: no such file or directory, try --help"
finish
