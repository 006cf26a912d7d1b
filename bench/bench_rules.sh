#!/usr/bin/env bash
# bench_rules.sh - rule evaluation, flint (build/rel) against Debian's
# Prometheus, on the same data and the same rule files, one server after the
# other so they never share the two cores:
#   - rules: every real mixin rule file of ../shared/conformance/rules/mixins
#     (node-exporter, Prometheus, Alertmanager, Kubernetes, ...: 234 rules),
#     evaluated every BENCH_RULES_EVAL seconds where a group sets no
#     interval (default 2 at 10k series, 30 at 100k: neither server may
#     miss iterations, or the two would not do the same work);
#   - data: node_exporter-like series (bench/node_shape.h: 100 a node,
#     job="node-exporter"), 10k and 100k series (BENCH_RULES_SIZES), 40
#     rounds 15 s apart ending now, remote-written by bench_remote;
#   - the rules are loaded (SIGHUP) only once the data is in, so loading
#     is not slowed by evaluation and the data is fresh when measured;
#   - after a warm-up of an interval, a window of BENCH_RULES_WINDOW
#     seconds (default 20, at least two intervals): process CPU (utime+stime from /proc) per 1,000
#     rule evaluations (prometheus_rule_evaluations_total's growth), the
#     mean group evaluation latency (prometheus_rule_group_duration_seconds
#     sum/count growth) and the latest full cycle (the sum over groups of
#     prometheus_rule_group_last_duration_seconds).
# Prints each figure for both and the ratio (flint's advantage: >1 better).
# Bounded: about 8 minutes at the defaults; traps kill the servers.
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
SIZES=${BENCH_RULES_SIZES:-10000 100000}
WINDOW=${BENCH_RULES_WINDOW:-20}
ROUNDS=40
FLINT=$BUILD/flint
BENCH=$BUILD/bench/bench_remote
MIXINS=$SHARED/conformance/rules/mixins
for need in "$FLINT" "$BENCH"; do
	[ -x "$need" ] || { echo "bench_rules: $need not built"; exit 1; }
done
command -v prometheus >/dev/null || { echo "bench_rules: prometheus not installed (make deps)"; exit 1; }
[ -d "$MIXINS" ] || { echo "bench_rules: $MIXINS missing"; exit 1; }

tmp=$(mktemp -d /tmp/flint-rbench.XXXXXX)
TCK=$(getconf CLK_TCK)
. "$(dirname "$0")/lib.bash"
eval_s() { # series -> the evaluation interval in seconds
	if [ -n "${BENCH_RULES_EVAL:-}" ]; then echo "${BENCH_RULES_EVAL%s}"; elif [ "$1" -ge 50000 ]; then echo 30; else echo 2; fi
}
config() { # rules|none series
	printf 'global:\n  scrape_interval: 1m\n  evaluation_interval: %ss\n' "$(eval_s "$2")" >"$tmp/cfg.yml"
	[ "$1" = rules ] && printf 'rule_files: ["%s/*.yml"]\n' "$MIXINS" >>"$tmp/cfg.yml"
	return 0
}

sum_metric() { # url name -> the sum of its samples on url/metrics
	curl -s --max-time 10 "$1/metrics" | awk -v n="$2" '{ k = $1; sub(/\{.*/, "", k) } k == n { s += $2 } END { printf "%.6f\n", s }'
}

run() { # name series -> prints "cpu_ms_per_1000_evals mean_group_ms cycle_ms evals_per_s samples failures"
	local name=$1 series=$2 port url
	port=$(free_port)
	url=http://127.0.0.1:$port
	rm -rf "$tmp/data-$name"
	config none "$series"
	start "$name" "$port"
	if ! wait_ready "$url" 60; then
		echo "bench_rules: $name did not become ready: $(tail -3 "$tmp/$name.log")" >&2
		return 1
	fi
	local out
	if ! out=$(BENCH_SHAPE=node "$BENCH" load "$url/api/v1/write" "$series" "$ROUNDS" 2 \
		"$(($(date +%s) * 1000))" 2000 2>&1); then
		echo "bench_rules: $name: load failed: $out" >&2
		return 1
	fi
	config rules "$series"
	kill -HUP "$pid"
	local i
	for i in $(seq 300); do
		[ "$(sum_metric "$url" prometheus_rule_group_iterations_total | cut -d. -f1)" -gt 0 ] && break
		sleep 0.1
	done
	local ev window
	ev=$(eval_s "$series")
	window=$((WINDOW > 2 * ev ? WINDOW : 2 * ev))
	sleep $((ev + 1))
	local c0 c1 e0 e1 s0 s1 n0 n1 t0 t1
	c0=$(cpu_ticks "$pid")
	e0=$(sum_metric "$url" prometheus_rule_evaluations_total)
	s0=$(sum_metric "$url" prometheus_rule_group_duration_seconds_sum)
	n0=$(sum_metric "$url" prometheus_rule_group_duration_seconds_count)
	t0=$(now_s)
	sleep "$window"
	c1=$(cpu_ticks "$pid")
	e1=$(sum_metric "$url" prometheus_rule_evaluations_total)
	s1=$(sum_metric "$url" prometheus_rule_group_duration_seconds_sum)
	n1=$(sum_metric "$url" prometheus_rule_group_duration_seconds_count)
	t1=$(now_s)
	local cycle samples fails
	cycle=$(sum_metric "$url" prometheus_rule_group_last_duration_seconds)
	samples=$(sum_metric "$url" prometheus_rule_group_last_evaluation_samples)
	fails=$(sum_metric "$url" prometheus_rule_evaluation_failures_total)
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	pid=
	awk -v c0="$c0" -v c1="$c1" -v e0="$e0" -v e1="$e1" -v s0="$s0" -v s1="$s1" -v n0="$n0" -v n1="$n1" \
		-v t0="$t0" -v t1="$t1" -v tck="$TCK" -v cy="$cycle" -v sa="$samples" -v fa="$fails" 'BEGIN {
		de = e1 - e0; dn = n1 - n0
		if (de <= 0 || dn <= 0) { print "- - - - - -"; exit }
		printf "%.2f %.3f %.1f %.0f %d %d\n", (c1 - c0) * 1000 / tck / de * 1000, (s1 - s0) / dn * 1000, cy * 1000,
			de / (t1 - t0), sa, fa }'
}

echo "rule evaluation: $(ls "$MIXINS"/*.yml | wc -l) mixin files"
for series in $SIZES; do
	f=$(run flint "$series") || exit 1
	p=$(run prometheus "$series") || exit 1
	read -r fc fm fy fe fs ff <<<"$f"
	read -r pc pm py pe ps pf <<<"$p"
	header "$series series, every $(eval_s "$series")s"
	row "CPU per 1000 rule evaluations" "$fc" "$pc" ms 0
	row "mean group evaluation" "$fm" "$pm" ms 0
	row "last full cycle (sum of groups)" "$fy" "$py" ms 0
	row "rule evaluations per second" "$fe" "$pe" "/s" 1
	row "samples of the last cycle (same work)" "$fs" "$ps" samples 1
	row "rule evaluation failures" "$ff" "$pf" total 0
done
