#!/usr/bin/env bash
# remote_write_metadata.sh - remote_write metadata_config against real
# peers on free loopback ports:
#   T   targets: Debian's node_exporter (HELP/TYPE) and an OpenMetrics page
#       with UNIT lines, escapes in HELP, counter/gauge/histogram/summary/info
#   S   flint scraping T, remote-writing (send_interval 2s) to
#         R   a second flint (1.0): it keeps received metadata;
#         P   Debian's Prometheus 2.42 (--web.enable-remote-write-receiver):
#             it accepts metadata-only requests and keeps nothing of them;
#         V   Debian's VictoriaMetrics: accepts and ignores them;
#         R3  a third flint, twice: a 1.0 queue with send: false and a 2.0
#             queue (Prometheus 3.x sends no 2.0 metadata without its
#             metadata-wal-records feature): R3 gets none;
#   P   also scrapes T and remote-writes its metadata to R2, a fourth flint;
#   A   flint --agent scrapes T and remote-writes to R4, a fifth flint.
# Checks (bounded waits):
#   1. R's /api/v1/metadata equals S's (every family, type, help, unit);
#   2. R2's (what Prometheus 2.42 sent) and R4's (the agent's) equal R's;
#   3. P and V answered 2xx: metadata_total > 0, none failed or retried;
#   4. send: false and 2.0 send none (R3 has no metadata, the counters stay
#      0 after R saw two rounds), the 2.0 warning is logged;
#   5. the metadata self-metrics carry Prometheus's names and HELP; a clean
#      shutdown without sanitizer reports.
# Prints `N passed, N failed`; KEEP_TMP=1 keeps the temporary directory.
set -u
. "$(dirname "$0")/web_common.bash"
. "$(dirname "$0")/scrape_common.bash"
VM=$(command -v victoria-metrics || true)
need "$FLINT" prometheus curl "$NODE_EXPORTER"
[ -n "$VM" ] || need victoria-metrics

NP=$(free_port) TP=$(free_port) SP=$(free_port) RP=$(free_port) R2P=$(free_port) R3P=$(free_port) PP=$(free_port)
VP=$(free_port) AP=$(free_port) R4P=$(free_port)
S=http://127.0.0.1:$SP R=http://127.0.0.1:$RP R2=http://127.0.0.1:$R2P R3=http://127.0.0.1:$R3P R4=http://127.0.0.1:$R4P
P=http://127.0.0.1:$PP V=http://127.0.0.1:$VP
cd "$tmp" || exit 1

# the OpenMetrics page (exits after 10 minutes at most)
cat >"$tmp/page.py" <<'PYEOF'
import http.server, sys, threading, os
PAGE = b"""# TYPE meta_requests counter
# HELP meta_requests Requests served.
meta_requests_total{code="200"} 7
# TYPE meta_temperature_celsius gauge
# UNIT meta_temperature_celsius celsius
# HELP meta_temperature_celsius Temperature, with a unit.
meta_temperature_celsius 21.5
# TYPE meta_latency_seconds histogram
# UNIT meta_latency_seconds seconds
# HELP meta_latency_seconds A histogram "quoted" with a \\\\ backslash.
meta_latency_seconds_bucket{le="0.1"} 1
meta_latency_seconds_bucket{le="+Inf"} 2
meta_latency_seconds_sum 0.3
meta_latency_seconds_count 2
# TYPE meta_quantiles summary
# HELP meta_quantiles A summary.
meta_quantiles{quantile="0.5"} 1
meta_quantiles_sum 2
meta_quantiles_count 3
# TYPE meta_build info
# HELP meta_build Build facts.
meta_build_info{version="1"} 1
# TYPE meta_untyped unknown
meta_untyped 4
# EOF
"""
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)
    def log_message(self, *a):
        pass
threading.Timer(600, lambda: os._exit(0)).start()
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PYEOF
"$PY" "$tmp/page.py" "$TP" >"$tmp/page.log" 2>&1 &
pids+=($!)
start_node_exporter "$NP"
wait_for 10 curl -sf "http://127.0.0.1:$TP/metrics" -o /dev/null || fail "page starts" "$(tail -3 "$tmp/page.log")"

start_flint r "$RP" --web.enable-remote-write-receiver
start_flint r2 "$R2P" --web.enable-remote-write-receiver
start_flint r3 "$R3P" --web.enable-remote-write-receiver
start_flint r4 "$R4P" --web.enable-remote-write-receiver
"$VM" -httpListenAddr=127.0.0.1:"$VP" -storageDataPath="$tmp/vm-data" -retentionPeriod=1y -loggerLevel=WARN \
	>"$tmp/vm.log" 2>&1 &
pids+=($!)
wait_for 30 curl -sf "$V/health" -o /dev/null || { fail "victoria-metrics starts" "$(tail -3 "$tmp/vm.log")"; finish; exit 1; }

scrape="scrape_configs:
- job_name: t
  static_configs: [{targets: ['127.0.0.1:$NP', '127.0.0.1:$TP']}]"
q='queue_config: {batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s}'
m='metadata_config: {send_interval: 2s, max_samples_per_send: 7}'
cat >"$tmp/p.yml" <<EOF
global: {scrape_interval: 1s}
$scrape
remote_write:
- {url: "$R2/api/v1/write", name: r2, $q, $m}
EOF
start_prom p "$PP" "$tmp/p.yml" --web.enable-remote-write-receiver
cat >"$tmp/s.yml" <<EOF
global: {scrape_interval: 1s}
$scrape
remote_write:
- {url: "$R/api/v1/write", name: r, $q, $m}
- {url: "$P/api/v1/write", name: prom, $q, $m}
- {url: "$V/api/v1/write", name: vm, $q, $m}
- {url: "$R3/api/v1/write", name: off, $q, metadata_config: {send: false, send_interval: 2s}}
- {url: "$R3/api/v1/write", name: v2, protobuf_message: io.prometheus.write.v2.Request, $q, $m}
EOF
"$FLINT" --config.file="$tmp/s.yml" --storage.tsdb.path="$tmp/s-data" --web.listen-address=127.0.0.1:"$SP" \
	--storage.remote.flush-deadline=5s >"$tmp/s.log" 2>&1 &
s_pid=$!
pids+=($s_pid)
started_or_exit s "$SP"
cat >"$tmp/a.yml" <<EOF
global: {scrape_interval: 1s}
$scrape
remote_write:
- {url: "$R4/api/v1/write", name: r4, $q, $m}
EOF
"$FLINT" --agent --config.file="$tmp/a.yml" --storage.agent.path="$tmp/a-data" --web.listen-address=127.0.0.1:"$AP" \
	>"$tmp/a.log" 2>&1 &
pids+=($!)
started_or_exit a "$AP"

# meta URL: /api/v1/metadata's data, normalised (families sorted, each
# family's entries sorted), one family per line
meta() {
	curl -s "$1/api/v1/metadata" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)["data"]
for f in sorted(d):
    print(f, json.dumps(sorted(d[f], key=lambda e: json.dumps(e, sort_keys=True)), sort_keys=True))'
}
# metric NAME QUEUE: S's /metrics value of NAME{remote_name=QUEUE}
metric() { curl -s "$S/metrics" | awk -v n="$1" -v q="remote_name=\"$2\"" 'index($0, n "{") == 1 && index($0, q) { print $NF }'; }
ge() { v=$(metric "$1" "$2"); [ -n "$v" ] && awk -v v="$v" -v w="$3" 'BEGIN { exit !(v >= w) }'; }
# S has scraped both targets' metadata (node_exporter's and the page's)
s_ready() { meta "$S" >"$tmp/s.meta"; grep -q '^meta_build ' "$tmp/s.meta" && grep -q '^node_load1 ' "$tmp/s.meta"; }
same_as() { meta "$2" >"$tmp/got.meta"; s_ready && diff "$1" "$tmp/got.meta" >"$tmp/diff"; }

wait_for 60 s_ready || fail "S scrapes its targets' metadata" "$(head -5 "$tmp/s.meta")"
n=$(wc -l <"$tmp/s.meta")
if wait_for 60 same_as "$tmp/s.meta" "$R"; then
	ok "1. flint's receiver has S's metadata ($n families)"
else
	fail "1. flint's receiver has S's metadata" "$(head -c 600 "$tmp/diff")"
fi
check_has "1. units arrive" "$(grep '^meta_temperature_celsius ' "$tmp/got.meta")" '"unit": "celsius"'
check_has "1. escaped help arrives" "$(grep '^meta_latency_seconds ' "$tmp/got.meta")" 'A histogram \"quoted\" with a \\ backslash.'
meta "$R" >"$tmp/r.meta"
if wait_for 60 same_as "$tmp/r.meta" "$R2"; then
	ok "2. what Prometheus 2.42 sends equals what flint sends"
else
	fail "2. what Prometheus 2.42 sends equals what flint sends" "$(head -c 600 "$tmp/diff")"
fi
if wait_for 60 same_as "$tmp/r.meta" "$R4"; then
	ok "2. flint --agent sends the same"
else
	fail "2. flint --agent sends the same" "$(head -c 600 "$tmp/diff")"
fi

for qn in prom vm; do
	if wait_for 30 ge prometheus_remote_storage_metadata_total $qn "$n"; then
		ok "3. $qn accepted metadata ($(metric prometheus_remote_storage_metadata_total $qn) entries)"
	else
		fail "3. $qn accepted metadata" "$(metric prometheus_remote_storage_metadata_total $qn)"
	fi
	check_eq "3. $qn: none failed" "$(metric prometheus_remote_storage_metadata_failed_total $qn)" 0
	check_eq "3. $qn: none retried" "$(metric prometheus_remote_storage_metadata_retried_total $qn)" 0
done
bytes=$(metric prometheus_remote_storage_metadata_bytes_total r)
check_eq "3. bytes counted" "$([ "${bytes:-0}" -gt 0 ] 2>/dev/null && echo yes)" yes

# two rounds to R (2n entries at least), then R3 and the counters
wait_for 30 ge prometheus_remote_storage_metadata_total r $((2 * n)) || fail "4. two rounds to R" "$(metric prometheus_remote_storage_metadata_total r)"
check_eq "4. send: false sends none" "$(metric prometheus_remote_storage_metadata_total off)" 0
check_eq "4. 2.0 sends none" "$(metric prometheus_remote_storage_metadata_total v2)" 0
check_eq "4. R3 has no metadata" "$(meta "$R3" | wc -l)" 0
check_has "4. R3 has the samples" "$(curl -s "$R3/api/v1/query?query=meta_temperature_celsius")" '"21.5"'
check_has "4. the 2.0 warning" "$(cat "$tmp/s.log")" "metadata_config.send has no effect with remote write 2.0"
check_eq "4. no load warning for metadata_config" "$(grep -c 'remote_write.metadata_config' "$tmp/s.log")" 0

help=$(curl -s "$S/metrics" | grep '^# HELP prometheus_remote_storage_metadata')
check_has "5. metadata_total HELP" "$help" "# HELP prometheus_remote_storage_metadata_total Total number of metadata entries sent to remote storage."
check_has "5. metadata_bytes_total HELP" "$help" "# HELP prometheus_remote_storage_metadata_bytes_total The total number of bytes of metadata sent by the queue after compression."
kill "$s_pid"
wait_for 30 sh -c "! kill -0 $s_pid 2>/dev/null"
check_has "5. clean shutdown" "$(tail -1 "$tmp/s.log")" "See you next time"
check_eq "5. no sanitizer report" "$(grep -c 'Sanitizer' "$tmp/s.log")" 0
finish
