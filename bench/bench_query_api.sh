#!/usr/bin/env bash
# bench_query_api.sh - query latency through /api/v1/query_range, flint
# (build/rel) against Debian's Prometheus, on the same data.
#
# Both servers run on free loopback ports (never 9090) and receive the same
# BENCH_QSERIES series x BENCH_QROUNDS samples (15 s apart, ending now) from
# bench_remote over remote write 1.0. Then each query of the set below is
# sent BENCH_QRUNS times to each server, alternating, and the median of
# curl's time_total is printed per server with the ratio prometheus/flint
# (>1: flint is faster), then the sums of the medians.
# Bounded (about a minute at the defaults); traps kill both servers.
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
SERIES=${BENCH_QSERIES:-1000}
ROUNDS=${BENCH_QROUNDS:-120}
RUNS=${BENCH_QRUNS:-15}
FLINT=$BUILD/flint
BENCH=$BUILD/bench/bench_remote
for need in "$FLINT" "$BENCH"; do
	[ -x "$need" ] || { echo "bench_query_api: $need not built"; exit 1; }
done
command -v prometheus >/dev/null || { echo "bench_query_api: prometheus not installed (make deps)"; exit 1; }

tmp=$(mktemp -d /tmp/flint-qbench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { # url pid seconds
	for _ in $(seq $(($3 * 20))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1/-/ready")" = 200 ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

printf 'global:\n  scrape_interval: 1m\n' >"$tmp/cfg.yml"
declare -A URL
for name in flint prometheus; do
	port=$(free_port)
	while [ "$port" = 9090 ]; do port=$(free_port); done
	bin=$FLINT
	[ $name = prometheus ] && bin=prometheus
	"$bin" --config.file="$tmp/cfg.yml" --storage.tsdb.path="$tmp/data-$name" \
		--web.listen-address=127.0.0.1:$port --web.enable-remote-write-receiver >>"$tmp/$name.log" 2>&1 &
	pids+=($!)
	URL[$name]=http://127.0.0.1:$port
	if ! wait_ready "${URL[$name]}" $! 60; then
		echo "bench_query_api: $name did not become ready: $(tail -3 "$tmp/$name.log")"
		exit 1
	fi
done

END_MS=$(($(date +%s) * 1000))
for name in flint prometheus; do
	out=$("$BENCH" load "${URL[$name]}/api/v1/write" "$SERIES" "$ROUNDS" 2 "$END_MS" 2000) ||
		{ echo "bench_query_api: $name: load failed: $out"; exit 1; }
done
QEND=$((END_MS / 1000))
QSTART=$((QEND - ROUNDS * 15))
STEP=15

# name|query
QUERIES=(
	'raw matrix (250 series)|{__name__=~"bench_metric_[0-9]|bench_metric_1[0-4]"}'
	'rate matrix (250 series)|rate({__name__=~"bench_metric_[0-9]|bench_metric_1[0-4]"}[5m])'
	'sum by (instance) (rate)|sum by (instance) (rate({job="bench"}[5m]))'
	'sum(rate(x[5m]))|sum(rate(bench_metric_7[5m]))'
	'topk(5, rate)|topk(5, rate({job="bench"}[5m]))'
	'histogram_quantile|histogram_quantile(0.9, sum by (le) (label_replace(rate({job="bench"}[5m]), "le", "$1", "instance", "host-(.*)")))'
	'regex selector count|count({__name__=~"bench_metric_.*", instance=~"host-[1-3]"})'
	'subquery|max_over_time(sum(rate({job="bench"}[5m]))[10m:1m])'
)

time_one() { # url query -> seconds, or "err"
	local r
	r=$(curl -s -o "$tmp/body" -w '%{http_code} %{time_total}' -G --data-urlencode "query=$2" \
		--data-urlencode "start=$QSTART" --data-urlencode "end=$QEND" --data-urlencode "step=$STEP" \
		"$1/api/v1/query_range")
	[ "${r%% *}" = 200 ] || { echo err; return; }
	echo "${r#* }"
}
median_ms() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] * 1000 }'; }

echo "query_range over $SERIES series x $ROUNDS samples, $(((QEND - QSTART) / STEP + 1)) steps; median of $RUNS runs"
printf '%-28s %10s %12s %8s\n' query "flint ms" "prom ms" "prom/flint"
tf=0 tp=0 rc=0
for entry in "${QUERIES[@]}"; do
	label=${entry%%|*}
	q=${entry#*|}
	: >"$tmp/t.flint"
	: >"$tmp/t.prometheus"
	for _ in $(seq "$RUNS"); do
		for name in flint prometheus; do time_one "${URL[$name]}" "$q" >>"$tmp/t.$name"; done
	done
	if grep -q err "$tmp/t.flint" "$tmp/t.prometheus"; then
		printf '%-28s %10s %12s\n' "$label" "$(grep -c err "$tmp/t.flint") err" "$(grep -c err "$tmp/t.prometheus") err"
		rc=1
		continue
	fi
	f=$(median_ms <"$tmp/t.flint")
	p=$(median_ms <"$tmp/t.prometheus")
	tf=$(awk -v a="$tf" -v b="$f" 'BEGIN { print a + b }')
	tp=$(awk -v a="$tp" -v b="$p" 'BEGIN { print a + b }')
	awk -v l="$label" -v f="$f" -v p="$p" 'BEGIN { printf "%-28s %10.2f %12.2f %8s\n", l, f, p, (f > 0 ? sprintf("x%.2f", p / f) : "-") }'
done
awk -v f="$tf" -v p="$tp" 'BEGIN { printf "%-28s %10.2f %12.2f %8s\n", "total", f, p, (f > 0 ? sprintf("x%.2f", p / f) : "-") }'
exit $rc
