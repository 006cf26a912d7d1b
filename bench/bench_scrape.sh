#!/usr/bin/env bash
# bench_scrape.sh - server CPU per scraped sample (issue 16 "Benchmarks"):
# flint (build/rel), Debian's Prometheus 2.42 and, when installed, Debian's
# VictoriaMetrics (single node with -promscrape.config) scrape the same
# loopback targets, one server after the other so they never share the two
# cores. The targets are one page_server.py process listening on TARGETS
# ports, each serving the same SERIES-series page (bench_metric, two labels,
# values that move every 15 s), scraped every INTERVAL by one static job.
#   - warm-up: until every target has been scraped once (the series exist)
#     and one more interval has begun;
#   - then DURATION seconds measured: the server's utime+stime (from
#     /proc/PID/stat, before and after) over the samples it scraped in that
#     time (the pages it fetched, counted by the page server, x SERIES);
#   - printed: CPU-seconds per million scraped samples, the samples/s
#     scraped, and peak RSS, side by side with flint's advantage (>1 better).
# Knobs (defaults are the quick run; BENCH_SCRAPE_FULL=1 is the issue's
# 1,000 x 1,000 at 15 s over two minutes):
#   BENCH_SCRAPE_TARGETS (200), BENCH_SCRAPE_SERIES (1000),
#   BENCH_SCRAPE_INTERVAL (15, seconds), BENCH_SCRAPE_DURATION (60, seconds),
#   BENCH_SCRAPE_SERVERS (all: "flint prometheus victoria-metrics"; e.g.
#   "flint" alone while profiling it)
# Exits non-zero when a server scrapes nothing (flint without its scraper).
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
if [ -n "${BENCH_SCRAPE_FULL:-}" ]; then
	TARGETS=${BENCH_SCRAPE_TARGETS:-1000} DURATION=${BENCH_SCRAPE_DURATION:-120}
else
	TARGETS=${BENCH_SCRAPE_TARGETS:-200} DURATION=${BENCH_SCRAPE_DURATION:-60}
fi
SERIES=${BENCH_SCRAPE_SERIES:-1000}
INTERVAL=${BENCH_SCRAPE_INTERVAL:-15}
FLINT=$BUILD/flint
PAGES=$FLINT_ROOT/tests/e2e/page_server.py
[ -x "$FLINT" ] || { echo "bench_scrape: $FLINT not built"; exit 1; }
command -v prometheus >/dev/null || { echo "bench_scrape: prometheus not installed (make deps)"; exit 1; }
VM=$(command -v victoria-metrics || true)

tmp=$(mktemp -d /tmp/flint-bench-scrape.XXXXXX)
TCK=$(getconf CLK_TCK)
. "$(dirname "$0")/lib.bash"
pages_pid=
trap '[ -n "$pages_pid" ] && kill "$pages_pid" 2>/dev/null; cleanup' EXIT

echo "bench_scrape: $TARGETS targets x $SERIES series every ${INTERVAL}s, ${DURATION}s measured after warm-up" \
	"(BENCH_SCRAPE_TARGETS/_SERIES/_INTERVAL/_DURATION, BENCH_SCRAPE_FULL=1 for 1000 x 1000 over 120 s)"
python3 "$PAGES" --bench-series "$SERIES" --lifetime $((4 * (DURATION + 4 * INTERVAL) + 120)) \
	"$tmp/pages.ports" "bench:$TARGETS" >"$tmp/pages.log" 2>&1 &
pages_pid=$!
for _ in $(seq 300); do [ -s "$tmp/pages.ports" ] && break; sleep 0.1; done
[ -s "$tmp/pages.ports" ] || { echo "bench_scrape: page server did not start: $(tail -3 "$tmp/pages.log")"; exit 1; }
CONTROL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["control"])' "$tmp/pages.ports")
{
	printf 'global:\n  scrape_interval: %ss\n  scrape_timeout: %ss\nscrape_configs:\n  - job_name: bench\n    static_configs:\n      - targets:\n' \
		"$INTERVAL" "$((INTERVAL < 10 ? INTERVAL : 10))"
	python3 -c 'import json,sys; [print("          - 127.0.0.1:%d" % p) for p in json.load(open(sys.argv[1]))["bench"]]' "$tmp/pages.ports"
} >"$tmp/cfg.yml"

pages_served() { # total pages the page server has answered
	curl -s "http://127.0.0.1:$CONTROL/counts" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin).values()))'
}
start_vm() { # port: VictoriaMetrics scraping with the same file -> pid
	"$VM" -storageDataPath="$tmp/data-vm" -httpListenAddr=127.0.0.1:"$1" -promscrape.config="$tmp/cfg.yml" \
		-loggerLevel=WARN >>"$tmp/victoria-metrics.log" 2>&1 &
	pid=$!
}

run() { # name -> sets cpu[name] rate[name] rss[name] ("-" when it scraped nothing; then returns 1).
	# Not in $(...) or <(...): $pid must be this shell's child, for the trap
	local name=$1 port url
	port=$(free_port)
	url=http://127.0.0.1:$port
	case $name in victoria-metrics) start_vm "$port" ;; *) start "$name" "$port" ;; esac
	if ! wait_ready "$url" 60; then
		echo "bench_scrape: $name did not become ready: $(tail -3 "$tmp/$name.log")" >&2
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
		return 1
	fi
	# warm-up: every target scraped once, then the next interval begun
	local base n0 n1 c0 c1 t0 t1 end=$((SECONDS + 2 * INTERVAL + 30))
	base=$(pages_served)
	while [ $(($(pages_served) - base)) -lt "$TARGETS" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.5; done
	if [ $(($(pages_served) - base)) -lt "$TARGETS" ]; then
		echo "bench_scrape: $name scraped $(($(pages_served) - base)) of $TARGETS targets in $((2 * INTERVAL + 30)) s" >&2
		kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
		return 1
	fi
	sleep 2
	n0=$(pages_served); c0=$(cpu_ticks "$pid"); t0=$(now_s)
	sleep "$DURATION"
	n1=$(pages_served); c1=$(cpu_ticks "$pid"); t1=$(now_s)
	local hwm
	hwm=$(hwm_kb "$pid")
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
	echo "bench_scrape: $name: $((n1 - n0)) pages in ${DURATION}s, $((c1 - c0)) CPU ticks" >&2
	[ "$n1" -gt "$n0" ] || return 1
	read -r "cpu[$name]" "rate[$name]" "rss[$name]" < <(awk -v n=$(((n1 - n0) * SERIES)) -v d=$((c1 - c0)) \
		-v t="$TCK" -v s0="$t0" -v s1="$t1" -v h="$hwm" 'BEGIN { printf "%.3f %.0f %.0f\n", d / t / (n / 1e6), n / (s1 - s0), h / 1024 }')
}

rc=0
servers=(flint prometheus)
[ -n "$VM" ] && servers+=(victoria-metrics)
if [ -n "${BENCH_SCRAPE_SERVERS:-}" ]; then
	read -r -a servers <<<"$BENCH_SCRAPE_SERVERS"
	[[ " $BENCH_SCRAPE_SERVERS " == *" victoria-metrics "* ]] || VM=
fi
declare -A cpu rate rss
for s in flint prometheus victoria-metrics; do cpu[$s]=- rate[$s]=- rss[$s]=-; done
for s in "${servers[@]}"; do
	cpu[$s]=- rate[$s]=- rss[$s]=-
	run "$s" || rc=1
done

ratio() { # a b -> b/a as xN.NN (flint's advantage), or -
	awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || a + 0 == 0) print "-"; else printf "x%.2f\n", b / a }'
}
printf '%-30s %12s %12s %12s %-8s %s\n' "scrape ($TARGETS x $SERIES @ ${INTERVAL}s)" flint prometheus \
	"$([ -n "$VM" ] && echo victoria || echo -)" unit "flint advantage vs prometheus[, vs victoria]"
line() { # label key unit lower_is_better
	local -n m=$2
	local f=${m[flint]} p=${m[prometheus]} v=${m[victoria-metrics]:--} adv
	if [ "$4" = 1 ]; then adv="$(ratio "$f" "$p")"; [ -n "$VM" ] && adv="$adv, $(ratio "$f" "$v")"
	else adv="$(ratio "$p" "$f")"; [ -n "$VM" ] && adv="$adv, $(ratio "$v" "$f")"; fi
	printf '%-30s %12s %12s %12s %-8s %s\n' "$1" "$f" "$p" "$v" "$3" "$adv"
}
line "CPU per million samples" cpu "cpu-s" 1
line "samples scraped per second" rate "1/s" 0
line "peak RSS" rss "MiB" 1
[ "$rc" = 0 ] || echo "bench_scrape: a server scraped nothing (see above)"
exit $rc
