#!/usr/bin/env bash
# bench_rw_send.sh - the remote-write sender, flint and Debian's Prometheus
# side by side: each in turn receives the same load (bench_remote load:
# SERIES series x ROUNDS samples, 1.0, timestamps from now on so that
# Prometheus's WAL watcher, which skips samples older than its start,
# forwards them too) and forwards it to the same receiver
# (VictoriaMetrics when installed, else a flint receiver). Each sender runs
# twice on a fresh data directory: without remote_write (ingest only) and
# with it; the difference in CPU is the sender's. Prints, per server:
#   samples shipped, seconds until all were shipped, sender CPU seconds
#   (with - without), samples shipped per sender CPU-second, and the peak
#   RSS difference per shard (memory per shard).
# Then bench_rw_encode (when built) ships the same number of samples from
# a WAL written beforehand to the same receiver, in-process: its CPU is
# the sender's alone, without the ingest the subtraction above removes.
# Env: BENCH_RW_SERIES (default 30000), BENCH_RW_ROUNDS (default 20: the
# timestamps reach 5 minutes ahead, which both servers accept).
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
FLINT=$BUILD/flint
LOAD=$BUILD/bench/bench_remote
SERIES=${BENCH_RW_SERIES:-30000}
ROUNDS=${BENCH_RW_ROUNDS:-20}
tmp=$(mktemp -d /tmp/flint-bench-rw.XXXXXX)
. "$(dirname "$0")/lib.bash"
rpid=
trap 'cleanup; [ -n "$rpid" ] && { kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null; }' EXIT
[ -x "$FLINT" ] && [ -x "$LOAD" ] || { echo "bench_rw_send: build $FLINT and $LOAD first (make build-rel)"; exit 1; }
command -v prometheus >/dev/null || { echo "bench_rw_send: prometheus not installed (make deps)"; exit 1; }

RP=$(free_port)
VM=$(command -v victoria-metrics || true)
if [ -n "$VM" ]; then
	"$VM" -httpListenAddr=127.0.0.1:"$RP" -storageDataPath="$tmp/vm" -loggerLevel=ERROR >"$tmp/vm.log" 2>&1 &
	rpid=$!
	receiver="VictoriaMetrics $($VM -version 2>&1 | head -1 | cut -c1-40)"
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$RP/health" >/dev/null && break; sleep 0.1; done
else
	"$FLINT" --config.file="$tmp/cfg.yml" --storage.tsdb.path="$tmp/recv" --web.listen-address=127.0.0.1:"$RP" \
		--web.enable-remote-write-receiver >"$tmp/recv.log" 2>&1 &
	rpid=$!
	receiver="flint (receiver)"
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$RP/-/ready" >/dev/null && break; sleep 0.1; done
fi
cat >"$tmp/cfg-rw.yml" <<EOF
global:
  scrape_interval: 1m
remote_write:
- url: http://127.0.0.1:$RP/api/v1/write
  queue_config: {batch_send_deadline: 1s}
EOF
total=$((SERIES * ROUNDS))

# run NAME WITH_RW -> cpu (s), hwm (kB), shipped, secs, shards
run() {
	local port url t0 end_ms cfg=$tmp/cfg.yml
	[ "$2" = 1 ] && cfg=$tmp/cfg-rw.yml
	cp "$cfg" "$tmp/cur.yml"
	port=$(free_port)
	url=http://127.0.0.1:$port
	case $1 in
	flint) "$FLINT" --config.file="$tmp/cur.yml" --storage.tsdb.path="$tmp/d-$1-$2" --web.listen-address=127.0.0.1:"$port" \
		--web.enable-remote-write-receiver >"$tmp/$1-$2.log" 2>&1 & ;;
	prometheus) prometheus --config.file="$tmp/cur.yml" --storage.tsdb.path="$tmp/d-$1-$2" \
		--web.listen-address=127.0.0.1:"$port" --web.enable-remote-write-receiver >"$tmp/$1-$2.log" 2>&1 & ;;
	esac
	pid=$!
	wait_ready "$url" 60 || { echo "bench_rw_send: $1 did not start: $(tail -3 "$tmp/$1-$2.log")"; return 1; }
	sleep 1
	local c0
	c0=$(cpu_ticks "$pid")
	t0=$(now_s)
	end_ms=$(( $(date +%s%3N) + ROUNDS * 15000 ))
	BENCH_JOB=rw "$LOAD" load "$url/api/v1/write" "$SERIES" "$ROUNDS" 2 "$end_ms" >"$tmp/load-$1-$2.log" 2>&1 ||
		echo "bench_rw_send: the load to $1 had errors: $(tail -1 "$tmp/load-$1-$2.log")"
	shipped=0
	if [ "$2" = 1 ]; then
		for _ in $(seq 600); do
			shipped=$(curl -s "$url/metrics" | awk '/^prometheus_remote_storage_samples_total\{/ { s += $2 } /^prometheus_remote_storage_samples_retried_total\{/ { r += $2 } END { print s - r }')
			[ "${shipped:-0}" -ge "$total" ] 2>/dev/null && break
			sleep 0.2
		done
		shards=$(curl -s "$url/metrics" | awk '/^prometheus_remote_storage_shards\{/ { print $2; exit }')
	else
		sleep 2 # the same settling time as a sender that shipped at once
	fi
	secs=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.2f", b - a }')
	cpu=$(awk -v a="$c0" -v b="$(cpu_ticks "$pid")" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')
	hwm=$(hwm_kb "$pid")
	kill "$pid"
	wait "$pid" 2>/dev/null
	pid=
}

echo "bench_rw_send: $SERIES series x $ROUNDS rounds = $total samples, forwarded to $receiver"
printf '  %-11s %10s %8s %10s %10s %14s %12s\n' server shipped secs cpu_rw_s cpu_base_s samples/cpu_s kB/shard
for s in flint prometheus; do
	run "$s" 0 || continue
	base=$cpu base_hwm=$hwm
	run "$s" 1 || continue
	sender=$(awk -v a="$cpu" -v b="$base" 'BEGIN { d = a - b; printf "%.2f", (d > 0.01 ? d : 0.01) }')
	per=$(awk -v n="$shipped" -v c="$sender" 'BEGIN { printf "%.0f", n / c }')
	mem=$(awk -v a="$hwm" -v b="$base_hwm" -v n="${shards:-1}" 'BEGIN { d = (a - b) / (n > 0 ? n : 1); printf "%.0f", (d > 0 ? d : 0) }')
	printf '  %-11s %10s %8s %10s %10s %14s %12s\n' "$s" "$shipped" "$secs" "$cpu" "$base" "$per" "$mem"
done
ENC=$BUILD/bench/bench_rw_encode
if [ -x "$ENC" ]; then
	"$ENC" "http://127.0.0.1:$RP/api/v1/write" "$SERIES" "$ROUNDS" 2>/dev/null | sed 's/^bench_rw_encode: /  flint, sender alone (bench_rw_encode): /'
fi
