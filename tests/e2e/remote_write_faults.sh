#!/usr/bin/env bash
# remote_write_faults.sh - flint's remote-write sender against a receiver
# that misbehaves (rw_bad_receiver.py, python3 http.server on a free
# loopback port): flint scrapes itself every second and writes to one
# queue per behaviour. The counters in its /metrics move as Prometheus's do:
#   500, 429 (retry_on_http_429), slow (remote_timeout 1s), garbage bytes,
#   a connection closed mid-status-line: retried, never failed;
#   400, and 429 without retry_on_http_429: failed, never retried;
#   a 10 GiB 200 body: sent (the transfer is cut after the status), fast;
#   sample_age_limit on the 500 queue: too old samples dropped.
# Meanwhile flint keeps scraping and answering queries, and its VmRSS stays
# under a generous bound (memory is capacity x shards, not the backlog).
# Prints `N passed, N failed`; KEEP_TMP=1 keeps the temporary directory.
set -u
. "$(dirname "$0")/web_common.bash"
. "$(dirname "$0")/scrape_common.bash"
HERE=$(cd "$(dirname "$0")" && pwd)
need "$FLINT" curl

"$PY" "$HERE/rw_bad_receiver.py" "$tmp/bad.port" >"$tmp/bad.log" 2>&1 &
pids+=($!)
wait_for 10 test -s "$tmp/bad.port" || { fail "bad receiver starts" "$(cat "$tmp/bad.log")"; finish; exit 1; }
B=http://127.0.0.1:$(cat "$tmp/bad.port")
SP=$(free_port)
S=http://127.0.0.1:$SP
q='min_backoff: 50ms, max_backoff: 500ms, batch_send_deadline: 500ms, capacity: 500, max_samples_per_send: 100'
cat >"$tmp/s.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
- job_name: self
  static_configs: [{targets: ['127.0.0.1:$SP']}]
remote_write:
- {url: "$B/ok", name: ok, queue_config: {$q}}
- {url: "$B/500", name: e500, queue_config: {$q, sample_age_limit: 2s}}
- {url: "$B/429", name: e429, queue_config: {$q, retry_on_http_429: true}}
- {url: "$B/429", name: e429drop, queue_config: {$q}}
- {url: "$B/400", name: e400, queue_config: {$q}}
- {url: "$B/slow", name: slow, remote_timeout: 1s, queue_config: {$q}}
- {url: "$B/garbage", name: garbage, queue_config: {$q}}
- {url: "$B/close", name: close, queue_config: {$q}}
- {url: "$B/huge", name: huge, remote_timeout: 20s, queue_config: {$q}}
EOF
start_flint s "$SP" --storage.remote.flush-deadline=3s
s_pid=${pids[-1]}

metric() { curl -s "$S/metrics" | awk -v n="$1" -v q="remote_name=\"$2\"" -v x="${3:-}" 'index($0, n "{") == 1 && index($0, q) && index($0, x) { print $NF }'; }
gt0() { v=$(metric "$@"); [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v > 0) }'; }
expect_gt0() { # NAME METRIC QUEUE [EXTRA]
	if wait_for 60 gt0 "$2" "$3" "${4:-}"; then ok "$1"; else fail "$1" "$2{$3} = $(metric "$2" "$3" "${4:-}")"; fi
}
for qn in e500 e429 slow garbage close; do
	expect_gt0 "$qn: retried" prometheus_remote_storage_samples_retried_total $qn
done
for qn in e400 e429drop; do
	expect_gt0 "$qn: failed (not retried)" prometheus_remote_storage_samples_failed_total $qn
	check_eq "$qn: never retried" "$(metric prometheus_remote_storage_samples_retried_total $qn)" 0
done
expect_gt0 "ok: sent" prometheus_remote_storage_queue_highest_sent_timestamp_seconds ok
expect_gt0 "huge 200 body: sent" prometheus_remote_storage_queue_highest_sent_timestamp_seconds huge
check_eq "huge 200 body: not retried" "$(metric prometheus_remote_storage_samples_retried_total huge)" 0
expect_gt0 "e500: too old samples dropped (sample_age_limit)" prometheus_remote_storage_samples_dropped_total e500 'reason="too_old"'
for qn in e500 e429 slow garbage close; do
	check_eq "$qn: never failed" "$(metric prometheus_remote_storage_samples_failed_total $qn)" 0
done
# the queues that cannot send stay bounded (capacity 500 x 1 shard) and block the watcher
expect_gt0 "e400 / e500: the blocked queue waits (enqueue retries)" prometheus_remote_storage_enqueue_retries_total e500
pend=$(metric prometheus_remote_storage_samples_pending e500)
check_eq "e500: pending bounded by capacity" "$(awk -v p="$pend" 'BEGIN { print (p <= 500) }')" 1
n429=$(curl -s "$B/count?path=/429")
check_eq "429: the receiver saw the retries" "$(awk -v n="$n429" 'BEGIN { print (n >= 2) }')" 1
# flint goes on: scraping, queries, memory
t0=$(value "$S" 'timestamp(up{job="self"})')
sleep 3
t1=$(value "$S" 'timestamp(up{job="self"})')
check_eq "scraping goes on" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b > a) }')" 1
check_eq "queries answer" "$(value "$S" 'up{job="self"}')" 1
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$s_pid/status" 2>/dev/null)
check_eq "VmRSS under 1 GiB under ASan ($rss kB)" "$(awk -v r="${rss:-0}" 'BEGIN { print (r > 0 && r < 1048576) }')" 1
# shutdown: the flush deadline bounds it while queues cannot send
kill "$s_pid"
wait_for 30 sh -c "! kill -0 $s_pid 2>/dev/null"
check_has "clean shutdown within the flush deadline" "$(tail -1 "$tmp/s.log")" "See you next time"
check_eq "no sanitizer report" "$(grep -c 'Sanitizer' "$tmp/s.log")" 0
finish
