#!/usr/bin/env bash
# check_metrics.sh - `flinttool check metrics` against Debian's promtool 2.42
# (/usr/bin/promtool) on the same text-format pages: the real pages in
# ../shared (exposition/, tsdb/node-exporter/) and small pages written here
# for each promlint rule. Lint output (stderr) and exit status must be
# identical; with --extended, the cardinality table must hold the same rows
# (promtool orders ties by Go map order, so rows are compared sorted).
# Unparsable pages must fail with exit 1 in both. Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/../paths.bash"
command -v promtool >/dev/null || { echo "FAIL setup: promtool missing (tests/deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
tmp=$(mktemp -d /tmp/flint-checkmetrics.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
p=0 f=0
ok() { p=$((p + 1)); }
bad() { f=$((f + 1)); echo "not ok $*"; }

same() { # NAME FILE [FLAGS...]: same stderr, stdout (sorted) and exit status
	local name=$1 file=$2; shift 2
	promtool check metrics "$@" <"$file" >"$tmp/p.out" 2>"$tmp/p.err"; local a=$?
	"$BUILD/flinttool" check metrics "$@" <"$file" >"$tmp/f.out" 2>"$tmp/f.err"; local b=$?
	if [ "$a" != "$b" ]; then bad "$name: exit $b, promtool $a"; head -3 "$tmp/f.err"; return; fi
	if ! diff "$tmp/p.err" "$tmp/f.err" >"$tmp/d"; then bad "$name: stderr differs"; head -10 "$tmp/d"; return; fi
	if ! diff <(sort "$tmp/p.out") <(sort "$tmp/f.out") >"$tmp/d"; then bad "$name: stdout differs"; head -10 "$tmp/d"; return; fi
	ok
}

for page in "$SHARED"/conformance/exposition/*.prom.txt "$SHARED"/conformance/exposition/node-exporter-1.5.0.txt \
	"$SHARED"/conformance/exposition/prometheus-2.42.0.txt "$SHARED"/conformance/tsdb/node-exporter/scrape-*.txt; do
	same "$(basename "$page")" "$page"
	same "$(basename "$page") --extended" "$page" --extended
done

w() { printf '%b' "$2" >"$tmp/$1.txt"; }
w counter_no_total '# HELP a_seconds x\n# TYPE a_seconds counter\na_seconds 1\n'
w gauge_total '# HELP a_total x\n# TYPE a_total gauge\na_total 1\n'
w no_help '# TYPE a gauge\na 1\nb 2\n'
w camel '# HELP fooBar x\n# TYPE fooBar gauge\nfooBar{someLabel="1"} 1\nfooBar{someLabel="2"} 1\n'
w units '# HELP a_milliseconds x\n# TYPE a_milliseconds gauge\na_milliseconds 1\n# HELP b_kilobytes x\n# TYPE b_kilobytes gauge\nb_kilobytes 1\n# HELP c_bits x\n# TYPE c_bits gauge\nc_bits 1\n'
w abbrev '# HELP a_ms x\n# TYPE a_ms gauge\na_ms 1\n# HELP b_kb_total x\n# TYPE b_kb_total counter\nb_kb_total 1\n'
w colon '# HELP job:a:rate5m x\n# TYPE job:a:rate5m gauge\njob:a:rate5m 1\n'
w reserved '# HELP a_bucket x\n# TYPE a_bucket gauge\na_bucket{le="1"} 1\n# HELP b_count x\n# TYPE b_count counter\nb_count{quantile="1"} 1\n# HELP c_sum x\n# TYPE c_sum gauge\nc_sum 1\n'
w typename '# HELP a_counter x\n# TYPE a_counter gauge\na_counter 1\n# HELP b_gauge_x x\n# TYPE b_gauge_x gauge\nb_gauge_x 1\n'
w histogram '# HELP h_seconds x\n# TYPE h_seconds histogram\nh_seconds_bucket{a="1",le="1"} 1\nh_seconds_bucket{a="1",le="+Inf"} 2\nh_seconds_sum{a="1"} 3\nh_seconds_count{a="1"} 2\nh_seconds_bucket{a="2",le="1"} 1\nh_seconds_bucket{a="2",le="+Inf"} 2\nh_seconds_sum{a="2"} 3\nh_seconds_count{a="2"} 2\n# HELP up x\n# TYPE up gauge\nup 1\n'
w clean '# HELP a_total x\n# TYPE a_total counter\na_total{b="c"} 1\na_total{b="d"} 2\n# HELP up x\n# TYPE up gauge\nup 1\n'
for t in "$tmp"/*.txt; do
	same "$(basename "$t" .txt)" "$t"
	same "$(basename "$t" .txt) --extended" "$t" --extended
done

# Unparsable: both refuse with exit 1 (the wording is each parser's own).
w bad_value 'a x\n'
w bad_label 'a{b=c} 1\n'
w bad_type '# TYPE a meh\na 1\n'
for t in bad_value bad_label bad_type; do
	promtool check metrics <"$tmp/$t.txt" >/dev/null 2>&1; a=$?
	msg=$("$BUILD/flinttool" check metrics <"$tmp/$t.txt" 2>&1); b=$?
	if [ "$a" = 1 ] && [ "$b" = 1 ] && echo "$msg" | grep -q '^error while linting: text format parsing error in line 1: '; then ok; else bad "$t: exit $b ($msg), promtool $a"; fi
done

# --lint=none parses only: a page full of lint problems is valid; a bad one names its line.
if "$BUILD/flinttool" check metrics --lint=none <"$tmp/camel.txt" 2>"$tmp/e"; then ok; else bad "lint=none on a valid page: $(cat "$tmp/e")"; fi
printf 'a 1\nb{c=d} 2\n' | "$BUILD/flinttool" check metrics --lint=none 2>"$tmp/e"; rc=$?
if [ "$rc" = 1 ] && grep -q '^error: line 2: expected label value' "$tmp/e"; then ok; else bad "lint=none bad page: exit $rc $(cat "$tmp/e")"; fi
# Format from the content: "# EOF" plus an OpenMetrics-only line means OpenMetrics (strict).
printf '# TYPE a info\na_info 2\n# EOF\n' | "$BUILD/flinttool" check metrics --lint=none 2>"$tmp/e"; rc=$?
if [ "$rc" = 1 ] && grep -q 'info samples can only have value one' "$tmp/e"; then ok; else bad "guessed OpenMetrics: exit $rc $(cat "$tmp/e")"; fi
printf 'a 1\n# EOF\n' | "$BUILD/flinttool" check metrics --lint=none --format=text 2>"$tmp/e"; rc=$?
if [ "$rc" = 0 ]; then ok; else bad "--format=text: exit $rc $(cat "$tmp/e")"; fi
echo "$p passed, $f failed"
[ "$f" = 0 ]
