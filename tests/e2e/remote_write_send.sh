#!/usr/bin/env bash
# remote_write_send.sh - flint's remote-write sender against real receivers
# on free loopback ports:
#   S   flint, receiving the golden data (send-remote-write.py, fixed
#       timestamps) and remote-writing it, external label replica="s", to
#   P   Debian's Prometheus 2.42 (--web.enable-remote-write-receiver), 1.0
#   V   Debian's VictoriaMetrics (/api/v1/write), 1.0
#   R1  a second flint, 1.0;   R2  a third flint, 2.0
#   P again as a 2.0 target (queue prom-v2): Prometheus 2.42 answers 204
#       and stores nothing; flint must see the missing written-count
#       headers, log it and count the samples as failed, never as sent.
# Checks, each a bounded wait for equality of every raw sample (labels,
# timestamp, value; stale markers aside) between S and each receiver:
#   1. the first half of the data arrives everywhere;
#   2. outage: R1 is stopped, the second half is written, S retries
#      (samples_retried_total moves), R1 restarts: R1 gets everything;
#   3. crash: R1 stopped again, a third batch written, S SIGKILLed while
#      it retries, S and R1 restarted: R1 gets everything (the queue
#      resumes from <data>/remote_write/<hash>.pos, per shard: r1 runs 3
#      shards and small batches, and R1 refuses out-of-order resends), and
#      so does everyone;
#   4. /status/config, positions files, a clean shutdown; prom-v2's failures
#      and log line are checked after step 1.
# Prints `N passed, N failed`; KEEP_TMP=1 keeps the temporary directory.
set -u
. "$(dirname "$0")/web_common.bash"
. "$(dirname "$0")/scrape_common.bash"
HERE=$(cd "$(dirname "$0")" && pwd)
SENDER=$SHARED/conformance/tsdb/wal-remote-write/send-remote-write.py
DUMP=$HERE/rw_dump.py
VM=$(command -v victoria-metrics || true)
need "$FLINT" prometheus curl "$SENDER"
[ -n "$VM" ] || need victoria-metrics
"$PY" -c 'import snappy' 2>/dev/null || need python3-snappy

SP=$(free_port) PP=$(free_port) VP=$(free_port) R1P=$(free_port) R2P=$(free_port)
S=http://127.0.0.1:$SP P=http://127.0.0.1:$PP V=http://127.0.0.1:$VP R1=http://127.0.0.1:$R1P R2=http://127.0.0.1:$R2P
MATCH='{__name__=~"rw_.+"}'
cd "$tmp" || exit 1

start_flint r1 "$R1P" --web.enable-remote-write-receiver
r1_pid=${pids[-1]}
start_flint r2 "$R2P" --web.enable-remote-write-receiver
printf 'global:\n  scrape_interval: 1h\n' >"$tmp/p.yml"
start_prom p "$PP" "$tmp/p.yml" --web.enable-remote-write-receiver
"$VM" -httpListenAddr=127.0.0.1:"$VP" -storageDataPath="$tmp/vm-data" -retentionPeriod=1y -loggerLevel=WARN \
	>"$tmp/vm.log" 2>&1 &
pids+=($!)
wait_for 30 curl -sf "$V/health" >/dev/null || { fail "victoria-metrics starts" "$(tail -3 "$tmp/vm.log")"; finish; exit 1; }

q='queue_config: {batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s}'
cat >"$tmp/s.yml" <<EOF
global:
  scrape_interval: 1h
  external_labels: {replica: s}
remote_write:
- {url: "$P/api/v1/write", name: prom, $q}
- {url: "$V/api/v1/write", name: vm, $q}
- {url: "$R1/api/v1/write", name: r1, queue_config: {batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s, min_shards: 3, max_samples_per_send: 100}}
- {url: "$R2/api/v1/write", name: r2, protobuf_message: io.prometheus.write.v2.Request, $q}
- {url: "$P/api/v1/write", name: prom-v2, protobuf_message: io.prometheus.write.v2.Request, $q}
EOF
start_s() {
	"$FLINT" --config.file="$tmp/s.yml" --storage.tsdb.path="$tmp/s-data" --web.listen-address=127.0.0.1:"$SP" \
		--web.enable-remote-write-receiver --storage.remote.flush-deadline=5s >>"$tmp/s.log" 2>&1 &
	s_pid=$!
	pids+=($s_pid)
	started_or_exit s "$SP"
}
start_s

# same URL MODE: the receiver holds exactly S's samples (with replica="s";
# VictoriaMetrics keeps about 12 significant digits of a value)
same() {
	local tol=0
	[ "$2" = vm ] && tol=1e-11
	"$PY" "$DUMP" prom "$S" "$MATCH" replica=s >"$tmp/want"
	"$PY" "$DUMP" "$2" "$1" "$MATCH" >"$tmp/got"
	[ -s "$tmp/want" ] && ! grep -q '^error' "$tmp/want" && "$PY" "$DUMP" cmp "$tmp/want" "$tmp/got" "$tol" >"$tmp/cmp"
}
# check_same NAME URL MODE: bounded wait for same, else the difference
check_same() {
	if wait_for 90 same "$2" "$3"; then
		ok "$1 ($(wc -l <"$tmp/want") samples)"
	else
		fail "$1" "$(cat "$tmp/cmp")"
	fi
}
# metric NAME QUEUE: S's /metrics value of NAME{remote_name=QUEUE}
metric() { curl -s "$S/metrics" | awk -v n="$1" -v q="remote_name=\"$2\"" 'index($0, n "{") == 1 && index($0, q) { print $NF }'; }
gt0() { v=$(metric "$1" "$2"); [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v > 0) }'; }

now_ms=$(date +%s%3N)
END=$((now_ms - 300000 - now_ms % 15000)) MID=$((END - 300000))
"$PY" "$SENDER" "$S/api/v1/write" "$END" 40 10 0 "$MID" >"$tmp/send1.log" 2>&1 || fail "send 1" "$(tail -2 "$tmp/send1.log")"
check_same "1. first half arrives in Prometheus 2.42" "$P" prom
check_same "1. first half arrives in VictoriaMetrics" "$V" vm
check_same "1. first half arrives in flint (1.0)" "$R1" prom
check_same "1. first half arrives in flint (2.0)" "$R2" prom

# Prometheus 2.42 as a 2.0 target (before the crash resets the counters)
if wait_for 30 gt0 prometheus_remote_storage_samples_failed_total prom-v2; then ok "1. 2.0 to Prometheus 2.42: samples failed"; else fail "1. 2.0 to Prometheus 2.42: samples failed" "$(metric prometheus_remote_storage_samples_failed_total prom-v2)"; fi
check_has "1. 2.0 to Prometheus 2.42: logged" "$(cat "$tmp/s.log")" "PRW 2.0 response header statistics indicate no samples"
check_eq "1. 2.0 to Prometheus 2.42: nothing counted as sent" "$(metric prometheus_remote_storage_queue_highest_sent_timestamp_seconds prom-v2)" 0

# 2. outage of R1
kill "$r1_pid"
wait "$r1_pid" 2>/dev/null
"$PY" "$SENDER" "$S/api/v1/write" "$END" 40 10 "$MID" "$END" >"$tmp/send2.log" 2>&1 || fail "send 2" "$(tail -2 "$tmp/send2.log")"
if wait_for 30 gt0 prometheus_remote_storage_samples_retried_total r1; then ok "2. S retries while R1 is down"; else fail "2. S retries while R1 is down" "$(metric prometheus_remote_storage_samples_retried_total r1)"; fi
sleep 3
start_flint r1 "$R1P" --web.enable-remote-write-receiver
r1_pid=${pids[-1]}
check_same "2. after the outage R1 has everything" "$R1" prom
check_same "2. Prometheus has everything" "$P" prom
check_same "2. VictoriaMetrics has everything" "$V" vm
check_same "2. flint (2.0) has everything" "$R2" prom

# 3. crash of S while it retries to R1
kill "$r1_pid"
wait "$r1_pid" 2>/dev/null
retried=$(metric prometheus_remote_storage_samples_retried_total r1)
now_ms=$(date +%s%3N)
END3=$((now_ms - 30000 - now_ms % 15000))
"$PY" "$SENDER" "$S/api/v1/write" "$END3" 40 4 >"$tmp/send3.log" 2>&1 || fail "send 3" "$(tail -2 "$tmp/send3.log")"
more() { v=$(metric prometheus_remote_storage_samples_retried_total r1); awk -v a="$v" -v b="$retried" 'BEGIN { exit !(a > b) }'; }
wait_for 30 more || fail "3. S retries before the crash" "$(metric prometheus_remote_storage_samples_retried_total r1)"
kill -9 "$s_pid"
wait "$s_pid" 2>/dev/null
start_flint r1 "$R1P" --web.enable-remote-write-receiver
start_s
check_same "3. after SIGKILL and restart R1 has everything" "$R1" prom
check_same "3. Prometheus has everything" "$P" prom
check_same "3. VictoriaMetrics has everything" "$V" vm
check_same "3. flint (2.0) has everything" "$R2" prom

# 4. status; positions
check_eq "4. 2.0 to flint: no failures" "$(metric prometheus_remote_storage_samples_failed_total r2)" 0
check_has "4. status/config shows the queues" "$(curl -s "$S/api/v1/status/config")" "protobuf_message: io.prometheus.write.v2.Request"
check_eq "4. one position file per queue" "$(ls "$tmp/s-data/remote_write" | grep -c '\.pos$')" 5
kill "$s_pid"
wait_for 30 sh -c "! kill -0 $s_pid 2>/dev/null"
check_has "4. clean shutdown" "$(tail -1 "$tmp/s.log")" "See you next time"
check_eq "4. no sanitizer report" "$(grep -c 'Sanitizer' "$tmp/s.log")" 0
finish
