#!/usr/bin/env bash
# persist.sh - persistence, flint (build/rel) against Debian's Prometheus, on
# the same data, one server after the other on free loopback ports:
#   - head compaction: BENCH_PSERIES series x BENCH_PROUNDS samples (15 s
#     apart, more than 3 h, ending at the last 2 h boundary in the past) are
#     pushed with bench_remote (remote write 1.0); the head then spans more
#     than 1.5 x 2 h, so each server cuts a block (flint on its next commit,
#     Prometheus within its 1-minute loop; waited for up to 150 s by polling
#     prometheus_tsdb_compactions_total). Reported: the sum of compaction
#     durations (prometheus_tsdb_compaction_duration_seconds_sum, both
#     export it), peak RSS (VmHWM) after compaction, and block bytes per
#     sample (du of the block directories / numSamples of their meta.json).
#   - restart with a head plus blocks: SIGTERM, start again on the same
#     directory, time until /-/ready answers 200.
# Prints each figure for both and the ratio (flint's advantage: >1 is
# better for flint). Bounded: a few minutes at the defaults; traps kill
# every server.
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
SERIES=${BENCH_PSERIES:-20000}
ROUNDS=${BENCH_PROUNDS:-800} # 800 x 15 s = 3 h 20 min
FLINT=$BUILD/flint
BENCH=$BUILD/bench/bench_remote
for need in "$FLINT" "$BENCH"; do
	[ -x "$need" ] || { echo "persist: $need not built"; exit 1; }
done
command -v prometheus >/dev/null || { echo "persist: prometheus not installed (make deps)"; exit 1; }

tmp=$(mktemp -d /tmp/flint-pbench.XXXXXX)
. "$(dirname "$0")/lib.bash"

# the last 2 h boundary in the past: nothing lies in the future
END_MS=$(($(date +%s) / 7200 * 7200 * 1000))

run() { # name -> prints "name ingest_s compact_s blocks hwm_mb bytes_per_sample restart_s"
	local name=$1 port url
	port=$(free_port)
	url=http://127.0.0.1:$port
	start "$name" "$port"
	if ! wait_ready "$url" 60; then
		echo "persist: $name did not become ready: $(tail -3 "$tmp/$name.log")" >&2
		return 1
	fi
	local out t0 t1 ingest
	t0=$(now_s)
	out=$(timeout 150 "$BENCH" load "$url/api/v1/write" "$SERIES" "$ROUNDS" 2 "$END_MS" 2000) ||
		{ echo "persist: $name: load failed: $out" >&2; return 1; }
	t1=$(now_s)
	ingest=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	echo "persist: $name: $out" >&2
	# wait for the head compaction (bounded), then for the counter to settle
	local n=0 last=-1 stable=0
	for _ in $(seq 300); do
		n=$(metric "$url" prometheus_tsdb_compactions_total)
		n=${n:-0}
		if [ "${n%.*}" -ge 1 ] 2>/dev/null; then
			if [ "$n" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
			[ $stable -ge 4 ] && break
		fi
		last=$n
		kill -0 "$pid" 2>/dev/null || { echo "persist: $name died: $(tail -3 "$tmp/$name.log")" >&2; return 1; }
		sleep 0.5
	done
	local csum blocks hwm bps
	if [ "${n%.*}" -ge 1 ] 2>/dev/null; then
		csum=$(metric "$url" prometheus_tsdb_compaction_duration_seconds_sum)
		csum=$(awk -v s="${csum:-0}" 'BEGIN { printf "%.3f", s }')
	else
		csum=n/a
		echo "persist: $name: no compaction within 150 s" >&2
	fi
	echo "persist: $name: compactions $n, failed $(metric "$url" prometheus_tsdb_compactions_failed_total)" >&2
	hwm=$(awk -v kb="$(hwm_kb "$pid")" 'BEGIN { printf "%.0f", kb / 1024 }')
	# block directories: those holding a meta.json
	local bytes=0 samples=0 d
	blocks=0
	for d in "$tmp/data-$name"/*/; do
		[ -f "$d/meta.json" ] || continue
		blocks=$((blocks + 1))
		bytes=$((bytes + $(du -sb "$d" | cut -f1)))
		samples=$((samples + $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["numSamples"])' "$d/meta.json")))
	done
	bps=$(awk -v b="$bytes" -v s="$samples" 'BEGIN { if (s > 0) printf "%.3f", b / s; else print "n/a" }')
	echo "persist: $name: $blocks block(s), $bytes bytes, $samples samples" >&2
	restart "$name" "$port" 120
	echo "$name $ingest $csum $blocks $hwm $bps $restart_s"
}

echo "pushing $SERIES series x $ROUNDS samples (15 s apart, ending $(date -u -d @$((END_MS / 1000)) +%FT%TZ)) to each"
run flint >"$tmp/flint.res" || exit 1
run prometheus >"$tmp/prometheus.res" || exit 1
read -r _ f_in f_c f_b f_hwm f_bps f_rs <"$tmp/flint.res"
read -r _ p_in p_c p_b p_hwm p_bps p_rs <"$tmp/prometheus.res"
header "at $SERIES series x $ROUNDS"
row "push (wall, as the sender saw it)" "$f_in" "$p_in" s 0
row "head compaction (sum of durations)" "$f_c" "$p_c" s 0
printf '%-34s %14s %14s\n' "  blocks written" "$f_b" "$p_b"
row "peak RSS after compaction" "$f_hwm" "$p_hwm" MiB 0
row "block bytes per sample" "$f_bps" "$p_bps" bytes 0
row "restart to ready (head + blocks)" "$f_rs" "$p_rs" s 0
