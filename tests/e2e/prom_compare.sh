#!/usr/bin/env bash
# prom_compare.sh - flint against Debian's Prometheus 2.42, answer by answer:
#   1. both on free loopback ports with the remote-write receiver on, fed the
#      same deterministic data (conformance's send-remote-write.py: counters,
#      gauges, constants, sparse series, stale markers; one hour at 15 s);
#   2. every request of the Grafana contract (spec section 4: instant and
#      range queries by GET and POST, labels, label values, series with
#      match[]/start/end, exemplar probe, errors) sent to both;
#   3. answers compared: HTTP code, status, errorType and error text; result
#      type; the same series with the same values (float strings equal, or
#      within 1e-9 relative where evaluation order may differ); order only
#      where Prometheus defines it (sort, sort_desc; label lists).
# Evaluation times sit off the 15 s sample grid (DESIGN.md: 2.42's range
# selectors are closed on the left, 3.x's open; off-grid times agree).
# Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
need "$FLINT" prometheus curl "$PY"

FP=$(free_port)
PP=$(free_port)
F=http://127.0.0.1:$FP
P=http://127.0.0.1:$PP
start_flint flint "$FP" --web.enable-remote-write-receiver
printf 'global:\n  scrape_interval: 15s\n' >"$tmp/prom.yml"
start_prom prom "$PP" "$tmp/prom.yml" --web.enable-remote-write-receiver

end_ms=$(($(date +%s) * 1000))
sender=$SHARED/conformance/tsdb/wal-remote-write/send-remote-write.py
for u in "$F" "$P"; do
	if (cd "$tmp" && "$PY" "$sender" "$u/api/v1/write" "$end_ms" 40 60 >/dev/null 2>"$tmp/send.err"); then
		ok "data sent to $u"
	else
		fail "data sent to $u" "$(tail -3 "$tmp/send.err")"
	fi
done

"$PY" - "$F" "$P" "$end_ms" >"$tmp/compare.out" 2>&1 <<'PYEOF'
import json, math, sys, urllib.parse, urllib.request, urllib.error
F, P, end_ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = (end_ms // 15000) * 15 - 7.5          # off the sample grid, inside the data
rs, re_ = t0 - 1800, t0                     # range queries: 30 min, steps keep t off grid

def fetch(base, method, path, params):
    data = None
    url = base + path
    q = urllib.parse.urlencode(params, doseq=True)
    if method == "GET":
        url += ("?" + q) if q else ""
    else:
        data = q.encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()

def close(a, b):
    if a == b: return True
    try: x, y = float(a), float(b)
    except ValueError: return False
    if math.isnan(x) and math.isnan(y): return True
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))

def key(m): return json.dumps(m, sort_keys=True)

def cmp_points(a, b):
    if len(a) != len(b): return f"{len(a)} vs {len(b)} points"
    for p, q in zip(a, b):
        if p[0] != q[0] or not close(p[1], q[1]): return f"point {p} vs {q}"
    return None

def cmp_result(rt, a, b, ordered):
    if rt in ("scalar", "string"):
        return None if a[0] == b[0] and close(a[1], b[1]) else f"{a} vs {b}"
    if len(a) != len(b): return f"{len(a)} vs {len(b)} series: {sorted(key(x['metric']) for x in a)[:3]} vs {sorted(key(x['metric']) for x in b)[:3]}"
    if not ordered:
        a = sorted(a, key=lambda x: key(x["metric"])); b = sorted(b, key=lambda x: key(x["metric"]))
    for x, y in zip(a, b):
        if x["metric"] != y["metric"]: return f"series {x['metric']} vs {y['metric']}"
        d = cmp_points(x.get("values", [x.get("value")]), y.get("values", [y.get("value")]))
        if d: return f"{x['metric']}: {d}"
    return None

def compare(name, method, path, params, ordered=False, as_set=False):
    (fc, fb), (pc, pb) = fetch(F, method, path, params), fetch(P, method, path, params)
    try:
        fj = json.loads(fb) if fb else None; pj = json.loads(pb) if pb else None
    except ValueError:
        fj = pj = None
    why = None
    if fc != pc: why = f"code {fc} vs {pc}: {fb[:200]!r} / {pb[:200]!r}"
    elif fj is None or pj is None: why = None if fb == pb else f"body {fb[:200]!r} vs {pb[:200]!r}"
    elif fj.get("status") != pj.get("status"): why = f"status {fj.get('status')} vs {pj.get('status')}"
    elif fj.get("status") == "error":
        if (fj.get("errorType"), fj.get("error")) != (pj.get("errorType"), pj.get("error")):
            why = f"error {fj.get('errorType')}: {fj.get('error')} vs {pj.get('errorType')}: {pj.get('error')}"
    else:
        fd, pd = fj.get("data"), pj.get("data")
        if isinstance(fd, dict) and "resultType" in fd:
            if fd["resultType"] != pd["resultType"]: why = f"resultType {fd['resultType']} vs {pd['resultType']}"
            else: why = cmp_result(fd["resultType"], fd["result"], pd["result"], ordered)
        elif as_set:
            if sorted(map(key, fd)) != sorted(map(key, pd)): why = f"{len(fd)} vs {len(pd)} items; first {fd[:2]} vs {pd[:2]}"
        elif fd != pd:
            why = f"{json.dumps(fd)[:300]} vs {json.dumps(pd)[:300]}"
    print(("ok " if why is None else "FAIL ") + name + ("" if why is None else ": " + why))

exprs = [
    ("selector", "rw_requests_total"), ("rate", "rate(rw_requests_total[5m])"),
    ("sum by rate", "sum by (instance) (rate(rw_requests_total[5m]))"),
    ("comparison", "rw_temperature_celsius > 500"), ("count", "count(rw_info)"),
    ("avg_over_time", "avg_over_time(rw_temperature_celsius[10m])"), ("topk", "topk(3, rw_temperature_celsius)"),
    ("sparse", "rw_batch_last_success"), ("offset", "rw_requests_total offset 5m"),
    ("absent", "absent(nonexistent_metric)"), ("arith", "rw_requests_total * 2 + 1"),
    ("label_replace", 'label_replace(rw_info, "host", "$1", "instance", "(.*):.*")'),
    ("increase", "increase(rw_requests_total[10m])"), ("deriv", "deriv(rw_temperature_celsius[10m])"),
    ("quantile", "quantile(0.9, rw_temperature_celsius)"), ("no data", "up"),
    ("scalar", "scalar(count(rw_info))"), ("time", "time()"), ("string", '"foo"'),
    ("matcher regex", 'rw_info{instance=~"host-1.*"}'), ("matcher neq", 'count(rw_info{shard!="3"})'),
]
for m in ("GET", "POST"):
    compare(f"health check {m}", m, "/api/v1/query", {"query": "1+1", "time": "4"})
    for n, e in exprs:
        compare(f"instant {n} {m}", m, "/api/v1/query", {"query": e, "time": f"{t0:.3f}"})
        if n not in ("string",):
            compare(f"range {n} {m}", m, "/api/v1/query_range", {"query": e, "start": f"{rs:.3f}", "end": f"{re_:.3f}", "step": "60"})
    compare(f"sort_desc {m}", m, "/api/v1/query", {"query": "sort_desc(sum by (instance) (rw_requests_total))", "time": f"{t0}"}, ordered=True)
    compare(f"sort {m}", m, "/api/v1/query", {"query": "sort(rw_temperature_celsius)", "time": f"{t0}"}, ordered=True)
    compare(f"range matrix selector instant {m}", m, "/api/v1/query", {"query": "rw_info[1m]", "time": f"{t0}"})
    compare(f"range string step {m}", m, "/api/v1/query_range", {"query": "rw_info", "start": f"{rs}", "end": f"{re_}", "step": "1m"})
    compare(f"labels {m}", m, "/api/v1/labels", {})
    compare(f"labels match[] {m}", m, "/api/v1/labels", {"match[]": ["rw_info", 'rw_requests_total{shard="0"}']})
    compare(f"series {m}", m, "/api/v1/series", {"match[]": "rw_info", "start": f"{rs}", "end": f"{re_}"}, as_set=True)
    compare(f"series two match[] {m}", m, "/api/v1/series", {"match[]": ["rw_info", '{__name__="rw_batch_last_success"}']}, as_set=True)
    compare(f"series all {m}", m, "/api/v1/series", {"match[]": '{__name__!=""}'}, as_set=True)
    compare(f"exemplar probe {m}", m, "/api/v1/query_exemplars", {"query": "test", "start": str(end_ms), "end": str(end_ms + 1000)})
    compare(f"error parse {m}", m, "/api/v1/query", {"query": "sum(", "time": "4"})
    compare(f"error range step {m}", m, "/api/v1/query_range", {"query": "up", "start": "0", "end": "100", "step": "0"})
    compare(f"error no match[] {m}", m, "/api/v1/series", {})
compare("label values __name__", "GET", "/api/v1/label/__name__/values", {})
compare("label values with match[]", "GET", "/api/v1/label/instance/values", {"match[]": '{__name__="rw_info"}', "start": f"{int(rs)}", "end": f"{int(re_)}"})
compare("label values unknown", "GET", "/api/v1/label/nope/values", {})
compare("label values bare name match[]", "GET", "/api/v1/label/shard/values", {"match[]": "rw_batch_last_success"})
# regexp errors in Go's words (tsdb/regex_errors.c); only patterns whose error
# text does not reach the pattern's end, where 2.42's "^(?:...)$" wrapping shows
for rx in ("*", "a**", "a*+", "[z-a]", "x\\q", "(?=a)", "(?x)a", "a{2,1}", "a{1001}", "[[:foo:]]", "(a)\\1"):
    compare(f"regexp error {rx}", "GET", "/api/v1/query", {"query": "rw_info{instance=~`" + rx + "`}", "time": "4"})
compare("rfc3339 time", "GET", "/api/v1/query", {"query": "count(rw_info)", "time": "2026-11-25T00:00:00.5Z"})
compare("step duration form", "GET", "/api/v1/query_range", {"query": "count(rw_info)", "start": f"{rs}", "end": f"{re_}", "step": "1m30s"})
# format_query answers expr.Pretty(0): one line up to 100 bytes, split past it
for n, q in (("short", "sum(rate(rw_requests_total[5m]))by(instance)"),
             ("long", 'sum by (job, instance) (rate(http_requests_total{job="api-server", handler=~"/api/.*"}[5m])) / on (job, instance) group_left sum by (job, instance) (rate(http_requests_total[5m]))')):
    compare(f"format_query {n}", "POST", "/api/v1/format_query", {"query": q})
PYEOF
while IFS= read -r line; do
	case "$line" in
	"ok "*) passed=$((passed + 1)); echo "$line" ;;
	"FAIL "*) failed=$((failed + 1)); echo "$line" ;;
	*) echo "$line" ;;
	esac
done <"$tmp/compare.out"
# ---- topk/bottomk ties (issue 14): which tied series survive depends on
# the heap upstream keeps per group, and an instant result's order on Go's
# sort of that heap. 3.x (flint's reference) and 2.42 maintain the heap
# differently (3.x replaces the root and sifts down; 2.42 pops, then
# pushes), so the value patterns below are ones where both choose the same
# series in the same order, and where picking "the first k in input order
# among ties" would not (e.g. [1,1,1,0,0,2,0]: topk(2) is s5, s1, not s5,
# s0). Each metric cycles its patterns over one sample a minute for 40
# minutes; tie_zero are counters all at 0; tie_many are 40 series of 0, 1,
# 2 and NaN for the order Go's unstable sort gives ties in sort(),
# sort_desc() and topk/bottomk with k past the series count (every series
# then sits in the heap, which both versions fill alike); tie_negzero is -0
# (clamp's signed zero). Series are created in label order, so input order is the same
# whether a server reads the head in creation or label order. Values are
# compared as exact strings, instant results in order.
"$PY" - "$F" "$P" "$end_ms" >"$tmp/ties.out" 2>&1 <<'PYEOF'
import json, struct, sys, urllib.parse, urllib.request, urllib.error
import snappy
F, P, end_ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
N = float("nan")
pools = {  # metric: value patterns over s0..s6, one per step in turn
    "tie_top2": [[1, 1, 1, 0, 0, 2, 0], [1, 1, 1, 1, 2, 0, 0], [0, 0, 1, 0, 0, 0, 0], [1, 1, 2, 0, 1, 1, 0], [1, 1, 2, 0, N, 0, 0], [0, 0, 0, 0, 0, N, 0]],
    "tie_bot2": [[1, 1, 1, 1, 1, 1, 0], [1, 1, 2, 1, 0, 1, 2], [1, 1, 1, 0, 2, 1, 2], [1, 1, 0, 2, 2, 1, 2], [1, 1, 1, N, 0, 1, 1], [0, 0, 2, 1, 0, 2, 2]],
    "tie_top3": [[0, 1, 0, 0, 0, 0, 1], [2, 0, 0, 2, 0, 0, 0], [0, 1, 0, 0, 0, 1, 0], [2, 1, 1, 0, 0, 2, 0], [0, 0, 1, 2, 0, 0, N], [1, 1, 1, 1, 0, 0, N]],
    "tie_bot3": [[1, 0, 1, 2, 2, 0, 1], [1, 0, 1, 2, 2, 1, 0], [0, 1, 1, 1, 2, 2, 0], [1, 0, 1, 2, 1, 1, 0], [0, 1, 1, N, 0, 2, 1], [0, 0, 0, 0, 0, 0, 0]],
}
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F; n >>= 7
        out.append(b | 0x80 if n else b)
        if not n: return bytes(out)
def fld(num, data): return varint(num << 3 | 2) + varint(len(data)) + data
def ts(labels, samples):
    return b"".join(fld(1, fld(1, k.encode()) + fld(2, v.encode())) for k, v in sorted(labels.items())) + \
           b"".join(fld(2, b"\x09" + struct.pack("<d", v) + b"\x10" + varint(t)) for t, v in samples)
start = (end_ms - 40 * 60000) // 60000 * 60000
steps = list(range(start, end_ms, 60000))
series = []
for name, pool in pools.items():
    for i in range(7):
        series.append(({"__name__": name, "s": f"s{i}"}, [(t, float(pool[j % 6][i])) for j, t in enumerate(steps)]))
for name, pool in (("tie_grp", pools["tie_top2"]), ("tie_grpb", pools["tie_bot2"])):
    for g, shift in (("a", 0), ("b", 3)):
        for i in range(7):
            series.append(({"__name__": name, "grp": g, "s": f"s{i}"}, [(t, float(pool[(j + shift) % 6][i])) for j, t in enumerate(steps)]))
for i in range(40):  # more than 12: Go's sort leaves insertion sort for pdqsort
    series.append(({"__name__": "tie_many", "s": f"s{i:02d}"},
                   [(t, N if (i + j) % 11 == 0 else float(((i * 7 + j * 3) % 5) // 2)) for j, t in enumerate(steps)]))
for i in range(5):
    series.append(({"__name__": "tie_zero", "s": f"s{i}"}, [(t, 0.0) for t in steps]))
series.append(({"__name__": "tie_negzero"}, [(t, -0.0) for t in steps]))
series.sort(key=lambda x: sorted(x[0].items()))  # created in label order
body = snappy.compress(b"".join(fld(1, ts(l, s)) for l, s in series))
for u in (F, P):
    req = urllib.request.Request(u + "/api/v1/write", data=body, method="POST", headers={
        "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf", "X-Prometheus-Remote-Write-Version": "0.1.0"})
    with urllib.request.urlopen(req, timeout=10) as r:
        print(("ok" if r.status // 100 == 2 else "FAIL") + f" ties data sent to {u}")
t0 = end_ms / 1000 - 7.5
def get(base, path, params):
    try:
        with urllib.request.urlopen(base + path + "?" + urllib.parse.urlencode(params), timeout=30) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        return json.loads(e.read())
def strict(name, path, params, ordered):
    f, p = get(F, path, params), get(P, path, params)
    fr, pr = f.get("data", {}).get("result"), p.get("data", {}).get("result")
    if f.get("status") != "success" or p.get("status") != "success":
        why = f"status {f.get('status')}: {f.get('error')} vs {p.get('status')}: {p.get('error')}"
    else:
        if not ordered:
            fr = sorted(fr, key=lambda x: json.dumps(x["metric"], sort_keys=True))
            pr = sorted(pr, key=lambda x: json.dumps(x["metric"], sort_keys=True))
        why = None if fr == pr else f"{json.dumps(fr)[:400]} vs {json.dumps(pr)[:400]}"
    print(("ok " if why is None else "FAIL ") + name + ("" if why is None else ": " + why))
for q in ("topk(2, tie_zero)", "bottomk(2, tie_zero)", "topk(20, tie_zero)", "topk(0, tie_zero)",
          "topk(2, tie_top2)", "bottomk(2, tie_bot2)", "topk(3, tie_top3)", "bottomk(3, tie_bot3)",
          "topk(1, tie_top2)", "bottomk(1, tie_bot2)", "topk by (grp) (2, tie_grp)", "bottomk by (grp) (2, tie_grpb)",
          "sort(tie_many)", "sort_desc(tie_many)", "topk(50, tie_many)", "bottomk(40, tie_many)",
          "clamp(tie_negzero, 0, 50)", "clamp_min(tie_negzero, 0)", "clamp_max(tie_negzero, 0)"):
    for off in range(0, 360, 60):  # one instant per pattern
        strict(f"ties instant {q} @-{off}s", "/api/v1/query", {"query": q, "time": f"{t0 - off:.3f}"}, True)
    strict(f"ties range {q}", "/api/v1/query_range", {"query": q, "start": f"{t0 - 1800:.3f}", "end": f"{t0:.3f}", "step": "60"}, False)
PYEOF
cat "$tmp/ties.out"
passed=$((passed + $(grep -c '^ok ' "$tmp/ties.out")))
failed=$((failed + $(grep -c '^FAIL ' "$tmp/ties.out")))
kill -0 "${pids[0]}" 2>/dev/null && ok "flint still running" || fail "flint still running" "$(tail -5 "$tmp/flint.log")"
finish
