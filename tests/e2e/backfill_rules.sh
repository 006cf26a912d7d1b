#!/usr/bin/env bash
# backfill_rules.sh - `flinttool tsdb create-blocks-from rules` against
# promtool 2.42's, on the same server and the same rule files:
#   1. Debian's Prometheus receives 300 series x 200 rounds (15 s apart,
#      50 minutes around an even 2h boundary a day ago) by remote write
#      (bench_remote), so every rule's backfill spans two block windows.
#   2. promtool and flinttool backfill the same rule files over the same
#      range into two directories: groups with and without an interval
#      (--eval-interval applies), rule labels that override the query's,
#      a label set to "" (dropped), an alerting rule (2.42 backfills its
#      expression under the alert's name), a rule whose query fails.
#   3. `promtool tsdb dump` of both directories: the same samples; the
#      blocks' time ranges and counts (meta.json) are the same; exit codes
#      and error messages agree on bad input (missing --start, start after
#      end, an unreachable server, a bad rule file, a missing file).
# Prints `ok`/`FAIL` lines and `N passed, N failed`; exits non-zero on failure.
set -u
. "$(dirname "$0")/web_common.bash"
TOOL=$BUILD/flinttool
LOADER=$BUILD/bench/bench_remote
need prometheus promtool "$TOOL" "$LOADER"

PP=$(free_port)
P=http://127.0.0.1:$PP
printf 'global:\n  scrape_interval: 1m\n' >"$tmp/prom.yml"
start_prom prom "$PP" "$tmp/prom.yml" --web.enable-remote-write-receiver

now=$(date +%s)
base=$(((now / 7200 - 12) * 7200)) # an even 2h boundary, a day ago
END_MS=$(((base + 1500) * 1000))    # rounds span base-25m .. base+25m
if out=$("$LOADER" load "$P/api/v1/write" 300 200 2 "$END_MS" 2000 2>&1); then
	ok remote_write
else
	fail remote_write "$out"
fi
START=$((base - 1500))
END=$((base + 1500))

cat >"$tmp/rules.yml" <<'EOF'
groups:
  - name: recorded
    interval: 30s
    rules:
      - record: job:bench_metric_0:sum
        expr: sum by (job) (bench_metric_0)
      - record: instance:bench_metric_1:rate5m
        expr: rate(bench_metric_1[5m])
        labels:
          source: backfill
          instance: overridden
      - record: bench_metric_2:dropped_label
        expr: bench_metric_2 * 2
        labels:
          series: ""
  - name: default-interval
    rules:
      - record: job:bench_metric:count
        expr: count by (job, __name__) ({__name__=~"bench_metric_[3-5]"})
      - alert: BenchHigh
        expr: bench_metric_6 > 100
        labels:
          severity: page
EOF
cat >"$tmp/rules2.yml" <<'EOF'
groups:
  - name: second-file
    interval: 45s
    rules:
      - record: bench_metric_7:max
        expr: max(bench_metric_7)
      - record: failing:query
        expr: bench_metric_8 + on() group_left bench_metric_8
EOF

run_backfill() { # TOOL OUTDIR ARGS...: exit code, stderr in OUTDIR.err
	local t=$1 dir=$2
	shift 2
	"$t" tsdb create-blocks-from rules --url="$P" --output-dir="$dir" "$@" >"$dir.out" 2>"$dir.err"
	echo $?
}
pc=$(run_backfill promtool "$tmp/p" --start="$START" --end="$END" "$tmp/rules.yml" "$tmp/rules2.yml")
fc=$(run_backfill "$TOOL" "$tmp/f" --start="$START" --end="$END" "$tmp/rules.yml" "$tmp/rules2.yml")
check_eq exit_code_with_a_failing_rule "$fc" "$pc"
check_eq failing_rule_reported "$(grep -c '^rule importer error: query range:' "$tmp/f.err")" \
	"$(grep -c '^rule importer error: query range:' "$tmp/p.err")"
check_eq error_lines "$(grep -v '^level=' "$tmp/f.err")" "$(grep -v '^level=' "$tmp/p.err")"
check_has failing_rule_failed "$(cat "$tmp/f.err")" "error importing rules"
check_eq stdout_empty "$(cat "$tmp/f.out")" "$(cat "$tmp/p.out")"

dump() { # DIR: the samples, sorted (promtool's dump opens the DB: it needs wal/)
	mkdir -p "$1/wal"
	promtool tsdb dump "$1" 2>/dev/null | sort
}
blocks() { # DIR: minTime maxTime samples series, sorted
	for m in "$1"/*/meta.json; do
		[ -f "$m" ] && "$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); s=m["stats"]
print(m["minTime"], m["maxTime"], s["numSamples"], s["numSeries"], s.get("numChunks"), m["compaction"]["level"])' "$m"
	done | sort
}
pd=$(dump "$tmp/p")
fd=$(dump "$tmp/f")
n=$(echo "$pd" | grep -c .)
if [ "$n" -gt 500 ]; then ok "promtool_wrote_samples ($n)"; else fail promtool_wrote_samples "$n"; fi
check_eq same_samples "$(echo "$fd" | md5sum)" "$(echo "$pd" | md5sum)"
[ "$fd" = "$pd" ] || diff <(echo "$pd") <(echo "$fd") | head -5
for name in job:bench_metric_0:sum instance:bench_metric_1:rate5m bench_metric_2:dropped_label \
	job:bench_metric:count BenchHigh bench_metric_7:max; do
	check_eq "same_$name" "$(echo "$fd" | grep -c "__name__=\"$name\"")" "$(echo "$pd" | grep -c "__name__=\"$name\"")"
done
check_has rule_labels_override "$(echo "$fd" | grep instance:bench_metric_1 | head -1)" 'instance="overridden"'
pb=$(blocks "$tmp/p")
fb=$(blocks "$tmp/f")
check_eq same_blocks "$fb" "$pb"
if [ "$(echo "$pb" | grep -c .)" -ge 10 ]; then ok two_windows_per_rule; else fail two_windows_per_rule "$pb"; fi

# --eval-interval changes the groups without an interval only
pc=$(run_backfill promtool "$tmp/pe" --start="$START" --end="$END" --eval-interval=2m "$tmp/rules.yml")
fc=$(run_backfill "$TOOL" "$tmp/fe" --start="$START" --end="$END" --eval-interval=2m "$tmp/rules.yml")
check_eq eval_interval_exit "$fc" "$pc"
check_eq eval_interval_samples "$(dump "$tmp/fe" | md5sum)" "$(dump "$tmp/pe" | md5sum)"
check_eq eval_interval_blocks "$(blocks "$tmp/fe")" "$(blocks "$tmp/pe")"

# RFC 3339 times
rs=$(date -u -d "@$START" +%Y-%m-%dT%H:%M:%SZ)
re=$(date -u -d "@$((START + 1200))" +%Y-%m-%dT%H:%M:%SZ)
pc=$(run_backfill promtool "$tmp/pr" --start="$rs" --end="$re" "$tmp/rules2.yml")
fc=$(run_backfill "$TOOL" "$tmp/fr" --start="$rs" --end="$re" "$tmp/rules2.yml")
check_eq rfc3339_exit "$fc" "$pc"
check_eq rfc3339_samples "$(dump "$tmp/fr" | md5sum)" "$(dump "$tmp/pr" | md5sum)"

# bad input: same exit code, same message
same_error() { # NAME ARGS...
	local name=$1
	shift
	local pc fc
	pc=$(run_backfill promtool "$tmp/pbad" "$@")
	fc=$(run_backfill "$TOOL" "$tmp/fbad" "$@")
	check_eq "${name}_exit" "$fc" "$pc"
	check_eq "${name}_message" "$(grep -v '^level=' "$tmp/fbad.err" | sed 's/^flinttool/promtool/')" \
		"$(grep -v '^level=' "$tmp/pbad.err")"
}
same_error start_after_end --start="$END" --end="$START" "$tmp/rules.yml"
same_error bad_start --start=yesterday --end="$END" "$tmp/rules.yml"
same_error bad_end --start="$START" --end=x "$tmp/rules.yml"
printf 'groups:\n  - name: g\n    rules:\n      - record: x\n        expr: up\n        for: 1m\n' >"$tmp/bad.yml"
same_error bad_rule_file --start="$START" --end="$END" "$tmp/bad.yml"
printf 'groups:\n  - name: g\n    rules:\n      - record: x\n        expr: sum(\n' >"$tmp/badexpr.yml"
same_error bad_expr --start="$START" --end="$END" "$tmp/badexpr.yml"
same_error missing_start --end="$END" "$tmp/rules.yml"
same_error missing_file --start="$START" --end="$END" "$tmp/nope.yml"
same_error bad_eval_interval --start="$START" --end="$END" --eval-interval=x "$tmp/rules.yml"
DP=$(free_port)
pc=$(promtool tsdb create-blocks-from rules --url="http://127.0.0.1:$DP" --output-dir="$tmp/pdown" \
	--start="$START" --end="$END" "$tmp/rules2.yml" 2>"$tmp/pdown.err")
pc=$?
"$TOOL" tsdb create-blocks-from rules --url="http://127.0.0.1:$DP" --output-dir="$tmp/fdown" \
	--start="$START" --end="$END" "$tmp/rules2.yml" 2>"$tmp/fdown.err"
fc=$?
check_eq server_down_exit "$fc" "$pc"
check_eq server_down_last_line "$(tail -1 "$tmp/fdown.err")" "$(tail -1 "$tmp/pdown.err")"
check_has server_down_reason "$(cat "$tmp/fdown.err")" "rule importer error: query range: Post \"http://127.0.0.1:$DP/api/v1/query_range\""
finish
