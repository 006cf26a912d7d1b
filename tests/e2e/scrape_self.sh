#!/usr/bin/env bash
# scrape_self.sh - the scrape loop end to end (scrape/manager.c, loop.c):
# flint scrapes its own /metrics and a page served on loopback by this
# script (OpenMetrics, gzip when asked), every second:
#   - up, the report series and the page's series with the target labels
#     (a conflicting exposed `job` kept as exported_job);
#   - staleness: a series dropped from the page is stale at the next scrape;
#   - /api/v1/targets fields, its state and scrapePool parameters,
#     /api/v1/scrape_pools, /api/v1/targets/metadata, /metrics' prometheus_target_*;
#   - bad targets: a body past --scrape.body-size-limit-default, a
#     never-ending body, a slowloris (bounded by scrape_timeout), an HTTP 500:
#     each is down with Prometheus's error text while the others stay up;
#   - a reload that removes a job: its targets' series go stale (~2 intervals).
# Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
need "$FLINT" curl "$PY"

FP=$(free_port)
PP=$(free_port)
cat >"$tmp/page.py" <<'EOF'
import gzip, http.server, os, sys, time
flag = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def send(self, code, body, ctype="application/openmetrics-text; version=1.0.0; charset=utf-8"):
        gz = "gzip" in self.headers.get("Accept-Encoding", "")
        if gz:
            body = gzip.compress(body)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        p = self.path
        if p == "/metrics":
            b = "# HELP page_requests_total Requests.\n# TYPE page_requests_total counter\npage_requests_total 5\n"
            b += "# TYPE page_temp gauge\npage_temp{job=\"exposed\",room=\"a\"} 21.5\n"
            if not os.path.exists(flag):
                b += "page_temp{job=\"exposed\",room=\"b\"} 19\n"
            b += "# EOF\n"
            self.send(200, b.encode())
        elif p == "/big":
            self.send(200, ("big_series{i=\"%s\"} 1\n" % ("x" * 100)).encode() * 2000 + b"# EOF\n")
        elif p == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/openmetrics-text; version=1.0.0")
            self.end_headers()
            try:
                line = b"endless_series 1\n" * 1000
                while True:
                    self.wfile.write(line)
            except Exception:
                return
        elif p == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "application/openmetrics-text; version=1.0.0")
            self.end_headers()
            try:
                for _ in range(60):
                    self.wfile.write(b"s")
                    self.wfile.flush()
                    time.sleep(0.5)
            except Exception:
                return
        else:
            self.send(500, b"boom\n", "text/plain")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
"$PY" "$tmp/page.py" "$PP" "$tmp/drop" >"$tmp/page.log" 2>&1 &
pids+=($!)

job() { # name path [timeout]
	printf '  - job_name: %s\n    metrics_path: %s\n' "$1" "$2"
	[ -n "${3:-}" ] && printf '    scrape_timeout: %s\n' "$3"
	printf '    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' "$PP"
}
{
	printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n'
	printf '  - job_name: self\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' "$FP"
	job page /metrics
	job big /big
	job endless /endless
	job slow /slow 500ms
	job broken /broken
} >"$tmp/f.yml"
start_flint f "$FP" --web.enable-lifecycle --scrape.body-size-limit-default=128KB
F=http://127.0.0.1:$FP

q() { curl -s --get "$F/api/v1/query" --data-urlencode "query=$1"; }
# value of an instant query with one result, or "none"
qv() { q "$1" | "$PY" -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
except Exception:
    print("no answer"); sys.exit()
print(r[0]["value"][1] if len(r) == 1 else ("none" if not r else "many:%d" % len(r)))'; }
# wait_for NAME EXPR WANT SECONDS: poll until the value is WANT
wait_for() {
	local got i
	for i in $(seq $(($4 * 5))); do
		got=$(qv "$2")
		[ "$got" = "$3" ] && { ok "$1"; return; }
		sleep 0.2
	done
	fail "$1" "got [$got] want [$3]"
}

wait_for "page target is up" 'up{job="page"}' 1 10
wait_for "flint scrapes its own /metrics" 'up{job="self",instance="127.0.0.1:'"$FP"'"}' 1 10
wait_for "own metrics stored with target labels" 'count(prometheus_ready{job="self"})' 1 5
check_eq "page series with target labels, conflicting job exported" \
	"$(qv 'page_temp{job="page",instance="127.0.0.1:'"$PP"'",exported_job="exposed",room="a"}')" 21.5
check_eq "counter stored" "$(qv 'page_requests_total{job="page"}')" 5
check_eq "scrape_samples_scraped" "$(qv 'scrape_samples_scraped{job="page"}')" 3
check_eq "scrape_samples_post_metric_relabeling" "$(qv 'scrape_samples_post_metric_relabeling{job="page"}')" 3
# one query (a scrape may land between two): a non-negative number
sd=$(qv 'scrape_duration_seconds{job="page"} >= 0')
case $sd in
'' | *[!0-9.e-]*) fail "scrape_duration_seconds present" "[$sd]" ;;
*) ok "scrape_duration_seconds present ($sd)" ;;
esac
wait_for "scrape_series_added is 0 once the series are known" 'scrape_series_added{job="page"}' 0 5

# staleness: drop room="b" from the page
check_eq "room b present" "$(qv 'page_temp{room="b"}')" 19
touch "$tmp/drop"
wait_for "a series gone from the page is stale at the next scrape" 'count(page_temp{room="b"}) or vector(0)' 0 5
check_eq "the rest stays" "$(qv 'page_temp{room="a"}')" 21.5

# bad targets: each down with its error, the others unaffected
wait_for "body over --scrape.body-size-limit-default: down" 'up{job="big"}' 0 5
wait_for "never-ending body: down" 'up{job="endless"}' 0 5
wait_for "slowloris: down at scrape_timeout" 'up{job="slow"}' 0 5
wait_for "HTTP 500: down" 'up{job="broken"}' 0 5
check_eq "page still up" "$(qv 'up{job="page"}')" 1

T=$(curl -s "$F/api/v1/targets")
tfield() { # pool field
	echo "$T" | "$PY" -c 'import json,sys; d=json.load(sys.stdin)["data"]
for t in d["activeTargets"]:
    if t["scrapePool"]==sys.argv[1]: print(json.dumps(t[sys.argv[2]]) if not isinstance(t[sys.argv[2]], str) else t[sys.argv[2]])' "$1" "$2"
}
check_eq "targets: health" "$(tfield page health)" up
check_eq "targets: lastError empty" "$(tfield page lastError)" ""
check_eq "targets: scrapeUrl" "$(tfield page scrapeUrl)" "http://127.0.0.1:$PP/metrics"
check_eq "targets: scrapeInterval" "$(tfield page scrapeInterval)" 1s
check_eq "targets: scrapeTimeout" "$(tfield slow scrapeTimeout)" 500ms
check_eq "targets: labels" "$(tfield page labels)" "{\"instance\": \"127.0.0.1:$PP\", \"job\": \"page\"}"
check_has "targets: discoveredLabels" "$(tfield page discoveredLabels)" "\"__address__\": \"127.0.0.1:$PP\""
check_has "targets: lastScrape is RFC 3339" "$(tfield page lastScrape)" "T"
check_eq "targets: big's error" "$(tfield big lastError)" "body size limit exceeded"
check_eq "targets: endless's error" "$(tfield endless lastError)" "body size limit exceeded"
check_eq "targets: broken's error" "$(tfield broken lastError)" "server returned HTTP status 500 Internal Server Error"
check_has "targets: slowloris's error" "$(tfield slow lastError)" "context deadline exceeded"
check_eq "targets: down health" "$(tfield broken health)" down
check_eq "targets?scrapePool=page" \
	"$(curl -s "$F/api/v1/targets?scrapePool=page" | "$PY" -c 'import json,sys; print([t["scrapePool"] for t in json.load(sys.stdin)["data"]["activeTargets"]])')" \
	"['page']"
check_eq "targets?state=dropped" \
	"$(curl -s "$F/api/v1/targets?state=dropped" | "$PY" -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(len(d["activeTargets"]), d["droppedTargets"], sorted(d["droppedTargetCounts"]))')" \
	"0 [] ['big', 'broken', 'endless', 'page', 'self', 'slow']"
check_eq "targets?state=active: no dropped counts" \
	"$(curl -s "$F/api/v1/targets?state=active" | "$PY" -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(len(d["activeTargets"]), d["droppedTargetCounts"])')" \
	"6 None"
check_eq "scrape_pools sorted" "$(curl -s "$F/api/v1/scrape_pools")" \
	'{"status":"success","data":{"scrapePools":["big","broken","endless","page","self","slow"]}}'
check_has "targets/metadata" "$(curl -s "$F/api/v1/targets/metadata?metric=page_requests_total")" '"help":"Requests."'
check_has "targets/metadata match_target" \
	"$(curl -s --get "$F/api/v1/targets/metadata" --data-urlencode 'match_target={job="page"}')" '"metric":"page_temp"'
check_has "/api/v1/metadata has scraped metadata" "$(curl -s "$F/api/v1/metadata?metric=page_requests_total")" \
	'"help":"Requests."'
M=$(curl -s "$F/metrics")
check_has "self metrics: pool targets" "$M" 'prometheus_target_scrape_pool_targets{scrape_job="page"} 1'
check_has "self metrics: interval length" "$M" 'prometheus_target_interval_length_seconds{interval="1s",quantile="0.5"}'
check_has "self metrics: body size limit hits" "$M" 'prometheus_target_scrapes_exceeded_body_size_limit_total'

# a reload that leaves a target unchanged keeps its loop and cache: no
# series is new to it afterwards (a new loop would add all three again)
check_eq "reload, same file" "$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$F/-/reload")" 200
sleep 2.5
check_eq "unchanged target keeps its cache across a reload" \
	"$(qv 'max_over_time(scrape_series_added{job="page"}[2s])')" 0

# reload without the page job: its series go stale after ~2 intervals
"$PY" - "$tmp/f.yml" <<'EOF'
import sys
p = sys.argv[1]
t = open(p).read().split("  - job_name: ")
t = [x for x in t if not x.startswith("page\n")]
open(p, "w").write("  - job_name: ".join(t))
EOF
check_eq "reload" "$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$F/-/reload")" 200
wait_for "a removed target's series go stale" 'count(up{job="page"}) or vector(0)' 0 8
check_eq "removed target's page series stale too" "$(qv 'count(page_temp) or vector(0)')" 0
check_eq "other targets keep scraping" "$(qv 'up{job="self"}')" 1
finish
