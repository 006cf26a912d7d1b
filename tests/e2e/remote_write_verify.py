#!/usr/bin/env python3
"""remote_write_verify.py SENT_TXT FLINT_URL

Checks that flint holds what send-remote-write.py sent (its sent.txt):
- /federate for {job="rw"} gives, for every series, exactly the last sample
  sent (value and timestamp), and nothing for series that ended with a stale
  marker (federation drops stale markers);
- an instant query half a second after each series' last sample returns that sample's value.
Prints the mismatches and `checked N series, M mismatches`; exit 1 on any."""
import json
import sys
import urllib.parse
import urllib.request


def parse_sent(path):
    last, stale = {}, set()
    for line in open(path):
        lbls, v, t = line.rstrip("\n").rsplit(" ", 2)
        if v == "stale":
            stale.add(lbls)
        else:
            last[lbls] = (float(v), int(t))
    return last, stale


def federate_key(lbls):
    """'{__name__="m", a="b"}' -> 'm{a="b",instance=""}' as flint federates it
    (sent series all carry an instance label, so none is added)."""
    pairs = lbls[1:-1].split(", ")
    name = [p.split("=", 1)[1].strip('"') for p in pairs if p.startswith("__name__=")][0]
    rest = [p for p in pairs if not p.startswith("__name__=")]
    if not any(p.startswith("instance=") for p in rest):
        rest.append('instance=""')
    return name + "{" + ",".join(rest) + "}"


def main():
    sent, base = sys.argv[1], sys.argv[2]
    last, stale = parse_sent(sent)
    bad = 0
    url = base + "/federate?" + urllib.parse.urlencode({"match[]": '{job="rw"}'})
    got = {}
    for line in urllib.request.urlopen(url).read().decode().splitlines():
        if not line.startswith("#"):
            series, v, t = line.rsplit(" ", 2)
            got[series] = (float(v), int(t))
    for lbls, (v, t) in last.items():
        key = federate_key(lbls)
        want = None if lbls in stale else (v, t)
        if got.get(key) != want:
            print("federate mismatch", key, "want", want, "got", got.get(key))
            bad += 1
    for lbls, (v, t) in sorted(last.items())[:40]:
        if lbls in stale:
            continue
        qs = urllib.parse.urlencode({"query": lbls, "time": "%.3f" % (t / 1000 + 0.5)})
        r = json.load(urllib.request.urlopen(base + "/api/v1/query?" + qs))["data"]["result"]
        if len(r) != 1 or float(r[0]["value"][1]) != v:
            print("query mismatch", lbls, v, t, r)
            bad += 1
    print("checked", len(last), "series,", bad, "mismatches")
    sys.exit(1 if bad else 0)


main()
