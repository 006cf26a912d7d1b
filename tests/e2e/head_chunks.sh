#!/usr/bin/env bash
# head_chunks.sh - flint writes its WAL and chunks_head/ (tsdb/head_chunks.c)
# as Prometheus does, and Debian's promtool 2.42 reads them: remote-written
# data (200 series, 90 min at 15 s, so every series cuts head chunks),
# flint stopped with SIGTERM (chunk files flushed) and, separately, with
# SIGKILL (chunk files may hold only their header; the WAL has every
# sample); then flint restarted on the SIGTERM'd directory (replay of the
# m-mapped chunks + WAL), fed more, and SIGKILLed. Each time
# `promtool tsdb dump` of a copy equals `flinttool tsdb dump`, and both
# equal what was sent. Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
need "$FLINT" "$BUILD/flinttool" curl promtool "$PY"

SEND=$SHARED/conformance/tsdb/wal-remote-write/send-remote-write.py
end_ms=$(($(date +%s) * 1000))
end_ms=$((end_ms - end_ms % 60000))

# stop NAME SIGNAL: signal the flint started last under NAME, wait for it
stop() {
	local pid=${pids[$((${#pids[@]} - 1))]}
	kill "-$2" "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid" 2>/dev/null
}

# sent FROM TO: the samples sent with FROM <= t < TO, "labels value ts", sorted
sent() {
	"$PY" - "$tmp/sent.txt" "$1" "$2" <<'EOF' | LC_ALL=C sort
import sys
for line in open(sys.argv[1]):
    rest, ts = line.rstrip("\n").rsplit(" ", 1)
    if int(sys.argv[2]) <= int(ts) < int(sys.argv[3]):
        print(rest, ts)
EOF
}

# same_samples DUMP SENT: equal as sets of (labels, ts, value), values
# compared as floats (a stale marker is the dump's NaN)
same_samples() {
	"$PY" - "$1" "$2" <<'EOF'
import math, sys
def load(path):
    out = {}
    for line in open(path):
        rest, ts = line.rstrip("\n").rsplit(" ", 1)
        lbl, val = rest.rsplit(" ", 1)
        out[(lbl, ts)] = math.nan if val in ("stale", "NaN") else float(val)
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = [k for k in set(a) | set(b) if k not in a or k not in b or not (a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])))]
print("same" if not bad else "%d differ, e.g. %s" % (len(bad), sorted(bad)[0]))
EOF
}

# compare NAME DIR WANT-FILE: promtool's and flint's dumps of copies of DIR
compare() {
	rm -rf "$tmp/p" "$tmp/f"
	cp -r "$2" "$tmp/p"
	cp -r "$2" "$tmp/f"
	promtool tsdb dump "$tmp/p" 2>"$tmp/$1.perr" | LC_ALL=C sort >"$tmp/$1.prom"
	"$BUILD/flinttool" tsdb dump "$tmp/f" 2>"$tmp/$1.ferr" | LC_ALL=C sort >"$tmp/$1.flint"
	local n
	n=$(wc -l <"$tmp/$1.prom")
	if [ "$n" -gt 0 ] && cmp -s "$tmp/$1.prom" "$tmp/$1.flint"; then ok "$1: promtool dump = flint dump ($n lines)"
	else fail "$1: promtool dump = flint dump" "$(diff "$tmp/$1.prom" "$tmp/$1.flint" | head -5; tail -2 "$tmp/$1.perr")"; fi
	check_eq "$1: dump = samples sent" "$(same_samples "$tmp/$1.flint" "$3")" same
}

chunks_in() { # DIR: chunks in its chunks_head files (by flinttool-independent parsing)
	"$PY" - "$1" <<'EOF'
import os, sys
n = 0
d = os.path.join(sys.argv[1], "chunks_head")
for f in sorted(os.listdir(d)):
    b = open(os.path.join(d, f), "rb").read()
    off = 8
    while off + 25 <= len(b) and any(b[off:off + 25]):
        ln, s, i = 0, 0, off + 25
        while True:
            c = b[i]; ln |= (c & 0x7f) << s; s += 7; i += 1
            if c < 0x80: break
        off = i + ln + 4
        n += 1
print(n)
EOF
}

cd "$tmp" || exit 1
mins=90
"$PY" "$SEND" - "$end_ms" 200 $mins >/dev/null 2>&1
start=$((end_ms - mins * 60000))
mid=$((end_ms - 30 * 60000))

# 1. SIGTERM: the chunk files are flushed
P1=$(free_port)
start_flint term "$P1" --web.enable-remote-write-receiver
"$PY" "$SEND" "http://127.0.0.1:$P1/api/v1/write" "$end_ms" 200 $mins $start $mid >/dev/null 2>&1
stop term TERM
c=$(chunks_in "$tmp/term-data")
if [ "$c" -ge 150 ]; then ok "SIGTERM: chunks_head holds >= 150 chunks"; else fail "SIGTERM: chunks_head holds chunks" "$c"; fi
sent "$start" "$mid" >"$tmp/want1"
compare sigterm "$tmp/term-data" "$tmp/want1"

# 2. SIGKILL on a fresh directory
P2=$(free_port)
start_flint kill "$P2" --web.enable-remote-write-receiver
"$PY" "$SEND" "http://127.0.0.1:$P2/api/v1/write" "$end_ms" 200 $mins $start $mid >/dev/null 2>&1
stop kill KILL
compare sigkill "$tmp/kill-data" "$tmp/want1"

# 3. restart on the SIGTERM'd directory: replay chunks + WAL, more data, SIGKILL
P3=$(free_port)
start_flint term "$P3" --web.enable-remote-write-receiver
"$PY" "$SEND" "http://127.0.0.1:$P3/api/v1/write" "$end_ms" 200 $mins $mid $end_ms >/dev/null 2>&1
q='count_over_time({__name__=~"rw_.+"}[2h])'
got=$(curl -s -G "http://127.0.0.1:$P3/api/v1/query" --data-urlencode "query=sum($q)" --data-urlencode "time=$((end_ms / 1000))")
live=$(sent "$start" "$end_ms" | grep -vc ' stale [0-9]*$') # count_over_time skips stale markers
check_has "restarted flint answers over replayed chunks" "$got" "\"value\":[$((end_ms / 1000)),\"$live\"]"
stop term KILL
sent "$start" "$end_ms" >"$tmp/want3"
compare restart-sigkill "$tmp/term-data" "$tmp/want3"
finish
