#!/usr/bin/env bash
# admin_snapshot.sh - POST /api/v1/admin/tsdb/snapshot (web/api_status.c):
# the answer {"name":"<20060102T150405Z>-<16 hex>"}; the snapshot directory
# <data>/snapshots/<name>/ holds the blocks (hard-linked) and, unless
# skip_head, the head written as one more block (no WAL, as Prometheus's
# DB.Snapshot); flint AND Debian's Prometheus 2.42 started on a copy of that
# directory answer the same count as the original, and promtool dumps the
# head block as flint does. skip_head=true leaves the head out; a bad
# skip_head is 400 with Go's text; delete_series without match[] is 400.
# Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
need "$FLINT" curl prometheus promtool "$PY"

FP=$(free_port)
F=http://127.0.0.1:$FP
start_flint flint "$FP" --web.enable-remote-write-receiver --web.enable-admin-api
end_ms=$(($(date +%s) * 1000))
(cd "$tmp" && "$PY" "$SHARED/conformance/tsdb/wal-remote-write/send-remote-write.py" "$F/api/v1/write" "$end_ms" 20 10 >/dev/null 2>&1)
q='count_over_time({__name__=~"rw_.+"}[1h])'
count() { curl -s -G "$1/api/v1/query" --data-urlencode "query=sum($q)" --data-urlencode "time=$((end_ms / 1000))"; }
want=$(count "$F")
check_has "data in flint" "$want" '"result":[{"metric":{},"value":['

got=$(http POST "$F/api/v1/admin/tsdb/snapshot")
name=$(printf '%s' "$got" | sed -n 's/^200 {"status":"success","data":{"name":"\([0-9]\{8\}T[0-9]\{6\}Z-[0-9a-f]\{16\}\)"}}$/\1/p')
check_eq "snapshot answer" "$([ -n "$name" ] && echo ok || echo "$got")" ok
snap=$tmp/flint-data/snapshots/$name
check_eq "snapshot has no WAL" "$(ls -d "$snap/wal" 2>/dev/null)" ""
hb=$(cd "$snap" 2>/dev/null && ls -d 01* 2>/dev/null | head -1)
check_eq "snapshot holds the head as a block" "$([ -n "$hb" ] && [ -f "$snap/$hb/meta.json" ] && [ -f "$snap/$hb/tombstones" ] && echo ok)" ok
check_eq "promtool analyzes the head block" "$(promtool tsdb analyze "$snap" "$hb" >/dev/null 2>&1 && echo ok)" ok

cp -r "$snap" "$tmp/fsnap-data"
cp -r "$snap" "$tmp/psnap-data"
SP=$(free_port)
start_flint fsnap "$SP"
check_eq "flint on the snapshot" "$(count "http://127.0.0.1:$SP")" "$want"
PP=$(free_port)
printf 'global:\n  scrape_interval: 15s\n' >"$tmp/psnap.yml"
start_prom psnap "$PP" "$tmp/psnap.yml"
check_eq "Prometheus 2.42 on the snapshot" "$(count "http://127.0.0.1:$PP")" "$want"

got=$(http POST "$F/api/v1/admin/tsdb/snapshot?skip_head=true")
name2=$(printf '%s' "$got" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
check_eq "skip_head: no head block" "$([ -n "$name2" ] && [ -d "$tmp/flint-data/snapshots/$name2" ] && [ -z "$(ls "$tmp/flint-data/snapshots/$name2")" ] && echo ok || echo "$got")" ok
# blocks: a data directory with persisted blocks (conformance's data-sigterm)
cp -r "$SHARED/conformance/tsdb/wal-with-checkpoint/data-sigterm" "$tmp/blocks-data"
BP=$(free_port)
start_flint blocks "$BP" --web.enable-admin-api
series() { curl -s -G "$1/api/v1/series" --data-urlencode 'match[]={__name__=~".+"}' | "$PY" -c 'import hashlib,json,sys; d=json.load(sys.stdin)["data"]; print(len(d), hashlib.md5("\n".join(sorted(json.dumps(x, sort_keys=True) for x in d)).encode()).hexdigest())'; }
bwant=$(series "http://127.0.0.1:$BP")
got=$(http POST "http://127.0.0.1:$BP/api/v1/admin/tsdb/snapshot")
bname=$(printf '%s' "$got" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')
bsnap=$tmp/blocks-data/snapshots/$bname
blk=$(cd "$tmp/blocks-data" && ls -d 01* | head -1)
check_eq "block files hard-linked" "$(stat -c %i "$tmp/blocks-data/$blk/index" 2>&1)" "$(stat -c %i "$bsnap/$blk/index" 2>&1)"
check_eq "block chunks linked" "$(ls "$tmp/blocks-data/$blk/chunks" | wc -l)" "$(ls "$bsnap/$blk/chunks" 2>/dev/null | wc -l)"
cp -r "$bsnap" "$tmp/bsnapf-data"
cp -r "$bsnap" "$tmp/bsnapp-data"
SP2=$(free_port)
start_flint bsnapf "$SP2"
check_eq "flint on the block snapshot: same series" "$(series "http://127.0.0.1:$SP2")" "$bwant"
PP2=$(free_port)
printf 'global:\n  scrape_interval: 15s\n' >"$tmp/bsnapp.yml"
start_prom bsnapp "$PP2" "$tmp/bsnapp.yml"
check_eq "Prometheus 2.42 on the block snapshot: same series" "$(series "http://127.0.0.1:$PP2")" "$bwant"

E='{"status":"error","errorType":"bad_data","error":'
got=$(http POST "$F/api/v1/admin/tsdb/snapshot?skip_head=maybe")
check_eq "bad skip_head" "$got" "400 $E"'"unable to parse boolean '"'skip_head'"' argument: strconv.ParseBool: parsing \"maybe\": invalid syntax"}'
got=$(http POST "$F/api/v1/admin/tsdb/delete_series")
check_eq "delete_series without match[]" "$got" "400 $E"'"no match[] parameter provided"}'
got=$(http POST "$F/api/v1/admin/tsdb/delete_series?match[]=no_such_metric")
check_eq "delete_series" "$got" "204 "
got=$(http POST "$F/api/v1/admin/tsdb/clean_tombstones")
check_eq "clean_tombstones" "$got" "204 "
finish
