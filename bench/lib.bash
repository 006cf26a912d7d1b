# lib.bash - sourced by the benchmark scripts that run flint and Debian's
# Prometheus one after the other (compare.sh, persist.sh); never run, and
# not a bench/*.sh, so run.sh does not run it. The caller sets FLINT and tmp
# (a fresh temporary directory) before sourcing; the server it runs is $pid,
# which the EXIT trap set here kills, then $tmp is removed.
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
now_s() { date +%s.%N; }
metric() { # url name -> the sample's value on url/metrics (empty if absent)
	curl -s --max-time 10 "$1/metrics" | awk -v n="$2" '$1 == n { print $2; exit }'
}
wait_ready() { # url seconds (gives up early when the server died)
	for _ in $(seq $(($2 * 20))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1/-/ready")" = 200 ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

printf 'global:\n  scrape_interval: 1m\n' >"$tmp/cfg.yml"
start() { # name port [flags...] -> sets pid; data in $tmp/data-NAME, log in $tmp/NAME.log
	local dir=$tmp/data-$1 addr=127.0.0.1:$2
	case $1 in
	flint) "$FLINT" --config.file="$tmp/cfg.yml" --storage.tsdb.path="$dir" --web.listen-address="$addr" \
		--web.enable-remote-write-receiver "${@:3}" >>"$tmp/$1.log" 2>&1 & ;;
	prometheus) prometheus --config.file="$tmp/cfg.yml" --storage.tsdb.path="$dir" --web.listen-address="$addr" \
		--web.enable-remote-write-receiver "${@:3}" >>"$tmp/$1.log" 2>&1 & ;;
	# remote write at /api/v1/write; no rollup result cache (flint and Prometheus
	# have none) and no latency offset (the newest samples are queried at once);
	# retention far beyond any timestamp a benchmark sends; queries may
	# select 1M series (its default bound is 300k) and run as long as
	# Prometheus lets them (2m; its default 30s)
	victoria-metrics) victoria-metrics -storageDataPath="$dir" -httpListenAddr="$addr" -retentionPeriod=100y \
		-search.disableCache -search.latencyOffset=0s -search.maxUniqueTimeseries=10000000 -search.maxQueryDuration=2m -loggerLevel=WARN \
		"${@:3}" >>"$tmp/$1.log" 2>&1 & ;;
	esac
	pid=$!
}

restart() { # name port seconds -> sets restart_s: the seconds from the old server's exit to ready
	# (or ">SECONDS"), then stops it. Not in $(...): $pid must be this shell's child
	local t0 t1
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	t0=$(now_s)
	start "$1" "$2"
	if wait_ready "http://127.0.0.1:$2" "$3"; then
		t1=$(now_s)
		restart_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		kill -TERM "$pid"
	else
		restart_s=">$3"
		echo "$(basename "$0"): $1 was not ready within $3 s of a restart: $(tail -3 "$tmp/$1.log")" >&2
		kill -KILL "$pid"
	fi
	wait "$pid" 2>/dev/null
	pid=
}

row() { # label flint prom unit higher_is_better [victoria] (the ratios: flint's advantage, >1 better)
	awk -v l="$1" -v f="$2" -v p="$3" -v u="$4" -v h="$5" -v v="${6-}" -v has_v="${6+1}" '
	function ratio(o) {
		if (f !~ /^[0-9.]+$/ || o !~ /^[0-9.]+$/ || f + 0 == 0 || o + 0 == 0) return "-"
		return sprintf("x%.2f", (h == 1) ? f / o : o / f)
	}
	BEGIN {
		if (has_v) printf "%-34s %14s %14s %14s %-12s %s, %s\n", l, f, p, v, u, ratio(p), ratio(v)
		else printf "%-34s %14s %14s %-12s %s\n", l, f, p, u, ratio(p) }'
}
header() { # title [victoria]: the columns row prints
	if [ $# -gt 1 ]; then
		printf '%-34s %14s %14s %14s %-12s %s\n' "$1" flint prometheus victoria unit "flint advantage (vs prom, vs vm)"
	else printf '%-34s %14s %14s %-12s %s\n' "$1" flint prometheus unit "flint advantage"; fi
}
