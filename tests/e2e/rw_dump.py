#!/usr/bin/python3
"""rw_dump.py MODE URL MATCH [name=value ...] - every raw sample a server
holds for the series matching MATCH (a PromQL selector), one line each:
`{labels} timestamp_ms value`, sorted, NaN (stale markers) left out, the
name=value labels added (an external label the sender adds); values to
--digits=N significant digits when given first.
rw_dump.py cmp WANT GOT RELTOL compares two dumps, values within RELTOL
(VictoriaMetrics keeps about 12 significant digits). MODE prom:
a range query [3h] at the current time through /api/v1/query (Prometheus,
flint); vm: VictoriaMetrics's /api/v1/export. For remote_write_send.sh."""
import json, math, sys, time, urllib.parse, urllib.request

if sys.argv[1] == "cmp":  # cmp WANT GOT RELTOL: same lines, values within RELTOL
    want, got = (open(f).read().splitlines() for f in sys.argv[2:4])
    tol = float(sys.argv[4])
    def close(a, b):
        try:
            ka, va = a.rsplit(" ", 1); kb, vb = b.rsplit(" ", 1)
            x, y = float(va), float(vb)
        except ValueError:  # an empty dump, an error line
            return a == b
        return ka == kb and (x == y or abs(x - y) <= tol * max(abs(x), abs(y)))
    bad = [(a, b) for a, b in zip(want, got) if not close(a, b)]
    if len(want) != len(got) or bad:
        print("%d want, %d got; first difference: %s" % (len(want), len(got), bad[0] if bad else "count"))
        sys.exit(1)
    sys.exit(0)
mode, url, match = sys.argv[1], sys.argv[2], sys.argv[3]
args = sys.argv[4:]
digits = None
if args and args[0].startswith("--digits="):  # VictoriaMetrics keeps about 12 significant digits
    digits = int(args.pop(0)[9:])
extra = dict(a.split("=", 1) for a in args)
rows = []
def add(metric, t, v):
    if v is None:  # VictoriaMetrics exports a stale marker as null
        return
    v = float(v)
    if math.isnan(v):
        return
    m = dict(metric); m.update(extra)
    vs = repr(v) if digits is None else "%.*g" % (digits, v)
    rows.append("{" + ",".join(f'{k}="{m[k]}"' for k in sorted(m)) + f"}} {int(t)} {vs}")
try:
    if mode == "prom":
        q = urllib.parse.urlencode({"query": match + "[3h]", "time": "%.3f" % time.time()})
        d = json.load(urllib.request.urlopen(url + "/api/v1/query?" + q, timeout=30))
        for s in d["data"]["result"]:
            for t, v in s["values"]:
                add(s["metric"], round(float(t) * 1000), v)
    else:
        q = urllib.parse.urlencode({"match[]": match})
        for line in urllib.request.urlopen(url + "/api/v1/export?" + q, timeout=30).read().splitlines():
            s = json.loads(line)
            for t, v in zip(s["timestamps"], s["values"]):
                add(s["metric"], t, v)
except Exception as e:
    print("error: %s" % e)
    sys.exit(0)
print("\n".join(sorted(rows)))
