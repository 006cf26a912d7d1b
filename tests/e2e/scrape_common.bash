# scrape_common.bash - shared by the scrape e2e scripts (sourced after
# web_common.bash, not run): the loopback page server (page_server.py), a
# node_exporter with a few stable collectors, bounded polling, and small
# readers of the HTTP API that print one line per series.
PAGES=$(dirname "${BASH_SOURCE[0]}")/page_server.py
NODE_EXPORTER=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}

# start_pages NAME ARGS...: page_server.py with ports in $tmp/NAME.ports
start_pages() {
	local name=$1 i
	shift
	"$PY" "$PAGES" "$tmp/$name.ports" "$@" >"$tmp/$name.log" 2>&1 &
	pids+=($!)
	for i in $(seq 100); do [ -s "$tmp/$name.ports" ] && return 0; sleep 0.1; done
	fail "$name starts" "$(tail -5 "$tmp/$name.log")"
	finish
	exit 1
}
# port_of NAME MODE [INDEX]: a port page server NAME listens on for MODE
port_of() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d[sys.argv[2]]; print(v if isinstance(v,int) else v[int(sys.argv[3])])' "$tmp/$1.ports" "$2" "${3:-0}"; }
# page_times NAME PORT: the unix times page server NAME answered PORT at
page_times() { curl -s "http://127.0.0.1:$(port_of "$1" control)/times?port=$2"; }

# start_node_exporter PORT: Debian's node_exporter on 127.0.0.1:PORT with
# collectors whose series set does not change from scrape to scrape; its
# pid is $ne_pid (also in pids, for the trap)
start_node_exporter() {
	local i
	"$NODE_EXPORTER" --web.listen-address=127.0.0.1:"$1" --collector.disable-defaults \
		--collector.loadavg --collector.time --collector.uname --collector.meminfo \
		>"$tmp/node_exporter.log" 2>&1 &
	ne_pid=$!
	pids+=($ne_pid)
	for i in $(seq 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/metrics")" = 200 ] && return 0
		sleep 0.1
	done
	fail "node_exporter starts" "$(tail -5 "$tmp/node_exporter.log")"
	finish
	exit 1
}

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds (0) or
# SECONDS of wall-clock time pass (1)
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$end" ]; do "$@" && return 0; sleep 0.2; done
	return 1
}

# instant URL EXPR [TIME]: the vector result, one `{labels} value` line per
# series, labels sorted, lines sorted; `error: ...` on a failed query
instant() {
	"$PY" - "$@" <<'PYEOF'
import json, sys, urllib.parse, urllib.request, urllib.error
url, expr = sys.argv[1], sys.argv[2]
params = {"query": expr}
if len(sys.argv) > 3: params["time"] = sys.argv[3]
try:
    with urllib.request.urlopen(url + "/api/v1/query?" + urllib.parse.urlencode(params), timeout=30) as r:
        d = json.loads(r.read())
except urllib.error.HTTPError as e:
    d = {"status": "error", "error": f"HTTP {e.code}: {e.read()[:200]!r}"}
except Exception as e:
    d = {"status": "error", "error": str(e)}
if d.get("status") != "success":
    print("error: " + str(d.get("error"))); sys.exit(0)
res = d["data"]["result"]
if d["data"]["resultType"] == "scalar":
    print(res[1]); sys.exit(0)
for s in sorted(res, key=lambda s: sorted(s["metric"].items())):
    print("{" + ",".join(f'{k}="{v}"' for k, v in sorted(s["metric"].items())) + "} " + s["value"][1])
PYEOF
}
# tally FILE: shows a checker's output and counts its `ok ...` and `FAIL ...` lines
tally() {
	cat "$1"
	passed=$((passed + $(grep -c '^ok ' "$1")))
	failed=$((failed + $(grep -c '^FAIL ' "$1")))
}

# value_is URL EXPR WANT: the value of a one-series result is WANT (for wait_for)
value_is() { [ "$(value "$1" "$2")" = "$3" ]; }
# value URL EXPR: the value of a one-series result ("" when empty, "error..." on error)
value() { instant "$1" "$2" | awk '/^error/ { print; exit } { print $NF; exit }'; }

# targets URL: one line per active target: `pool|instance|health|lastError`
targets() {
	curl -s "$1/api/v1/targets" | "$PY" -c '
import json, sys
try: d = json.load(sys.stdin)
except ValueError: print("error: not JSON"); sys.exit(0)
for t in (d.get("data") or {}).get("activeTargets") or []:
    print("|".join([t.get("scrapePool", ""), t.get("labels", {}).get("instance", ""), t.get("health", ""),
                    t.get("lastError", "").replace("\n", " ")]))'
}
