#!/usr/bin/env bash
# rules_am_discovery.sh - Alertmanagers found through http_sd and dns_sd
# (the scrape module's discovery), with Debian's prometheus-alertmanager
# as the receiver:
#   1. an http_sd endpoint (a static JSON file served over loopback) lists
#      the Alertmanager's address with a label; a dns_sd config of type A
#      resolves "localhost" with the Alertmanager's port; relabel_configs
#      drop the IPv6 answer (::1), as a user would.
#   2. /api/v1/alertmanagers lists each discovered Alertmanager once as
#      active (the http_sd one and the dns_sd one share 127.0.0.1:PORT) and
#      the relabeled-away one as dropped.
#   3. an always-firing alert reaches Alertmanager's /api/v2/alerts;
#      prometheus_notifications_sent_total counts it, and the latency
#      summary has its quantiles.
#   4. the http_sd document changes to an address where nothing listens:
#      after its refresh interval, /api/v1/alertmanagers shows it.
# Prints `N passed, N failed`; exits non-zero on failure.
set -u
. "$(dirname "$0")/web_common.bash"
AM=$(command -v prometheus-alertmanager || true)
need "$FLINT" "$AM"
FP=$(free_port)
AP=$(free_port)
SP=$(free_port)
DEAD=$(free_port)
F=http://127.0.0.1:$FP
A=http://127.0.0.1:$AP

printf 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n' >"$tmp/am.yml"
"$AM" --config.file="$tmp/am.yml" --storage.path="$tmp/am" --web.listen-address=127.0.0.1:$AP \
	--cluster.listen-address= >"$tmp/am.log" 2>&1 &
pids+=($!)
if wait_ready "$A" 30; then ok alertmanager_ready; else fail alertmanager_ready "$(tail -3 "$tmp/am.log")"; fi

mkdir -p "$tmp/www"
printf '[{"targets": ["127.0.0.1:%s"], "labels": {"team": "a"}}]\n' "$AP" >"$tmp/www/sd.json"
"$PY" -m http.server "$SP" --bind 127.0.0.1 --directory "$tmp/www" >"$tmp/http.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$SP/sd.json" && break; sleep 0.1; done

cat >"$tmp/rules.yml" <<'EOF'
groups:
  - name: always
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels:
          severity: page
EOF
cat >"$tmp/flint.yml" <<EOF
global:
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - http_sd_configs:
        - url: http://127.0.0.1:$SP/sd.json
          refresh_interval: 1s
    - dns_sd_configs:
        - names: [localhost]
          type: A
          port: $AP
          refresh_interval: 1s
      relabel_configs:
        - source_labels: [__address__]
          regex: '127\..*'
          action: keep
EOF
start_flint flint "$FP"

ams() { # active|dropped -> the sorted URLs
	curl -s "$F/api/v1/alertmanagers" | "$PY" -c 'import json,sys
d = json.load(sys.stdin)["data"]
print(" ".join(sorted(a["url"] for a in d["'"$1"'Alertmanagers"])))'
}
want="http://127.0.0.1:$AP/api/v2/alerts http://127.0.0.1:$AP/api/v2/alerts"
for _ in $(seq 100); do [ "$(ams active)" = "$want" ] && break; sleep 0.1; done
check_eq http_and_dns_sd_active "$(ams active)" "$want"
dropped=$(ams dropped)
case $dropped in
"" | *"[::1]"*) ok dns_ipv6_answer_dropped_or_absent ;;
*) fail dns_ipv6_answer_dropped_or_absent "$dropped" ;;
esac

am_alerts() {
	curl -s "$A/api/v2/alerts" | "$PY" -c 'import json,sys
print(" ".join(sorted(a["labels"]["alertname"] for a in json.load(sys.stdin))))'
}
for _ in $(seq 150); do [ "$(am_alerts)" = AlwaysFiring ] && break; sleep 0.1; done
check_eq alert_reached_alertmanager "$(am_alerts)" AlwaysFiring
m=$(curl -s "$F/metrics")
check_has sent_counted "$m" "prometheus_notifications_sent_total{alertmanager=\"http://127.0.0.1:$AP/api/v2/alerts\"} "
check_has latency_quantiles "$m" "prometheus_notifications_latency_seconds{alertmanager=\"http://127.0.0.1:$AP/api/v2/alerts\",quantile=\"0.99\"} "

printf '[{"targets": ["127.0.0.1:%s"]}]\n' "$DEAD" >"$tmp/www/sd.json"
want=$(printf '%s\n' "http://127.0.0.1:$AP/api/v2/alerts" "http://127.0.0.1:$DEAD/api/v2/alerts" | LC_ALL=C sort | tr '\n' ' ')
want=${want% }
for _ in $(seq 100); do [ "$(ams active)" = "$want" ] && break; sleep 0.1; done
check_eq http_sd_change_followed "$(ams active)" "$want"
finish
