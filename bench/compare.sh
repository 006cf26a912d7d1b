#!/usr/bin/env bash
# compare.sh - flint (build/rel) against Debian's Prometheus, side by side on
# loopback, one after the other so they never share the two cores:
#   - the same data pushed to both with bench_remote (remote write 1.0,
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
# Prints each figure for both and the ratio (flint's advantage: >1 is
# better for flint). Bounded: 10k series by default (about a minute); the
# 1M-series run takes BENCH_1M=1 (several minutes and GBs of RAM).
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
SERIES=${BENCH_SERIES:-10000}
ROUNDS=${BENCH_ROUNDS:-60}
FLINT=$BUILD/flint
BENCH=$BUILD/bench/bench_remote
for need in "$FLINT" "$BENCH"; do
	[ -x "$need" ] || { echo "compare: $need not built"; exit 1; }
done
command -v prometheus >/dev/null || { echo "compare: prometheus not installed (make deps)"; exit 1; }

tmp=$(mktemp -d /tmp/flint-bench.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
TCK=$(getconf CLK_TCK)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
wait_ready() { # url seconds (gives up early when the server died)
	for _ in $(seq $(($2 * 20))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1/-/ready")" = 200 ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
now_s() { date +%s.%N; }

printf 'global:\n  scrape_interval: 1m\n' >"$tmp/cfg.yml"
start() { # name port -> sets pid
	local dir=$tmp/data-$1 addr=127.0.0.1:$2
	case $1 in
	flint) "$FLINT" --config.file="$tmp/cfg.yml" --storage.tsdb.path="$dir" --web.listen-address=$addr \
		--web.enable-remote-write-receiver >>"$tmp/$1.log" 2>&1 & ;;
	prometheus) prometheus --config.file="$tmp/cfg.yml" --storage.tsdb.path="$dir" --web.listen-address=$addr \
		--web.enable-remote-write-receiver >>"$tmp/$1.log" 2>&1 & ;;
	esac
	pid=$!
}

END_MS=$(($(date +%s) * 1000))
QSTART=$(((END_MS - ROUNDS * 15000) / 1000))
QEND=$((END_MS / 1000))
QUERIES=('sum(bench_metric_1)' 'sum by (instance) (rate(bench_metric_2[5m]))' 'count({job="bench"})'
	'bench_metric_3{series="303"}' 'max_over_time(bench_metric_4[10m])')

run() { # name -> prints "name ingest cpu_per_M rss_per_series query_ms restart_s"
	local name=$1 port url
	port=$(free_port)
	url=http://127.0.0.1:$port
	start "$name" "$port"
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
	local cpu_m rss growth q_ms=0 t0 t1
	cpu_m=$(awk -v d=$((c1 - c0)) -v t="$TCK" -v n=$((SERIES * ROUNDS)) 'BEGIN { printf "%.3f", d / t / (n / 1e6) }')
	# memory after ingest, before any query allocates
	rss=$(awk -v kb="$(hwm_kb "$pid")" -v n="$SERIES" 'BEGIN { printf "%.0f", kb * 1024 / n }')
	growth=$(awk -v kb="$(hwm_kb "$pid")" -v b="$base" -v n="$SERIES" 'BEGIN { printf "%.0f", (kb - b) * 1024 / n }')
	local step=$(((QEND - QSTART) / 100 + 1))
	for qq in "${QUERIES[@]}"; do
		local ts=() r
		for _ in 1 2 3 4 5; do
			r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -G --data-urlencode "query=$qq" \
				--data-urlencode "start=$QSTART.5" --data-urlencode "end=$QEND.5" --data-urlencode "step=$step" \
				"$url/api/v1/query_range")
			if [ "${r%% *}" != 200 ]; then
				q_ms=n/a
				echo "compare: $name: query_range $qq: HTTP ${r%% *}" >&2
				break 2
			fi
			ts+=("${r#* }")
		done
		q_ms=$(printf '%s\n' "${ts[@]}" | sort -n | awk -v acc="$q_ms" 'NR == 3 { printf "%.2f", acc + $1 * 1000 }')
	done
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	t0=$(now_s)
	start "$name" "$port"
	local restart
	if wait_ready "$url" 300; then
		t1=$(now_s)
		restart=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		kill -TERM "$pid"
	else
		restart=">300"
		echo "compare: $name was not ready within 300 s of a restart" >&2
		kill -KILL "$pid"
	fi
	wait "$pid" 2>/dev/null
	pid=
	echo "$name $rate $cpu_m $rss $growth $q_ms $restart"
}

echo "pushing $SERIES series x $ROUNDS samples (remote write 1.0) to each; queries: ${#QUERIES[@]} x 5 runs"
run flint >"$tmp/flint.res" || exit 1
run prometheus >"$tmp/prometheus.res" || exit 1
read -r _ f_rate f_cpu f_rss f_grow f_q f_rs <"$tmp/flint.res"
read -r _ p_rate p_cpu p_rss p_grow p_q p_rs <"$tmp/prometheus.res"
row() { # label flint prom unit higher_is_better
	awk -v l="$1" -v f="$2" -v p="$3" -v u="$4" -v h="$5" 'BEGIN {
		if (f !~ /^[0-9.]+$/ || p !~ /^[0-9.]+$/ || f + 0 == 0 || p + 0 == 0) {
			printf "%-34s %14s %14s %-12s %s\n", l, f, p, u, "-"; exit }
		r = (h == 1) ? f / p : p / f
		printf "%-34s %14s %14s %-12s x%.2f\n", l, f, p, u, r }'
}
printf '%-34s %14s %14s %-12s %s\n' "at $SERIES series" flint prometheus unit "flint advantage"
row "ingest rate" "$f_rate" "$p_rate" samples/s 1
row "CPU per million samples" "$f_cpu" "$p_cpu" s 0
row "peak RSS per active series" "$f_rss" "$p_rss" bytes 0
row "  growth over idle, per series" "$f_grow" "$p_grow" bytes 0
row "query_range latency (5 medians)" "$f_q" "$p_q" ms 0
row "restart to ready" "$f_rs" "$p_rs" s 0
if [ "${BENCH_1M:-0}" = 1 ] && [ "$SERIES" != 1000000 ]; then
	BENCH_SERIES=1000000 BENCH_ROUNDS=${BENCH_1M_ROUNDS:-4} BENCH_1M=0 bash "$0"
elif [ "$SERIES" != 1000000 ]; then
	echo "1M series: not run by default (several minutes and GBs of RAM on this machine); BENCH_1M=1 runs it"
fi
