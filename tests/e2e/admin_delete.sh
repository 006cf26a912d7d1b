#!/usr/bin/env bash
# admin_delete.sh - POST /api/v1/admin/tsdb/delete_series and
# clean_tombstones (web/api_status.c, tsdb/db_delete.c) side by side with
# Debian's Prometheus 2.42: the same samples remote-written to both, the
# same deletions (a range of one series, whole series, two match[], RFC
# 3339 and unix times), then every raw sample compared:
#   1. in the head, at once;
#   2. after a restart of both (flint replays its WAL tombstones records);
#   3. on blocks: each server's snapshot served by a fresh server of its
#      kind, another deletion there (tombstones files), clean_tombstones
#      (blocks rewritten), and promtool tsdb dump of both directories equal.
# Error answers (no match[], a bad selector, a bad time) are compared too.
# Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
need "$FLINT" curl prometheus promtool "$PY"

FP=$(free_port)
PP=$(free_port)
F=http://127.0.0.1:$FP
P=http://127.0.0.1:$PP
args=(--web.enable-remote-write-receiver --web.enable-admin-api)
printf 'global:\n  scrape_interval: 15s\n' >"$tmp/prom.yml"
start_flint flint "$FP" "${args[@]}"
start_prom prom "$PP" "$tmp/prom.yml" "${args[@]}"
end_ms=$(($(date +%s) * 1000))
for u in "$F" "$P"; do
	(cd "$tmp" && "$PY" "$SHARED/conformance/tsdb/wal-remote-write/send-remote-write.py" "$u/api/v1/write" "$end_ms" 24 30 >/dev/null 2>&1)
done

# Every raw sample of the rw_ series, normalised (series sorted).
raw() {
	curl -s -G "$1/api/v1/query" --data-urlencode 'query={__name__=~"rw_.+"}[40m]' \
		--data-urlencode "time=$((end_ms / 1000))" |
		"$PY" -c 'import json,sys; d=json.load(sys.stdin); r=d["data"]["result"]; r.sort(key=lambda x: sorted(x["metric"].items())); print(d["status"], len(r), sum(len(x["values"]) for x in r), json.dumps(r, sort_keys=True))'
}
series() {
	curl -s -G "$1/api/v1/series" --data-urlencode 'match[]={__name__=~"rw_.+"}' \
		--data-urlencode "start=$(((end_ms - 40 * 60000) / 1000))" --data-urlencode "end=$((end_ms / 1000))" |
		"$PY" -c 'import json,sys; d=json.load(sys.stdin)["data"]; print(len(d), json.dumps(sorted(d, key=lambda x: sorted(x.items())), sort_keys=True))'
}
same() { # name: flint and Prometheus hold the same samples and series
	local a b
	a=$(raw "$F")
	b=$(raw "$P")
	check_eq "$1: same samples ($(printf '%s' "$b" | cut -d' ' -f1-3))" "$a" "$b"
	a=$(series "$F")
	b=$(series "$P")
	check_eq "$1: same series ($(printf '%s' "$b" | cut -d' ' -f1))" "$a" "$b"
}
both() { # name METHOD PATH: the same status and body from both
	local a b
	a=$(http POST "$F$2")
	b=$(http POST "$P$2")
	check_eq "$1 ($(printf '%s' "$b" | head -c 60))" "$a" "$b"
}
same "before deleting"
check_has "data present" "$(raw "$F")" "success 24 "

s20=$(((end_ms - 20 * 60000) / 1000))
s10=$(((end_ms - 10 * 60000) / 1000))
rfc25=$(date -u -d "@$(((end_ms - 25 * 60000) / 1000))" +%Y-%m-%dT%H:%M:%SZ)
both "delete a range of one series" "/api/v1/admin/tsdb/delete_series?match[]=rw_requests_total%7Bshard%3D%220%22%7D&start=$s20.5&end=$s10"
both "delete whole series, two match[]" "/api/v1/admin/tsdb/delete_series?match[]=rw_info&match[]=rw_batch_last_success%7Binstance%3D%22host-3:9100%22%7D"
both "delete from an RFC 3339 start" "/api/v1/admin/tsdb/delete_series?match[]=%7Bjob%3D%22rw%22,shard%3D~%221%7C5%22%7D&start=$rfc25"
both "a selector of empty matchers only" "/api/v1/admin/tsdb/delete_series?match[]=%7Bshard%3D%22%22%7D"
both "start after end" "/api/v1/admin/tsdb/delete_series?match[]=rw_requests_total&start=$s10&end=$s20"
both "no match[]" "/api/v1/admin/tsdb/delete_series"
both "bad selector" "/api/v1/admin/tsdb/delete_series?match[]=rw_info%7B"
both "bad start" "/api/v1/admin/tsdb/delete_series?match[]=rw_info&start=yesterday"
same "after deleting in the head"
both "clean_tombstones (head only)" "/api/v1/admin/tsdb/clean_tombstones"
same "after cleaning the head"

# 2. restart both on their data: the tombstones come back
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
pids=()
start_flint flint "$FP" "${args[@]}"
start_prom prom "$PP" "$tmp/prom.yml" "${args[@]}"
same "after a restart"

# 3. blocks: snapshots (head written as a block) served by fresh servers
snap() { curl -s -X POST "$1/api/v1/admin/tsdb/snapshot" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p'; }
fs=$(snap "$F")
ps=$(snap "$P")
check_eq "snapshots made" "$([ -n "$fs" ] && [ -n "$ps" ] && echo ok)" ok
cp -r "$tmp/flint-data/snapshots/$fs" "$tmp/fblk-data"
cp -r "$tmp/prom-data/snapshots/$ps" "$tmp/pblk-data"
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
pids=()
start_flint fblk "$FP" "${args[@]}"
start_prom pblk "$PP" "$tmp/prom.yml" "${args[@]}"
same "snapshots served"
both "delete in a block" "/api/v1/admin/tsdb/delete_series?match[]=rw_temperature_celsius%7Bshard%3D~%229%7C13%22%7D&start=$s20&end=$s10"
both "delete a whole series in a block" "/api/v1/admin/tsdb/delete_series?match[]=rw_requests_total%7Bshard%3D%224%22%7D"
check_eq "block tombstones file written" "$(ls "$tmp"/fblk-data/01*/tombstones 2>/dev/null | wc -l)" 1
same "after deleting in a block"
check_has "the block deletion hid samples" "$(raw "$F")" "success 16 "
both "clean_tombstones" "/api/v1/admin/tsdb/clean_tombstones"
same "after clean_tombstones"
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
pids=()
dump() { promtool tsdb dump "$1" 2>/dev/null | sort | md5sum | cut -d' ' -f1; }
check_eq "promtool dumps flint's and Prometheus's cleaned blocks alike" "$(dump "$tmp/fblk-data")" "$(dump "$tmp/pblk-data")"
check_eq "one block left in flint's" "$(ls -d "$tmp"/fblk-data/01* | wc -l)" 1
finish
