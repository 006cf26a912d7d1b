#!/usr/bin/env bash
# compare.sh - flint (build/rel) against Debian's Prometheus 2.42 and
# VictoriaMetrics 1.79 (when installed), side by side on loopback, one after
# the other so they never share the two cores:
#   - the same data pushed to each with bench_remote (remote write 1.0,
#     BENCH_SERIES series x BENCH_ROUNDS samples, 2 senders, 2000 series a
#     request, the same timestamps for both)
#   - ingest samples/s (as the sender saw it) and server CPU seconds per
#     million samples (utime+stime from /proc/PID/stat, before and after)
#   - peak RSS (VmHWM) per active series after ingest (before the queries),
#     and its growth over the idle server's RSS per series (what a series
#     costs, without the baseline)
#   - query_range latency: the median of 5 runs of each of 5 queries over the
#     pushed data, summed
#   - restart time: SIGTERM, start again, until /-/ready answers 200
# Prints each figure for each server and the ratios (flint's advantage: >1
# is better for flint). Bounded: 10k series x 60 samples (15 min of data) by
# default, about a minute. Knobs: BENCH_SERIES, BENCH_ROUNDS (samples a
# series, 15 s apart), BENCH_HOURS (rounds = hours x 240: BENCH_HOURS=4 is
# 10k x 4 h, 960 rounds, a few minutes; BENCH_HOURS=21 about half an hour),
# BENCH_1M=1 adds a 1M-series run of BENCH_1M_ROUNDS (4) samples (several
# minutes and GBs of RAM), BENCH_SERVERS picks servers ("flint prometheus
# victoria-metrics").
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
SERIES=${BENCH_SERIES:-10000}
ROUNDS=${BENCH_ROUNDS:-60}
[ -n "${BENCH_HOURS:-}" ] && ROUNDS=$((BENCH_HOURS * 240))
SERVERS=${BENCH_SERVERS:-flint prometheus victoria-metrics}
command -v victoria-metrics >/dev/null || SERVERS=${SERVERS/victoria-metrics/}
FLINT=$BUILD/flint
BENCH=$BUILD/bench/bench_remote
for need in "$FLINT" "$BENCH"; do
	[ -x "$need" ] || { echo "compare: $need not built"; exit 1; }
done
command -v prometheus >/dev/null || { echo "compare: prometheus not installed (make deps)"; exit 1; }

tmp=$(mktemp -d /tmp/flint-bench.XXXXXX)
TCK=$(getconf CLK_TCK)
. "$(dirname "$0")/lib.bash"

END_MS=$(($(date +%s) * 1000))
QSTART=$(((END_MS - ROUNDS * 15000) / 1000))
QEND=$((END_MS / 1000))
QUERIES=('sum(bench_metric_1)' 'sum by (instance) (rate(bench_metric_2[5m]))' 'count({job="bench"})'
	'bench_metric_3{series="303"}' 'max_over_time(bench_metric_4[10m])')

run() { # name -> prints "name ingest cpu_per_M rss_per_series query_ms restart_s"
	local name=$1 port url
	port=$(free_port)
	url=http://127.0.0.1:$port
	# the query set at 1M series passes Prometheus's default 50M samples a
	# query; all three get VictoriaMetrics's default bound, 1e9
	case $name in
	victoria-metrics) start "$name" "$port" ;;
	*) start "$name" "$port" --query.max-samples=1000000000 ;;
	esac
	if ! wait_ready "$url" 60; then
		echo "compare: $name did not become ready: $(tail -3 "$tmp/$name.log")" >&2
		return 1
	fi
	local c0 c1 out rate base
	base=$(rss_kb "$pid")
	c0=$(cpu_ticks "$pid")
	out=$("$BENCH" load "$url/api/v1/write" "$SERIES" "$ROUNDS" 2 "$END_MS" 2000) ||
		{ echo "compare: $name: load failed: $out" >&2; return 1; }
	c1=$(cpu_ticks "$pid")
	rate=$(echo "$out" | awk '{ for (i = 1; i <= NF; i++) if ($i == "samples/s,") print $(i - 1) }')
	echo "compare: $name: $out" >&2
	local cpu_m rss growth q_ms=0
	cpu_m=$(awk -v d=$((c1 - c0)) -v t="$TCK" -v n=$((SERIES * ROUNDS)) 'BEGIN { printf "%.3f", d / t / (n / 1e6) }')
	# memory after ingest, before any query allocates
	rss=$(awk -v kb="$(hwm_kb "$pid")" -v n="$SERIES" 'BEGIN { printf "%.0f", kb * 1024 / n }')
	growth=$(awk -v kb="$(hwm_kb "$pid")" -v b="$base" -v n="$SERIES" 'BEGIN { printf "%.0f", (kb - b) * 1024 / n }')
	# VictoriaMetrics makes new samples searchable within a second
	[ "$name" = victoria-metrics ] && sleep 2
	local step=$(((QEND - QSTART) / 100 + 1))
	for qq in "${QUERIES[@]}"; do
		local ts=() r
		for _ in 1 2 3 4 5; do
			r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -G --data-urlencode "query=$qq" \
				--data-urlencode "start=$QSTART.5" --data-urlencode "end=$QEND.5" --data-urlencode "step=$step" \
				"$url/api/v1/query_range")
			if [ "${r%% *}" != 200 ]; then
				q_ms=n/a
				echo "compare: $name: query_range $qq: HTTP ${r%% *}: $(curl -s -G --data-urlencode "query=$qq" \
					--data-urlencode "start=$QSTART.5" --data-urlencode "end=$QEND.5" --data-urlencode "step=$step" \
					"$url/api/v1/query_range" | head -c 400)" >&2
				break 2
			fi
			ts+=("${r#* }")
		done
		q_ms=$(printf '%s\n' "${ts[@]}" | sort -n | awk -v acc="$q_ms" 'NR == 3 { printf "%.2f", acc + $1 * 1000 }')
	done
	restart "$name" "$port" 300
	echo "$name $rate $cpu_m $rss $growth $q_ms $restart_s"
}

echo "pushing $SERIES series x $ROUNDS samples (remote write 1.0) to each of: $SERVERS; queries: ${#QUERIES[@]} x 5 runs"
for s in flint prometheus victoria-metrics; do
	if [[ " $SERVERS " == *" $s "* ]]; then run "$s" >"$tmp/$s.res" || exit 1
	else echo "$s - - - - - -" >"$tmp/$s.res"; fi
done
read -r _ f_rate f_cpu f_rss f_grow f_q f_rs <"$tmp/flint.res"
read -r _ p_rate p_cpu p_rss p_grow p_q p_rs <"$tmp/prometheus.res"
read -r _ v_rate v_cpu v_rss v_grow v_q v_rs <"$tmp/victoria-metrics.res"
header "at $SERIES series x $ROUNDS samples" victoria
row "ingest rate" "$f_rate" "$p_rate" samples/s 1 "$v_rate"
row "CPU per million samples" "$f_cpu" "$p_cpu" s 0 "$v_cpu"
per_cpu() { awk -v c="$1" 'BEGIN { if (c ~ /^[0-9.]+$/ && c > 0) printf "%.0f", 1e6 / c; else print "-" }'; }
row "  samples per server CPU-s" "$(per_cpu "$f_cpu")" "$(per_cpu "$p_cpu")" samples 1 "$(per_cpu "$v_cpu")"
row "peak RSS per active series" "$f_rss" "$p_rss" bytes 0 "$v_rss"
row "  growth over idle, per series" "$f_grow" "$p_grow" bytes 0 "$v_grow"
row "query_range latency (5 medians)" "$f_q" "$p_q" ms 0 "$v_q"
row "restart to ready" "$f_rs" "$p_rs" s 0 "$v_rs"
if [ "${BENCH_1M:-0}" = 1 ] && [ "$SERIES" != 1000000 ]; then
	BENCH_SERIES=1000000 BENCH_ROUNDS=${BENCH_1M_ROUNDS:-4} BENCH_HOURS= BENCH_1M=0 bash "$0"
elif [ "$SERIES" != 1000000 ]; then
	echo "1M series: not run by default (several minutes and GBs of RAM on this machine); BENCH_1M=1 runs it"
fi
