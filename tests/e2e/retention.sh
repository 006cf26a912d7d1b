#!/usr/bin/env bash
# retention.sh - --storage.tsdb.retention.time and .size (tsdb/db_blocks.c)
# against Debian's Prometheus 2.42 as the oracle: each is started on its own
# copy of the same data directory (wal-with-checkpoint: three blocks, the
# level-2 one 4h behind the newest, a checkpoint, WAL and head chunks) with
# the same flag, and both must keep the same blocks, delete the rest from
# disk and count it under the same metric. Thanos-style block durations
# (min = max = 2h) are accepted. Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
need "$FLINT" curl prometheus "$PY"

SRC=$SHARED/conformance/tsdb/wal-with-checkpoint/data
L2=01M8602FC3K55VFHHV60XC24K6 # [1795458135000, 1795478400000), level 2
A=01M8602F5MD0AETRF39S1CFQKN  # 2h behind the newest
B=01M8602FAQF8A1Y3016JHRTB8E  # the newest

copy() { cp -r "$SRC" "$tmp/$1-data" && chmod -R u+w "$tmp/$1-data"; }
metric() { curl -s "$1/metrics" | grep "^$2 " | awk '{print $2}'; }
blocks() { (cd "$1" && ls -d 01* 2>/dev/null | sort | tr '\n' ' '); }

# run NAME FLAGS...: flint and Prometheus on copies, same flags; compare
run() {
	local name=$1
	shift
	copy "f$name"
	copy "p$name"
	local FP PP
	FP=$(free_port)
	PP=$(free_port)
	start_flint "f$name" "$FP" "$@"
	printf 'global:\n  scrape_interval: 15s\n' >"$tmp/p$name.yml"
	start_prom "p$name" "$PP" "$tmp/p$name.yml" "$@"
	local fb pb
	fb=$(blocks "$tmp/f$name-data")
	pb=$(blocks "$tmp/p$name-data")
	check_eq "$name: same blocks left on disk as Prometheus" "$fb" "$pb"
	check_eq "$name: blocks left" "$fb" "$want"
	for m in prometheus_tsdb_blocks_loaded prometheus_tsdb_time_retentions_total prometheus_tsdb_size_retentions_total \
		prometheus_tsdb_retention_limit_bytes; do
		check_eq "$name: $m as Prometheus" "$(metric "http://127.0.0.1:$FP" $m)" "$(metric "http://127.0.0.1:$PP" $m)"
	done
	check_eq "$name: no tmp dirs left" "$(ls "$tmp/f$name-data" | grep -c tmp)" 0
}

want="$A $B "
run time --storage.tsdb.retention.time=3h

# size: the WAL and head chunks count, then blocks newest first; the limit
# leaves room for the two newest only
files() { find "$@" -type f -printf '%s\n' | awk '{s += $1} END {print s}'; }
limit=$(($(files "$SRC/wal" "$SRC/chunks_head" "$SRC/$A" "$SRC/$B") + 20000))
run size --storage.tsdb.retention.size="${limit}B"

want="$A $B $L2 "
run thanos --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=2h

# promtool reads what retention left
out=$(promtool tsdb list "$tmp/ftime-data" 2>&1)
check_has "promtool tsdb list after retention" "$out" "$B"
case "$out" in *"$L2"*) fail "promtool: deleted block gone" "$out" ;; *) ok "promtool: deleted block gone" ;; esac
finish
