#!/usr/bin/env bash
# scrape_compare.sh - issue 16 "Side by side": flint and Debian's Prometheus
# 2.42 scrape the same targets with the same prometheus.yml, every second:
#   - job node: Debian's node_exporter and a port where nothing listens,
#     from static_configs, target relabeling (lowercase, replace with
#     ${1}) and metric relabeling (drop by name);
#   - job pages: page_server.py's fixed page on six ports and a garbage
#     page, from file_sd_configs (a JSON file) with hashmod (of a name
#     label into a label, and keep on it and another label), labelmap, labeldrop, uppercase, replace with ${1},
#     drop and dropequal; metric relabeling with drop, labeldrop,
#     lowercase and replace over two source labels.
# Then compares, after both have scraped every target a few times:
#   1. the series set of each job (/api/v1/series over the last seconds);
#   2. up and the report series (but scrape_duration_seconds) per target;
#   3. the values of every pages series (a static page: values agree
#      whatever the scrape times) and of node_exporter's constant series;
#   4. /api/v1/targets: the active targets (labels, scrapePool, scrapeUrl,
#      health, scrapeInterval, scrapeTimeout) and the dropped ones; flint's
#      discoveredLabels against the labels the script gave (2.42's are
#      overwritten by its own relabeling, a bug 3.x does not have), its
#      dropped targets' scrapePool and droppedTargetCounts (3.x fields).
# flint stores `le` and `quantile` of histograms and summaries in float
# form as Prometheus 3.x does ("1" -> "1.0"); 2.42 stores them as written.
# Both sides are normalised (those two labels compared as floats) first;
# flint's own values are checked to be in 3.x's form.
# Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
. "$(dirname "$0")/scrape_common.bash"
need "$FLINT" prometheus "$NODE_EXPORTER" curl "$PY"

start_pages pages fixed:6 garbage
NP=$(free_port)
start_node_exporter "$NP"
DEAD=$(free_port) # nothing listens there
{
	# hashmod 4 of the name label: hotel 0, alpha 1, golf 2, bravo 3 (dropped)
	printf '['
	i=0
	for n in hotel alpha golf bravo; do
		printf '{"targets": ["127.0.0.1:%s"], "labels": {"name": "%s", "__tmp_label_team": "alpha", "dropme": "x", "region": "eu-1"}},\n ' \
			"$(port_of pages fixed $i)" "$n"
		i=$((i + 1))
	done
	printf '{"targets": ["127.0.0.1:%s"], "labels": {"skip": "yes"}},\n' "$(port_of pages fixed 4)"
	printf ' {"targets": ["127.0.0.1:%s"], "labels": {"a": "same", "b": "same"}},\n' "$(port_of pages fixed 5)"
	printf ' {"targets": ["127.0.0.1:%s"], "labels": {"__tmp_label_team": "beta", "kind": "garbage"}}]\n' "$(port_of pages garbage)"
} >"$tmp/pages.json"
cat >"$tmp/scrape.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$NP']
        labels: {env: Test-Env}
      - targets: ['127.0.0.1:$DEAD']
        labels: {env: DEAD}
    relabel_configs:
      - source_labels: [env]
        target_label: env
        action: lowercase
      - source_labels: [__address__]
        regex: '(.*):(\d+)'
        target_label: host
        replacement: 'host-\${1}'
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'go_memstats_.*'
        action: drop
  - job_name: pages
    file_sd_configs:
      - files: ['$tmp/pages.json']
    relabel_configs:
      - source_labels: [skip]
        regex: 'yes'
        action: drop
      - source_labels: [b]
        regex: ''
        target_label: b
        replacement: none
      - source_labels: [a]
        target_label: b
        action: dropequal
      - source_labels: [name]
        modulus: 4
        target_label: __tmp_shard
        action: hashmod
      - source_labels: [kind, __tmp_shard]
        regex: 'garbage;.*|;[0-2]'
        action: keep
      - source_labels: [__tmp_shard]
        target_label: shard
      - regex: '__tmp_label_(.+)'
        replacement: 'team_\$1'
        action: labelmap
      - regex: 'dropme'
        action: labeldrop
      - source_labels: [region]
        target_label: region_uc
        action: uppercase
      - source_labels: [__address__]
        regex: '[^:]+:(\d+)'
        target_label: port
        replacement: 'p\${1}'
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'page_drop_.*'
        action: drop
      - regex: secret
        action: labeldrop
      - source_labels: [room]
        target_label: room_lc
        action: lowercase
      - source_labels: [__name__, code]
        separator: ';'
        regex: 'page_requests_total;(5..)'
        target_label: error_class
        replacement: 'server-\${1}'
EOF
cp "$tmp/scrape.yml" "$tmp/flint.yml"
FP=$(free_port)
PP=$(free_port)
F=http://127.0.0.1:$FP
P=http://127.0.0.1:$PP
start_flint flint "$FP"
start_prom prom "$PP" "$tmp/scrape.yml"

# every target scraped by both (the dead and the garbage one fail at once)
all_scraped() { # URL: as many scraped targets as Prometheus has active ones
	[ "$(curl -s "$1/api/v1/targets" | "$PY" -c '
import json, sys
try: t = json.load(sys.stdin)["data"]["activeTargets"]
except (ValueError, KeyError, TypeError): t = []
print(sum(1 for x in t if x.get("health") in ("up", "down")))')" -ge "$(n_active)" ] && [ "$(n_active)" -ge 5 ]
}
n_active() { # Prometheus's active targets: node, dead, garbage and the pages hashmod keeps
	curl -s "$P/api/v1/targets" | "$PY" -c '
import json, sys
try: print(len(json.load(sys.stdin)["data"]["activeTargets"]))
except (ValueError, KeyError, TypeError): print(99)'
}
for u in "$F" "$P"; do
	if wait_for 30 all_scraped "$u"; then ok "every target scraped by $u"; else fail "every target scraped by $u" "$(targets "$u")"; fi
done
sleep 3

"$PY" - "$F" "$P" "$NP" "$DEAD" "$tmp/pages.json" "127.0.0.1:$(port_of pages garbage)" >"$tmp/compare.out" 2>&1 <<'PYEOF' || echo "FAIL comparison script (exit $?)" >>"$tmp/compare.out"
import json, math, sys, time, urllib.parse, urllib.request, urllib.error
F, P, NP, DEAD, PAGES_JSON, GARBAGE = sys.argv[1:7]
now = time.time()

def get(base, path, params=None):
    url = base + path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        try: return json.loads(e.read())
        except ValueError: return {"status": "error", "error": f"HTTP {e.code}"}
    except (ValueError, OSError) as e:
        return {"status": "error", "error": str(e)}

def norm(m):
    """labels as a sorted tuple, le/quantile as floats (3.x writes "1.0", 2.42 "1")"""
    out = []
    for k, v in m.items():
        if k in ("le", "quantile"):
            try: v = repr(float(v))
            except ValueError: pass
        out.append((k, v))
    return tuple(sorted(out))

def show(k): return "{" + ",".join(f'{a}="{b}"' for a, b in k) + "}"

def report(name, why):
    print(("ok " if why is None else "FAIL ") + name + ("" if why is None else ": " + why))

def diff_sets(a, b):
    only_f, only_p = sorted(a - b), sorted(b - a)
    if not only_f and not only_p: return None
    return f"only flint: {[show(x) for x in only_f[:4]]} ({len(only_f)}); only prometheus: {[show(x) for x in only_p[:4]]} ({len(only_p)})"

def data(d, name):
    if d.get("status") != "success":
        report(name, f"status {d.get('status')}: {d.get('error')}")
        return None
    return d["data"]

# 1. series sets
for job in ("node", "pages"):
    params = {"match[]": f'{{job="{job}"}}', "start": f"{now - 3:.3f}", "end": f"{now:.3f}"}
    f, p = data(get(F, "/api/v1/series", params), f"series {job} flint"), data(get(P, "/api/v1/series", params), f"series {job} prometheus")
    if f is None or p is None: continue
    fs, ps = {norm(m) for m in f}, {norm(m) for m in p}
    why = diff_sets(fs, ps)
    if why is None and len(ps) < (20 if job == "node" else 40): why = f"only {len(ps)} series"
    report(f"series set {job} ({len(ps)} series)", why)

# flint stores le and quantile of typed histograms and summaries in 3.x's
# float form; what 2.42 stores is as written
def label_values(base, name, label):
    d = data(get(base, "/api/v1/series", {"match[]": f'{name}{{job="pages"}}', "start": f"{now - 3:.3f}", "end": f"{now:.3f}"}), f"series {name} on {base}")
    return sorted({m.get(label) for m in d}) if d is not None else None
for name, label, want in (("page_latency_seconds_bucket", "le", ["+Inf", "0.05", "0.1", "1.0", "10.0"]),
                          ("page_rpc_seconds", "quantile", ["0.0", "0.5", "1.0"])):
    got = label_values(F, name, label)
    report(f"flint stores {label} in float form {want}", None if got == want else f"{got} (2.42: {label_values(P, name, label)})")

# 2 and 3: instant values at one time both have scraped past
t = f"{now - 1.5:.3f}"
def vec(base, expr):
    d = data(get(base, "/api/v1/query", {"query": expr, "time": t}), f"query {expr} on {base}")
    if d is None: return None
    return {norm(s["metric"]): s["value"][1] for s in d["result"]}
def same_values(name, expr, min_series):
    f, p = vec(F, expr), vec(P, expr)
    if f is None or p is None: return
    why = diff_sets(set(f), set(p))
    if why is None:
        bad = [f"{show(k)}: {f[k]} vs {p[k]}" for k in sorted(p) if f[k] != p[k]]
        why = "; ".join(bad[:4]) if bad else None
    if why is None and len(p) < min_series: why = f"only {len(p)} series"
    report(f"{name} ({len(p)} series)", why)
for m in ("up", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added"):
    same_values(f"same {m}", m, 6)  # node, dead, hotel, alpha, golf, garbage
same_values("same values of every pages series", '{job="pages",__name__=~"page_.+"}', 40)
same_values("same values of node_exporter's constant series",
            '{job="node",__name__=~"node_uname_info|node_memory_MemTotal_bytes|node_memory_SwapTotal_bytes|go_info"}', 3)
same_values("same series count per job", 'count by (job) ({__name__=~".+",job=~"node|pages"})', 2)

# 4. /api/v1/targets. Debian's 2.42 shows discoveredLabels that its own
# relabeling has written into (env lowercased, b and __tmp_shard set,
# dropme and job gone: the targets' label slices are shared); 3.x, and so
# flint, show them as discovered. So the active and dropped targets are
# compared by address, labels and fields, and flint's discoveredLabels
# against the ones this script gave: the static configs and pages.json
# (its labels, __meta_filepath) with Prometheus's defaults and the job.
FIELDS = ("scrapePool", "scrapeUrl", "health", "scrapeInterval", "scrapeTimeout")
def base(addr, job, extra):
    return dict(extra, __address__=addr, __metrics_path__="/metrics", __scheme__="http",
                __scrape_interval__="1s", __scrape_timeout__="1s", job=job)
want_disc = {f"127.0.0.1:{NP}": base(f"127.0.0.1:{NP}", "node", {"env": "Test-Env"}),
             f"127.0.0.1:{DEAD}": base(f"127.0.0.1:{DEAD}", "node", {"env": "DEAD"})}
for g in json.load(open(PAGES_JSON)):
    for a in g["targets"]:
        want_disc[a] = base(a, "pages", dict(g.get("labels", {}), __meta_filepath=PAGES_JSON))
def targets(base_url):
    d = data(get(base_url, "/api/v1/targets"), f"targets on {base_url}")
    if d is None: return None
    act = {x.get("labels", {}).get("instance"): (tuple(sorted(x.get("labels", {}).items())),) + tuple(x.get(k) for k in FIELDS)
           for x in d.get("activeTargets") or []}
    disc = {x.get("discoveredLabels", {}).get("__address__"): x.get("discoveredLabels") for x in d.get("activeTargets") or []}
    drop = {x.get("discoveredLabels", {}).get("__address__"): x for x in d.get("droppedTargets") or []}
    return act, disc, drop, d.get("droppedTargetCounts")
ft, pt = targets(F), targets(P)
if ft is not None and pt is not None:
    (fa, fdisc, fdrop, fcounts), (pa, _, pdrop, _) = ft, pt
    why = None
    if fa != pa:
        why = "; ".join(f"{k}: {fa.get(k)} vs {pa.get(k)}" for k in sorted(set(fa) | set(pa), key=str) if fa.get(k) != pa.get(k))[:800]
    report(f"same active targets: labels, pool, URL, health, interval, timeout ({len(pa)})", why)
    report(f"same dropped targets ({len(pdrop)})", None if set(fdrop) == set(pdrop) else f"{sorted(fdrop, key=str)} vs {sorted(pdrop, key=str)}")
    report("six active targets", None if len(pa) == 6 else f"{len(pa)}: {sorted(pa, key=str)}")
    report("the hashmod (bravo), skip and dropequal targets are dropped", None if len(pdrop) == 3 else f"{len(pdrop)} dropped")
    report("health down for the dead and the garbage target",
           None if sorted(k for k, v in pa.items() if v[3] == "down") == sorted([f"127.0.0.1:{DEAD}", GARBAGE]) else f"{[(k, v[3]) for k, v in pa.items()]}")
    bad = [f"{a}: {d} vs {want_disc.get(a)}" for a, d in fdisc.items() if d != want_disc.get(a)]
    bad += [f"dropped {a}: {x.get('discoveredLabels')} vs {want_disc.get(a)}" for a, x in fdrop.items() if x.get("discoveredLabels") != want_disc.get(a)]
    report("flint's discoveredLabels are the labels as discovered", "; ".join(bad)[:800] or None)
    report("flint's dropped targets name their scrapePool (3.x)",
           None if fdrop and all(x.get("scrapePool") == "pages" for x in fdrop.values()) else f"{list(fdrop.values())[:2]}")
    report("flint's droppedTargetCounts (3.x)", None if fcounts == {"node": 0, "pages": len(pdrop)} else f"{fcounts} vs pages: {len(pdrop)}")
PYEOF
tally "$tmp/compare.out"
kill -0 "${pids[-2]}" 2>/dev/null && ok "flint still running" || fail "flint still running" "$(tail -5 "$tmp/flint.log")"
finish
