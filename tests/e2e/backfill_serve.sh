#!/usr/bin/env bash
# backfill_serve.sh - blocks as the interchange between flint and Prometheus:
#   1. `flinttool tsdb create-blocks-from openmetrics` turns the golden
#      OpenMetrics input (../shared/conformance/tsdb/block-openmetrics) into
#      blocks; one copy is served by flint, one by Debian's Prometheus 2.42;
#   2. flint is also started on the blocks promtool wrote from that input;
#   3. the same instant and range queries, label and series requests go to
#      all three; answers must be equal (values as strings; float results
#      within 1e-9 relative where summation order may differ).
# Evaluation times end in .567 s, off every jittered sample (DESIGN.md: 2.42
# closes range selectors on the left, 3.x opens them). `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
TOOL=$BUILD/flinttool
need "$FLINT" "$TOOL" prometheus curl "$PY"
G=$SHARED/conformance/tsdb/block-openmetrics

if "$TOOL" tsdb create-blocks-from openmetrics -q "$G/source.om.txt" "$tmp/flint-data" >"$tmp/bf.out" 2>&1; then
	ok "backfill"
else
	fail "backfill" "$(head -3 "$tmp/bf.out")"
	finish
	exit 1
fi
cp -r "$tmp/flint-data" "$tmp/prom-data"
mkdir -p "$tmp/golden-data" && cp -r "$G/blocks/." "$tmp/golden-data/" && chmod -R u+w "$tmp/golden-data"

FP=$(free_port)
GP=$(free_port)
PP=$(free_port)
start_flint flint "$FP"
start_flint golden "$GP"
printf 'global:\n  scrape_interval: 15s\n' >"$tmp/prom.yml"
start_prom prom "$PP" "$tmp/prom.yml"

"$PY" - "http://127.0.0.1:$FP" "http://127.0.0.1:$GP" "http://127.0.0.1:$PP" >"$tmp/compare.out" 2>&1 <<'PYEOF'
import json, math, sys, urllib.parse, urllib.request, urllib.error
flint, golden, prom = sys.argv[1:4]
T0 = 1700000000  # the input's first second

def get(base, path, params):
    url = base + path + "?" + urllib.parse.urlencode(params, doseq=True)
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")

def num_eq(a, b):
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-9 * max(abs(x), abs(y))

def canon(body):
    """A comparable form: series keyed by labels, sample lists kept in order."""
    d = body.get("data")
    if isinstance(d, dict) and "resultType" in d:
        res = d["result"]
        if d["resultType"] in ("vector", "matrix"):
            return d["resultType"], sorted(((json.dumps(s["metric"], sort_keys=True),
                                             s.get("values") or [s.get("value")]) for s in res))
        return d["resultType"], [("", [res])]
    return "other", [("", [[0, json.dumps(d, sort_keys=True)]])]

def same(a, b):
    ta, sa = canon(a)
    tb, sb = canon(b)
    if ta != tb or len(sa) != len(sb):
        return f"{ta}/{len(sa)} series vs {tb}/{len(sb)}"
    for (ka, pa), (kb, pb) in zip(sa, sb):
        if ka != kb:
            return f"series {ka} vs {kb}"
        if len(pa) != len(pb):
            return f"{ka}: {len(pa)} vs {len(pb)} points"
        for p, q in zip(pa, pb):
            if p[0] != q[0] or not num_eq(p[1], q[1]):
                return f"{ka}: {p} vs {q}"
    return None

t = lambda s: f"{T0 + s}.567"
queries = [
    ("query", {"query": "count({__name__=~\".+\"})", "time": t(3600)}),
    ("query", {"query": "{__name__=~\".+\"}", "time": t(7000)}),
    ("query", {"query": "{__name__=~\".+\"}", "time": t(9000)}),
    ("query", {"query": "count_over_time(irregular_events[1h])", "time": t(7200)}),
    ("query", {"query": "histogram_quantile(0.9, rate(request_latency_seconds_bucket[10m]))", "time": t(6600)}),
    ("query", {"query": "special_values", "time": t(8100)}),
    ("query", {"query": "rate(node_cpu_seconds_total[5m])", "time": t(5000)}),
    ("query", {"query": "max_over_time(big_integers[30m])", "time": t(11000)}),
    ("query", {"query": "min_over_time(temperature_celsius[2h])", "time": t(8000)}),
    ("query_range", {"query": "count_over_time(tiny_steps[10m]) + count_over_time(sparse_gauge[2h])",
                     "start": t(0), "end": t(12000), "step": "300"}),
    ("query_range", {"query": "sum by (mode) (rate(node_cpu_seconds_total[5m]))",
                     "start": t(0), "end": t(12000), "step": "60"}),
    ("query_range", {"query": "label_edge_cases", "start": t(0), "end": t(12000), "step": "120"}),
    ("query_range", {"query": "{__name__=~\"node_.*\"}", "start": t(6000), "end": t(7000), "step": "15"}),
    ("query_range", {"query": "increase(node_cpu_seconds_total[15m])", "start": t(0), "end": t(11700), "step": "600"}),
    ("labels", {"start": t(-100), "end": t(12000)}),
    ("label/__name__/values", {"start": t(-100), "end": t(12000)}),
    ("series", {"match[]": "{__name__=~\".+\"}", "start": t(-100), "end": t(12000)}),
]
bad = 0
for i, (path, params) in enumerate(queries):
    answers = {n: get(b, "/api/v1/" + path, params) for n, b in (("flint", flint), ("golden", golden), ("prom", prom))}
    codes = {n: a[0] for n, a in answers.items()}
    why = None
    if len(set(codes.values())) != 1 or codes["prom"] != 200:
        why = f"codes {codes}"
    else:
        why = same(answers["flint"][1], answers["prom"][1]) or same(answers["golden"][1], answers["prom"][1])
    name = f"{path} {params.get('query', params.get('match[]', ''))} #{i}"
    if why:
        bad += 1
        print(f"FAIL {name}: {why}")
    else:
        print(f"ok {name}")
PYEOF
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok }" ;;
	"FAIL "*) rest=${line#FAIL }; fail "${rest%%: *}" "${rest#*: }" ;;
	*) fail "compare" "$line" ;;
	esac
done <"$tmp/compare.out"
finish
