#!/usr/bin/env bash
# bench_rw_metadata.sh - remote_write metadata_config, flint and Debian's
# Prometheus side by side: both scrape the same page of FAMILIES metric
# families (a HELP and TYPE each; scrape_interval 10s) and send its metadata
# every 1 s (metadata_config.send_interval) to the same flint receiver.
# Once both have scraped the page, each server's CPU is taken over SECONDS;
# then both run again with send: false, and the difference is the metadata
# sender's. Prints, per server: metadata entries sent in the window, sender
# CPU seconds (send - no send), microseconds of CPU per entry, and
# compressed bytes per entry (metadata_bytes_total / metadata_total).
# Env: BENCH_RW_META_FAMILIES (default 5000), BENCH_RW_META_SECONDS (30).
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
FLINT=$BUILD/flint
FAMILIES=${BENCH_RW_META_FAMILIES:-5000}
SECONDS_RUN=${BENCH_RW_META_SECONDS:-30}
tmp=$(mktemp -d /tmp/flint-bench-rwmeta.XXXXXX)
. "$(dirname "$0")/lib.bash"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; cleanup' EXIT
[ -x "$FLINT" ] || { echo "bench_rw_metadata: build $FLINT first (make build-rel)"; exit 1; }
command -v prometheus >/dev/null || { echo "bench_rw_metadata: prometheus not installed (make deps)"; exit 1; }

python3 - "$FAMILIES" >"$tmp/page.txt" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print(f"# HELP fam_{i}_total Family number {i} of the metadata benchmark, with some help text.")
    print(f"# TYPE fam_{i}_total counter")
    print(f"fam_{i}_total {i}")
PY
TP=$(free_port) RP=$(free_port) SP=$(free_port) PP=$(free_port)
# the page (python's file server, bounded by the trap) and the receiver
python3 -m http.server "$TP" --bind 127.0.0.1 --directory "$tmp" >/dev/null 2>&1 &
pids+=($!)
"$FLINT" --config.file=/dev/null --storage.tsdb.path="$tmp/data-r" --web.listen-address=127.0.0.1:"$RP" \
	--web.enable-remote-write-receiver >"$tmp/r.log" 2>&1 &
pids+=($!)

# has URL: the server scraped the page's last family
has() { curl -s --max-time 5 "$1/api/v1/metadata?metric=fam_$((FAMILIES - 1))_total" | grep -q counter; }
metric_sum() { curl -s --max-time 10 "$1/metrics" | awk -v n="$2" '$1 ~ "^" n "({|$)" { s += $NF } END { print s + 0 }'; }

declare -A cpu sent bytes
for send in true false; do
	cat >"$tmp/c.yml" <<EOF
global: {scrape_interval: 10s}
scrape_configs: [{job_name: b, metrics_path: /page.txt, static_configs: [{targets: ['127.0.0.1:$TP']}]}]
remote_write: [{url: 'http://127.0.0.1:$RP/api/v1/write', metadata_config: {send: $send, send_interval: 1s}}]
EOF
	"$FLINT" --config.file="$tmp/c.yml" --storage.tsdb.path="$tmp/data-s-$send" --web.listen-address=127.0.0.1:"$SP" \
		>"$tmp/s.log" 2>&1 &
	s=$!
	prometheus --config.file="$tmp/c.yml" --storage.tsdb.path="$tmp/data-p-$send" --web.listen-address=127.0.0.1:"$PP" \
		>"$tmp/p.log" 2>&1 &
	p=$!
	pids+=($s $p)
	for _ in $(seq 150); do has "http://127.0.0.1:$SP" && has "http://127.0.0.1:$PP" && break; sleep 1; done
	has "http://127.0.0.1:$SP" && has "http://127.0.0.1:$PP" || { echo "bench_rw_metadata: the page was not scraped in 150 s"; exit 1; }
	sleep 2
	s0=$(cpu_ticks $s) p0=$(cpu_ticks $p)
	fe0=$(metric_sum "http://127.0.0.1:$SP" prometheus_remote_storage_metadata_total)
	pe0=$(metric_sum "http://127.0.0.1:$PP" prometheus_remote_storage_metadata_total)
	fb0=$(metric_sum "http://127.0.0.1:$SP" prometheus_remote_storage_metadata_bytes_total)
	pb0=$(metric_sum "http://127.0.0.1:$PP" prometheus_remote_storage_metadata_bytes_total)
	sleep "$SECONDS_RUN"
	cpu[flint-$send]=$(($(cpu_ticks $s) - s0))
	cpu[prometheus-$send]=$(($(cpu_ticks $p) - p0))
	sent[flint-$send]=$(awk -v a="$(metric_sum "http://127.0.0.1:$SP" prometheus_remote_storage_metadata_total)" -v b="$fe0" 'BEGIN { print a - b }')
	sent[prometheus-$send]=$(awk -v a="$(metric_sum "http://127.0.0.1:$PP" prometheus_remote_storage_metadata_total)" -v b="$pe0" 'BEGIN { print a - b }')
	bytes[flint-$send]=$(awk -v a="$(metric_sum "http://127.0.0.1:$SP" prometheus_remote_storage_metadata_bytes_total)" -v b="$fb0" 'BEGIN { print a - b }')
	bytes[prometheus-$send]=$(awk -v a="$(metric_sum "http://127.0.0.1:$PP" prometheus_remote_storage_metadata_bytes_total)" -v b="$pb0" 'BEGIN { print a - b }')
	kill $s $p
	wait $s $p 2>/dev/null
done
echo "metadata: $FAMILIES families every 1 s for $SECONDS_RUN s, CPU with send: true minus send: false"
for srv in flint prometheus; do
	awk -v s="$srv" -v n="${sent[$srv-true]}" -v b="${bytes[$srv-true]}" -v c1="${cpu[$srv-true]}" -v c0="${cpu[$srv-false]}" 'BEGIN {
		c = (c1 - c0) / 100
		printf "  %-10s entries sent %9d  sender CPU-s %6.2f  CPU us/entry %6.2f  bytes/entry %5.2f\n", s, n, c,
			n ? c * 1e6 / n : 0, n ? b / n : 0 }'
done
