#!/usr/bin/env bash
# soak.sh - a compressed 24-hour soak, flint (build/rel) against Debian's
# Prometheus 2.42, one after the other on free loopback ports, the same data
# for both: BENCH_SOAK_SERIES series (default 10,000), one sample every
# 15 s, pushed by bench_remote (remote write 1.0) an hour of data at a time
# with timestamps from BENCH_SOAK_HOURS hours ago (default 24) up to the
# last 2 h boundary, as fast as the server takes them: each 2 h block range
# passes in seconds to minutes. Both run with the default 2 h block range,
# --storage.tsdb.retention.time=12h and --storage.tsdb.max-block-duration=6h
# (so 2 h blocks are compacted to 6 h ones, and blocks fall out of the 12 h
# retention once 12 h of data lie behind the newest block).
# After every 2 h of data it prints, for each server, RSS, WAL size
# (wal/, checkpoint included), chunks_head/ size and blocks; at the end
# (after the servers' compaction has settled) the final figures with their
# ratios, and how flat each one stayed: the largest RSS and WAL over the
# last third of the run against the largest over the middle third (x1.00 =
# flat; the WAL is a sawtooth between truncations, so its maxima compare).
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
SERIES=${BENCH_SOAK_SERIES:-10000}
HOURS=${BENCH_SOAK_HOURS:-24}
FLINT=$BUILD/flint
BENCH=$BUILD/bench/bench_remote
for need in "$FLINT" "$BENCH"; do
	[ -x "$need" ] || { echo "soak: $need not built"; exit 1; }
done
command -v prometheus >/dev/null || { echo "soak: prometheus not installed (make deps)"; exit 1; }

tmp=$(mktemp -d /tmp/flint-soak.XXXXXX)
. "$(dirname "$0")/lib.bash"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
dir_bytes() { [ -d "$1" ] && du -sb "$1" | cut -f1 || echo 0; }

H=3600000
END=$(($(date +%s) / 7200 * 7200 * 1000)) # the last 2 h boundary: nothing in the future
FLAGS=(--storage.tsdb.retention.time=12h --storage.tsdb.max-block-duration=6h)

sample() { # name hour -> one line "hour rss_kb wal_bytes head_chunks_bytes blocks"
	local dir=$tmp/data-$1 blocks=0 d
	for d in "$dir"/*/; do [ -f "$d/meta.json" ] && blocks=$((blocks + 1)); done
	echo "$2 $(rss_kb "$pid") $(dir_bytes "$dir/wal") $(dir_bytes "$dir/chunks_head") $blocks"
}

run() { # name -> the samples in $tmp/NAME.soak, the last one after compaction settled
	local name=$1 port url k out
	port=$(free_port)
	url=http://127.0.0.1:$port
	start "$name" "$port" "${FLAGS[@]}"
	if ! wait_ready "$url" 60; then
		echo "soak: $name did not become ready: $(tail -3 "$tmp/$name.log")" >&2
		return 1
	fi
	local t0 t1
	t0=$(now_s)
	for k in $(seq "$HOURS"); do
		out=$(timeout 600 "$BENCH" load "$url/api/v1/write" "$SERIES" 240 2 $((END - (HOURS - k) * H)) 2000) ||
			{ echo "soak: $name: hour $k: load failed: $out" >&2; return 1; }
		[ $((k % 2)) = 0 ] && sample "$name" "$k" >>"$tmp/$name.soak"
	done
	t1=$(now_s)
	# let the last compactions and retention run (bounded): until the block
	# count and the WAL size stop changing for 5 s
	local last= same=0 s
	for _ in $(seq 240); do
		s=$(sample "$name" "$HOURS" | cut -d' ' -f3,5)
		if [ "$s" = "$last" ]; then same=$((same + 1)); else same=0; fi
		[ $same -ge 10 ] && break
		last=$s
		sleep 0.5
	done
	sample "$name" "end" >>"$tmp/$name.soak"
	echo "soak: $name: $((SERIES * 240 * HOURS)) samples pushed in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s;" \
		"compactions $(metric "$url" prometheus_tsdb_compactions_total), failed $(metric "$url" prometheus_tsdb_compactions_failed_total)," \
		"time retentions $(metric "$url" prometheus_tsdb_time_retentions_total)" >&2
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	pid=
	rm -rf "$tmp/data-$name"
}

echo "pushing $HOURS h of $SERIES series at 15 s (ending $(date -u -d @$((END / 1000)) +%FT%TZ)), retention 12h, blocks 2h -> 6h"
run flint || exit 1
run prometheus || exit 1
printf '%-6s | %-34s | %-34s\n' "" "flint" "prometheus"
printf '%-6s | %8s %8s %8s %6s | %8s %8s %8s %6s\n' "hour" "RSS MiB" "WAL MiB" "hchunks" "blocks" "RSS MiB" "WAL MiB" "hchunks" "blocks"
paste -d' ' "$tmp/flint.soak" "$tmp/prometheus.soak" | while read -r h f_rss f_wal f_hc f_b _ p_rss p_wal p_hc p_b; do
	printf '%-6s | %8s %8s %8s %6s | %8s %8s %8s %6s\n' "$h" "$(mib $((f_rss * 1024)))" "$(mib "$f_wal")" "$(mib "$f_hc")" "$f_b" \
		"$(mib $((p_rss * 1024)))" "$(mib "$p_wal")" "$(mib "$p_hc")" "$p_b"
done
flat() { # file column -> the largest value over the last third / the largest over the middle third
	awk -v c="$2" '{ v[NR] = $c } END { a = int(NR / 3) + 1; b = int(2 * NR / 3) + 1; m1 = m2 = 0
		for (i = a; i < b; i++) if (v[i] > m1) m1 = v[i]
		for (i = b; i <= NR; i++) if (v[i] > m2) m2 = v[i]
		if (m1 > 0) printf "%.2f", m2 / m1; else print "n/a" }' "$1"
}
read -r _ f_rss f_wal _ <<<"$(tail -1 "$tmp/flint.soak")"
read -r _ p_rss p_wal _ <<<"$(tail -1 "$tmp/prometheus.soak")"
header "soak, end of $HOURS h of data"
row "RSS at the end" "$(mib $((f_rss * 1024)))" "$(mib $((p_rss * 1024)))" MiB 0
row "WAL at the end" "$(mib "$f_wal")" "$(mib "$p_wal")" MiB 0
printf '%-34s %14s %14s\n' "  RSS, max last third / middle" "x$(flat "$tmp/flint.soak" 2)" "x$(flat "$tmp/prometheus.soak" 2)"
printf '%-34s %14s %14s\n' "  WAL, max last third / middle" "x$(flat "$tmp/flint.soak" 3)" "x$(flat "$tmp/prometheus.soak" 3)"
