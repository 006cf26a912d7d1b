#!/usr/bin/env python3
"""gen_backfill.py SERIES SAMPLES STEP_S SEED - a deterministic OpenMetrics
input for tests/conformance/backfill.sh: SERIES series of a few metric
families, SAMPLES samples each every STEP_S seconds (with jitter, gaps,
NaN, stale-free), starting at 1700000000 s, spanning several 2h blocks
when SAMPLES * STEP_S is large. Ends with # EOF."""
import random, sys

n_series, n_samples, step, seed = (int(a) for a in sys.argv[1:5])
rnd = random.Random(seed)
out = []
fams = ["bf_requests_total", "bf_temperature", "bf_queue_length"]
for f in fams:
    out.append("# TYPE %s %s" % (f.replace("_total", ""), "counter" if f.endswith("_total") else "gauge"))
for s in range(n_series):
    fam = fams[s % len(fams)]
    lab = '{instance="host-%d:9100",job="bf",shard="%d"}' % (s % 17, s)
    v = rnd.random() * 100
    t = 1700000000.0 + rnd.random() * step
    for i in range(n_samples):
        if rnd.random() < 0.01:
            t += step * 20  # a gap
        if fam.endswith("_total"):
            v += rnd.randint(0, 5)
            txt = "%d" % v if v == int(v) else repr(v)
        elif rnd.random() < 0.005:
            txt = "NaN"
        else:
            v = round(v + rnd.gauss(0, 1), rnd.randint(0, 6))
            txt = repr(v)
        out.append("%s%s %s %.3f" % (fam, lab, txt, t + rnd.randint(-40, 40) / 1000.0))
        t += step
out.append("# EOF")
print("\n".join(out))
