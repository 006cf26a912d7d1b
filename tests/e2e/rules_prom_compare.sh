#!/usr/bin/env bash
# rules_prom_compare.sh - the same rule file over the same data in flint and
# in Debian's Prometheus 2.42, side by side:
#   1. a static exposition file (node_exporter-like series: counters,
#      gauges, several instances' worth of labels) served over loopback
#      HTTP; flint and Prometheus each scrape it every 1s and evaluate the
#      same rule file every 1s (recording rules with sum/rate/avg/
#      label_replace/count, alerting rules with `for`, labels and
#      templated annotations; one alert never fires, one is dropped by a
#      threshold).
#   2. once both have fired, the recorded series are equal (names, labels,
#      values), ALERTS and ALERTS_FOR_STATE have the same label sets, and
#      /api/v1/alerts and /api/v1/rules list the same alerts with the same
#      labels, annotations and states, and the same rules in the same
#      groups with the same queries and health.
# Prints `N passed, N failed`; exits non-zero on failure.
set -u
. "$(dirname "$0")/web_common.bash"
if [ ! -x "$FLINT" ] || ! command -v prometheus >/dev/null; then
	echo "FAIL setup: need $FLINT and prometheus (make deps)"
	echo "0 passed, 1 failed"
	exit 1
fi
FP=$(free_port)
PP=$(free_port)
SP=$(free_port)
F=http://127.0.0.1:$FP
P=http://127.0.0.1:$PP

mkdir -p "$tmp/www"
cat >"$tmp/www/metrics.txt" <<'EOF'
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 1000
node_cpu_seconds_total{cpu="0",mode="user"} 200
node_cpu_seconds_total{cpu="1",mode="idle"} 900
node_cpu_seconds_total{cpu="1",mode="user"} 300
# TYPE node_memory_MemAvailable_bytes gauge
node_memory_MemAvailable_bytes 1.5e+09
# TYPE node_memory_MemTotal_bytes gauge
node_memory_MemTotal_bytes 8e+09
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 5e+08
node_filesystem_avail_bytes{device="/dev/sdb1",fstype="ext4",mountpoint="/data"} 9e+10
# TYPE node_filesystem_size_bytes gauge
node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 1e+10
node_filesystem_size_bytes{device="/dev/sdb1",fstype="ext4",mountpoint="/data"} 1e+11
EOF
"$PY" -m http.server "$SP" --bind 127.0.0.1 --directory "$tmp/www" >"$tmp/http.log" 2>&1 &
pids+=($!)

cat >"$tmp/rules.yml" <<'EOF'
groups:
  - name: node-recording
    interval: 1s
    rules:
      - record: instance:node_cpus:count
        expr: count without (cpu, mode) (node_cpu_seconds_total{mode="idle"})
      - record: instance:node_cpu_utilisation:rate1m
        expr: 1 - avg without (cpu) (sum without (mode) (rate(node_cpu_seconds_total{mode="idle"}[1m])))
      - record: instance:node_memory_utilisation:ratio
        expr: 1 - (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)
      - record: mountpoint:node_filesystem_avail:ratio
        expr: label_replace(node_filesystem_avail_bytes / node_filesystem_size_bytes, "disk", "$1", "device", "/dev/(.*)")
        labels:
          source: rules
  - name: node-alerts
    interval: 1s
    rules:
      - alert: NodeFilesystemAlmostFull
        expr: mountpoint:node_filesystem_avail:ratio < 0.1
        for: 2s
        labels:
          severity: warning
        annotations:
          summary: "Filesystem on {{ $labels.device }} at {{ $labels.instance }} has only {{ printf \"%.2f\" $value }} available."
          description: "{{ $labels.mountpoint }} is {{ humanizePercentage $value }} free"
      - alert: NodeMemoryHigh
        expr: instance:node_memory_utilisation:ratio > 0.5
        labels:
          severity: critical
        annotations:
          summary: "memory {{ $value | humanize }} on {{ $labels.instance }}"
      - alert: NeverFires
        expr: instance:node_cpus:count > 100
        for: 1m
EOF
conf() { # PORT -> config
	cat <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [$tmp/rules.yml]
scrape_configs:
  - job_name: node
    metrics_path: /metrics.txt
    static_configs:
      - targets: ['127.0.0.1:$SP']
EOF
}
conf >"$tmp/flint.yml"
conf >"$tmp/prom.yml"
"$FLINT" --config.file="$tmp/flint.yml" --storage.tsdb.path="$tmp/fdata" --web.listen-address=127.0.0.1:$FP \
	>"$tmp/flint.log" 2>&1 &
pids+=($!)
prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/pdata" --web.listen-address=127.0.0.1:$PP \
	>"$tmp/prom.log" 2>&1 &
pids+=($!)
if wait_ready "$F" 60; then ok flint_ready; else fail flint_ready "$(tail -3 "$tmp/flint.log")"; fi
if wait_ready "$P" 60; then ok prometheus_ready; else fail prometheus_ready "$(tail -3 "$tmp/prom.log")"; fi

# what a server recorded and alerted, normalised for comparison
snapshot() { # URL
	"$PY" - "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
u = sys.argv[1]
def get(path, **q):
    with urllib.request.urlopen(u + path + ("?" + urllib.parse.urlencode(q) if q else ""), timeout=10) as r:
        return json.load(r)["data"]
out = {}
for name in ["instance:node_cpus:count", "instance:node_cpu_utilisation:rate1m",
             "instance:node_memory_utilisation:ratio", "mountpoint:node_filesystem_avail:ratio"]:
    out[name] = sorted((json.dumps(s["metric"], sort_keys=True), s["value"][1]) for s in get("/api/v1/query", query=name)["result"])
for name in ["ALERTS", "ALERTS_FOR_STATE"]:
    out[name] = sorted(json.dumps(s["metric"], sort_keys=True) for s in get("/api/v1/query", query=name)["result"])
out["alerts"] = sorted(json.dumps([a["labels"], a["annotations"], a["state"]], sort_keys=True) for a in get("/api/v1/alerts")["alerts"])
rules = []
for g in get("/api/v1/rules")["groups"]:
    for r in g["rules"]:
        rules.append(json.dumps([g["name"], g["interval"], r["type"], r["name"], r["query"], r["health"], r.get("labels", {}),
                                 r.get("annotations"), r.get("duration"), r.get("state"),
                                 sorted(json.dumps([a["labels"], a["annotations"], a["state"], a["value"]], sort_keys=True) for a in r.get("alerts", []))], sort_keys=True))
out["rules"] = rules
print(json.dumps(out, sort_keys=True))
EOF
}
# both have fired: / is almost full (for: 2s), memory is high (no for)
fired() { # URL
	curl -s "$1/api/v1/alerts" | "$PY" -c 'import json,sys
a = json.load(sys.stdin)["data"]["alerts"]; print(sum(1 for x in a if x["state"] == "firing"))'
}
for _ in $(seq 200); do
	[ "$(fired "$F")" = 2 ] && [ "$(fired "$P")" = 2 ] && break
	sleep 0.1
done
check_eq flint_fired "$(fired "$F")" 2
check_eq prometheus_fired "$(fired "$P")" 2
sleep 2 # a few more evaluations: rate() over more than one sample on both
fs=$(snapshot "$F")
ps=$(snapshot "$P")
for k in instance:node_cpus:count instance:node_cpu_utilisation:rate1m instance:node_memory_utilisation:ratio \
	mountpoint:node_filesystem_avail:ratio ALERTS ALERTS_FOR_STATE alerts rules; do
	a=$(echo "$fs" | "$PY" -c "import json,sys; print(json.dumps(json.load(sys.stdin)['$k']))")
	b=$(echo "$ps" | "$PY" -c "import json,sys; print(json.dumps(json.load(sys.stdin)['$k']))")
	check_eq "same_$k" "$a" "$b"
done
finish
