#!/usr/bin/env bash
# remote_write.sh - remote write, remote read, /federate and /metrics end to
# end, against Debian's Prometheus 2.42 as a real peer:
#   1. flint (--web.enable-remote-write-receiver) and Prometheus on free
#      loopback ports; Prometheus scrapes itself every 1s, remote-writes to
#      flint and remote-reads from it.
#   2. within a bounded wait flint holds `up` and prometheus_* series of job
#      "prometheus" (Prometheus's own remote-write client works).
#   3. send-remote-write.py (the golden-data sender) pushes 1.0 requests; the
#      last sample of every series reads back exactly (/federate, and
#      /api/v1/query); Prometheus's remote_read
#      of flint returns them too.
#   4. bad bodies: 400 (snappy, protobuf), 415 (type, proto, encoding), 405
#      (GET), 400 "duplicate sample for timestamp"; 2.0 partial write with
#      the written-count headers.
#   5. /federate and /metrics in the text format.
#   6. load: parallel remote-write senders (bench_remote, 1.0 and 2.0) and
#      readers for a bounded time under ASan: no errors, flint alive, every
#      series present, no sanitizer report.
# Prints `N passed, N failed`; exits non-zero on failure. KEEP=1 keeps the
# temporary directory (logs, data) for a post-mortem.
set -u
. "$(dirname "$0")/../paths.bash"
FLINT=$BUILD/flint
BENCH=$BUILD/bench/bench_remote
HERE=$(cd "$(dirname "$0")" && pwd)
SENDER=$SHARED/conformance/tsdb/wal-remote-write/send-remote-write.py
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: ${2:-}"; }
# check NAME CONDITION [DETAIL]: DETAIL is expanded by the caller, so a
# condition on an exit status must use a saved $rc, never $?.
check() { if eval "$2"; then ok "$1"; else fail "$1" "${3:-}"; fi; }

PY=
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null && "$p" -c 'import snappy' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ] || ! command -v prometheus >/dev/null || [ ! -x "$FLINT" ] || [ ! -f "$SENDER" ]; then
	echo "FAIL setup: need $FLINT, prometheus, $SENDER and a python3 with snappy (make deps)"
	echo "0 passed, 1 failed"
	exit 1
fi

tmp=$(mktemp -d /tmp/flint-e2e-rw.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
FP=$(free_port)
PP=$(free_port)
F=http://127.0.0.1:$FP
P=http://127.0.0.1:$PP

wait_ready() { # url seconds [pid: give up when it died]
	for _ in $(seq $(($2 * 10))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1/-/ready")" = 200 ] && return 0
		[ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}
# q URL QUERY -> the JSON answer of an instant query
q() { curl -s -G --data-urlencode "query=$2" "$1/api/v1/query"; }
# jval: first sample value of a vector answer, "none" when empty or not JSON
jval() { "$PY" -c 'import json,sys
try: r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")
except Exception: print("none")'; }
# fed SELECTOR -> flint's /federate text; fed_count: series; fed_val: first value
fed() { curl -s -G --data-urlencode "match[]=$1" "$F/federate"; }
fed_count() { fed "$1" | grep -vc '^#'; }
fed_val() { fed "$1" | awk '!/^#/ { print $(NF - 1); found = 1; exit } END { if (!found) print "none" }'; }

printf 'global:\n  scrape_interval: 1m\n' >"$tmp/flint.yml"
"$FLINT" --config.file="$tmp/flint.yml" --storage.tsdb.path="$tmp/fdata" --web.listen-address=127.0.0.1:$FP \
	--web.enable-remote-write-receiver >"$tmp/flint.log" 2>&1 &
FPID=$!
pids+=($FPID)
if ! wait_ready "$F" 60 $FPID; then
	fail flint_ready "$(tail -5 "$tmp/flint.log")"
	echo "$passed passed, $failed failed"
	exit 1
fi
ok flint_ready

cat >"$tmp/prom.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$PP']
remote_write:
  - url: $F/api/v1/write
    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}
remote_read:
  - url: $F/api/v1/read
    read_recent: true
EOF
prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/pdata" --web.listen-address=127.0.0.1:$PP \
	>"$tmp/prom.log" 2>&1 &
pids+=($!)
check prometheus_ready 'wait_ready "$P" 60' "$(tail -3 "$tmp/prom.log")"

got=$(q "$F" 'vector(2)' | jval)
check query_api_answers '[ "$got" = 2 ]' "vector(2) on flint: $got"

# 2. Prometheus's own remote write reaches flint
got=none
for _ in $(seq 60); do
	got=$(fed_val 'up{job="prometheus"}')
	[ "$got" = 1 ] && break
	sleep 1
done
check prometheus_remote_write_up '[ "$got" = 1 ]' "up{job=\"prometheus\"} on flint: $got"
n=$(fed_count '{__name__=~"prometheus_.*",job="prometheus"}')
check prometheus_remote_write_series '[ "$n" -gt 20 ]' "prometheus_* series on flint: $n"
got=$(q "$F" 'up{job="prometheus"}' | jval)
check query_up_from_prometheus '[ "$got" = 1 ]' "up via /api/v1/query: $got"

# 3. the golden sender; what was sent reads back
now_ms=$(($(date +%s) * 1000))
(cd "$tmp" && "$PY" "$SENDER" "$F/api/v1/write" "$now_ms" 40 20 >"$tmp/send.log" 2>&1)
rc=$?
check send_remote_write_py '[ $rc = 0 ]' "$(tail -3 "$tmp/send.log")"
"$PY" "$HERE/remote_write_verify.py" "$tmp/sent.txt" "$F" >"$tmp/verify.log" 2>&1
rc=$?
check remote_write_values_read_back '[ $rc = 0 ]' "$(tail -5 "$tmp/verify.log")"
n=$(fed_count 'rw_requests_total')
check remote_write_series_count '[ "$n" = 10 ]' "rw_requests_total series: $n, want 10"
# remote read: Prometheus asks flint for data only flint has
got=$(q "$P" 'count(rw_temperature_celsius)' | jval)
check prometheus_remote_read_from_flint '[ "$got" = 10 ]' "count(rw_temperature_celsius) via Prometheus = $got"

# 4. bad requests
post() { # body-file content-type encoding -> status (body in $tmp/resp)
	curl -s -o "$tmp/resp" -w '%{http_code}' -X POST --data-binary @"$1" -H "Content-Type: $2" \
		-H "Content-Encoding: $3" "$F/api/v1/write"
}
printf 'not snappy at all \377\377\377' >"$tmp/garbage"
check bad_snappy_400 '[ "$(post "$tmp/garbage" application/x-protobuf snappy)" = 400 ]'
"$PY" -c 'import snappy,sys; sys.stdout.buffer.write(snappy.compress(b"\x0a\x10\x0a"))' >"$tmp/badpb"
check bad_protobuf_400 '[ "$(post "$tmp/badpb" application/x-protobuf snappy)" = 400 ]'
check bad_content_type_415 '[ "$(post "$tmp/badpb" text/plain snappy)" = 415 ]'
check bad_proto_param_415 '[ "$(post "$tmp/badpb" "application/x-protobuf;proto=foo.Bar" snappy)" = 415 ]'
check bad_encoding_415 '[ "$(post "$tmp/badpb" application/x-protobuf gzip)" = 415 ]'
check get_write_405 '[ "$(curl -s -o /dev/null -w "%{http_code}" "$F/api/v1/write")" = 405 ]'
"$PY" - "$tmp" "$now_ms" <<'PYEOF'
import snappy, struct, sys
d, t = sys.argv[1], int(sys.argv[2]) - 60000
def vi(n):
    o = bytearray()
    while True:
        b = n & 0x7F; n >>= 7
        if n: o.append(b | 0x80)
        else: o.append(b); return bytes(o)
def fb(k, b): return vi(k << 3 | 2) + vi(len(b)) + b
def smp(v): return b"\x09" + struct.pack("<d", v) + b"\x10" + vi(t)
def req(v):  # labels unsorted, as Grafana sends them
    lab = fb(1, fb(1, b"job") + fb(2, b"e2e")) + fb(1, fb(1, b"__name__") + fb(2, b"e2e_dup"))
    return snappy.compress(fb(1, lab + fb(2, smp(v))))
open(d + "/dup1", "wb").write(req(1.0))
open(d + "/dup2", "wb").write(req(2.0))
# 2.0: symbols ["", "__name__", "e2e_v2", "job", "e2e"]; a good series, one without __name__
def v2(refs, v): return fb(5, fb(1, b"".join(vi(x) for x in refs)) + fb(2, smp(v)))
syms = b"".join(fb(4, s) for s in [b"", b"__name__", b"e2e_v2", b"job", b"e2e"])
open(d + "/v2", "wb").write(snappy.compress(syms + v2([1, 2, 3, 4], 7.0) + v2([3, 4], 8.0)))
PYEOF
check unsorted_labels_204 '[ "$(post "$tmp/dup1" application/x-protobuf snappy)" = 204 ]'
code=$(post "$tmp/dup2" application/x-protobuf snappy)
check duplicate_400 '[ "$code" = 400 ] && grep -q "duplicate sample for timestamp" "$tmp/resp"' "got $code: $(cat "$tmp/resp")"
code=$(curl -s -D "$tmp/hdr" -o "$tmp/resp" -w '%{http_code}' -X POST --data-binary @"$tmp/v2" \
	-H 'Content-Type: application/x-protobuf;proto=io.prometheus.write.v2.Request' -H 'Content-Encoding: snappy' \
	-H 'X-Prometheus-Remote-Write-Version: 2.0.0' "$F/api/v1/write")
check v2_partial_write_400_with_headers '[ "$code" = 400 ] && grep -qi "^X-Prometheus-Remote-Write-Samples-Written: 1" "$tmp/hdr" && grep -q "invalid metric name or labels" "$tmp/resp"' \
	"got $code: $(cat "$tmp/resp") $(grep -i written "$tmp/hdr")"
got=$(fed_val 'e2e_v2')
check v2_good_series_committed '[ "$got" = 7 ]' "e2e_v2 = $got"

# 5. /federate and /metrics
fed 'up{job="prometheus"}' >"$tmp/fed"
check federate_text_format 'grep -q "^# TYPE up untyped$" "$tmp/fed" && grep -Eq "^up\{instance=\"127.0.0.1:$PP\",job=\"prometheus\"\} 1 [0-9]+$" "$tmp/fed"' "$(head -3 "$tmp/fed")"
check federate_bad_selector_400 '[ "$(curl -s -o /dev/null -w "%{http_code}" -G --data-urlencode "match[]=up{" "$F/federate")" = 400 ]'
curl -s "$F/metrics" >"$tmp/metrics"
check self_metrics 'grep -Eq "^prometheus_tsdb_head_series [0-9]" "$tmp/metrics" && grep -Eq "^process_cpu_seconds_total " "$tmp/metrics" && grep -q "^prometheus_http_requests_total{" "$tmp/metrics"' "$(head -5 "$tmp/metrics")"

# 6. load: senders and readers in parallel, bounded
if [ -x "$BENCH" ]; then
	end_ms=$(($(date +%s) * 1000))
	"$BENCH" load "$F/api/v1/write" 2000 20 2 "$end_ms" 500 >"$tmp/load1.log" 2>&1 &
	l1=$!
	BENCH_JOB=bench2 "$BENCH" load "$F/api/v1/write" 1000 20 1 "$end_ms" 250 v2 >"$tmp/load2.log" 2>&1 &
	l2=$!
	qerr=0
	deadline=$(($(date +%s) + 60))
	while kill -0 $l1 2>/dev/null || kill -0 $l2 2>/dev/null; do
		[ "$(date +%s)" -gt "$deadline" ] && break
		urls=("$F/federate?match%5B%5D=%7Bjob%3D%22bench%22%7D" "$F/metrics")
		urls+=("$F/api/v1/query?query=count(bench_metric_1)" "$F/api/v1/query?query=sum(rate(bench_metric_2%5B1m%5D))")
		for u in "${urls[@]}"; do
			c=$(curl -s -o /dev/null -w '%{http_code}' "$u")
			[ "$c" = 200 ] || qerr=$((qerr + 1))
		done
	done
	wait $l1
	r1=$?
	wait $l2
	r2=$?
	check load_senders_no_errors '[ $r1 = 0 ] && [ $r2 = 0 ]' "$(cat "$tmp/load1.log" "$tmp/load2.log")"
	check load_readers_no_errors '[ $qerr = 0 ]' "$qerr failed reads"
	n=$(fed_count '{job="bench"}')
	n2=$(fed_count '{job="bench2"}')
	check load_all_series_present '[ "$n" = 2000 ] && [ "$n2" = 1000 ]' "series by job: bench $n, bench2 $n2"
else
	fail load "no $BENCH"
fi
check flint_alive 'kill -0 $FPID 2>/dev/null' "$(tail -5 "$tmp/flint.log")"
kill -TERM $FPID
for _ in $(seq 100); do kill -0 $FPID 2>/dev/null || break; sleep 0.1; done
if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$tmp/flint.log"; then
	fail sanitizers "$(grep -m3 -A8 "Sanitizer\|runtime error" "$tmp/flint.log")"
else
	ok sanitizers_clean
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
