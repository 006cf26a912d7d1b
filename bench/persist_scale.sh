#!/usr/bin/env bash
# persist_scale.sh - restart and block compaction at scale, flint (build/rel)
# against Debian's Prometheus 2.42 on the same directory, one server after
# the other on free loopback ports:
#   - bench_pgen writes one data directory through flint's db (appender,
#     WAL, head chunks, head compaction): BENCH_RSERIES series (default
#     50,000), a sample every BENCH_RSTEP seconds (default 60) over 9.5 h
#     ending at least 2.5 h in the past, aligned so that four level-1 2 h
#     blocks cover the first 8 h (the first three fill a 6 h range) and the
#     head holds the last 1.5 h of every series (WAL + checkpoint);
#   - each server starts on its own copy: restart time = launch to /-/ready
#     answering 200 (blocks loaded, WAL replayed);
#   - then its peak RSS is reset (/proc/PID/clear_refs 5) and it is left to
#     compact: both run compaction a minute after start, and the plan
#     merges the three 2 h blocks into one 6 h block. Reported: the
#     compaction's duration (prometheus_tsdb_compaction_duration_seconds_sum;
#     flint's includes reloading the block set, Prometheus's only the write),
#     and the peak RSS while it compacted (VmHWM after the reset) and its
#     rise over the RSS at ready.
# Prints each figure for both and the ratio (flint's advantage: >1 is better
# for flint). The 1M-series run: BENCH_RSERIES=1000000 BENCH_RSTEP=300 (a
# few minutes and ~10 GB of RAM for Prometheus); every wait is bounded.
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
SERIES=${BENCH_RSERIES:-50000}
STEP=${BENCH_RSTEP:-60}
FLINT=$BUILD/flint
GEN=$BUILD/bench/bench_pgen
for need in "$FLINT" "$GEN"; do
	[ -x "$need" ] || { echo "persist_scale: $need not built"; exit 1; }
done
command -v prometheus >/dev/null || { echo "persist_scale: prometheus not installed (make deps)"; exit 1; }

tmp=$(mktemp -d /tmp/flint-pscale.XXXXXX)
. "$(dirname "$0")/lib.bash"

H=3600000
START=$(($(date +%s) / 21600 * 21600 * 1000 - 12 * H)) # a 6 h boundary, 12 h back
END=$((START + 19 * H / 2))
echo "generating $SERIES series x a sample every $STEP s over 9.5 h (from $(date -u -d @$((START / 1000)) +%FT%TZ)) with bench_pgen"
"$GEN" "$tmp/gen" "$SERIES" "$STEP" "$START" "$END" || exit 1
rm -f "$tmp/gen/lock"
echo "directory: $(du -sh "$tmp/gen" | cut -f1) ($(ls -d "$tmp"/gen/*/ | wc -l) entries; $(du -sh "$tmp/gen/wal" | cut -f1) WAL)"

run() { # name -> prints "name restart_s compact_s hwm_mb rise_mb blocks"
	local name=$1 port url t0 t1
	cp -a "$tmp/gen" "$tmp/data-$name"
	sync
	port=$(free_port)
	url=http://127.0.0.1:$port
	t0=$(now_s)
	start "$name" "$port"
	if ! wait_ready "$url" 900; then
		echo "persist_scale: $name was not ready within 900 s: $(tail -3 "$tmp/$name.log")" >&2
		return 1
	fi
	t1=$(now_s)
	local restart_s rss0
	restart_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	rss0=$(rss_kb "$pid")
	echo 5 >"/proc/$pid/clear_refs" # VmHWM := VmRSS
	echo "persist_scale: $name ready in $restart_s s, RSS $((rss0 / 1024)) MiB" >&2
	local n=0 last=-1 stable=0
	for _ in $(seq 600); do # a minute until the first round, then the compaction itself
		n=$(metric "$url" prometheus_tsdb_compactions_total)
		n=${n:-0}
		if [ "${n%.*}" -ge 1 ] 2>/dev/null; then
			if [ "$n" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
			[ $stable -ge 6 ] && break
		fi
		last=$n
		kill -0 "$pid" 2>/dev/null || { echo "persist_scale: $name died: $(tail -3 "$tmp/$name.log")" >&2; return 1; }
		sleep 0.5
	done
	local csum=n/a hwm rise blocks=0 d
	if [ "${n%.*}" -ge 1 ] 2>/dev/null; then
		csum=$(awk -v s="$(metric "$url" prometheus_tsdb_compaction_duration_seconds_sum)" 'BEGIN { printf "%.2f", s }')
	else
		echo "persist_scale: $name: no compaction within 300 s" >&2
	fi
	hwm=$(hwm_kb "$pid")
	rise=$(awk -v h="$hwm" -v r="$rss0" 'BEGIN { printf "%.0f", (h - r) / 1024 }')
	hwm=$(awk -v h="$hwm" 'BEGIN { printf "%.0f", h / 1024 }')
	for d in "$tmp/data-$name"/*/; do [ -f "$d/meta.json" ] && blocks=$((blocks + 1)); done
	echo "persist_scale: $name: compactions $n, failed $(metric "$url" prometheus_tsdb_compactions_failed_total), $blocks blocks after" >&2
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	pid=
	rm -rf "$tmp/data-$name"
	echo "$name $restart_s $csum $hwm $rise $blocks"
}

run flint >"$tmp/flint.res" || exit 1
run prometheus >"$tmp/prometheus.res" || exit 1
read -r _ f_rs f_c f_hwm f_rise f_b <"$tmp/flint.res"
read -r _ p_rs p_c p_hwm p_rise p_b <"$tmp/prometheus.res"
header "at $SERIES series, ${STEP}s samples"
row "start to ready (4 blocks + head)" "$f_rs" "$p_rs" s 0
awk -v f="$f_rs" -v n="$SERIES" 'BEGIN { if (f ~ /^[0-9.]+$/) printf "  flint: %.2f s per million series (aim < 10 s; extrapolated below 1M)\n", f / (n / 1e6) }'
row "block compaction 3x2h -> 6h" "$f_c" "$p_c" s 0
row "peak RSS while compacting" "$f_hwm" "$p_hwm" MiB 0
row "  its rise over RSS at ready" "$f_rise" "$p_rise" MiB 0
printf '%-34s %14s %14s\n' "  blocks after" "$f_b" "$p_b"
