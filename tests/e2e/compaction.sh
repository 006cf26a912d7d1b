#!/usr/bin/env bash
# compaction.sh - head and block compaction end to end (tsdb/compact.c, the
# db_compact glue), with Debian's promtool and Prometheus 2.42 as oracles:
#   1. 11 hours of remote-written samples (the golden sender, 15 s steps)
#      make flint cut 2h blocks from the head as they arrive (a commit that
#      leaves the head compactable wakes the compaction, as in Prometheus)
#      and compact them into 6h blocks; /metrics shows compactions, head
#      truncations and checkpoints.
#   2. flint is stopped, with SIGTERM and (a second run) SIGKILL: promtool
#      tsdb dump and analyze read the directory, and promtool's dump
#      equals flinttool's; no tmp directory is left; every sent sample is
#      in the dump.
#   3. Prometheus started on a copy of flint's directory answers a set of
#      queries exactly as flint did before it stopped.
#   4. the same data sent to Prometheus ends as byte-identical blocks
#      (also when the head holds series the block does not: symbols);
#   5. flint started on a directory Prometheus wrote (golden
#      wal-with-checkpoint: blocks, head chunks, checkpoint, WAL) answers
#      as Prometheus does on another copy of it.
# Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
TOOL=$BUILD/flinttool
SENDER=$SHARED/conformance/tsdb/wal-remote-write/send-remote-write.py
need "$FLINT" "$TOOL" curl prometheus promtool "$PY"

H=3600000
# A 6h boundary: the 11 h of data then always make the same blocks (five 2h
# blocks from END - 12h, the first three compacted into one 6h block), whatever
# the time of day; an hour boundary made the 6h compaction depend on it.
END=$(($(date +%s) * 1000 / (6 * H) * (6 * H)))
SERIES=40
MINUTES=660
metric() { curl -s "$1/metrics" | grep "^$2 " | awk '{print $2}'; }
# wait_metric URL NAME MIN SECONDS: bounded wait for a counter to reach MIN
wait_metric() {
	local i v
	for i in $(seq $(($4 * 10))); do
		v=$(metric "$1" "$2")
		[ -n "$v" ] && [ "${v%.*}" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
# query URL EXPR TIME: the data member of an instant query, canonical JSON
query() {
	curl -s "$1/api/v1/query" --data-urlencode "query=$2" --data-urlencode "time=$3" |
		"$PY" -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d.get("data", d), sort_keys=True))'
}
# qrange URL EXPR START END STEP
qrange() {
	curl -s "$1/api/v1/query_range" --data-urlencode "query=$2" --data-urlencode "start=$3" \
		--data-urlencode "end=$4" --data-urlencode "step=$5" |
		"$PY" -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d.get("data", d), sort_keys=True))'
}
S=$((END / 1000))
QUERIES=(
	"count_over_time(rw_requests_total[11h])"
	"sum by (instance) (rw_temperature_celsius)"
	"rate(rw_requests_total[5m])"
	"rw_info"
	"count(rw_batch_last_success)"
)
# Off the 15 s grid: flint's range windows are left-open (Prometheus 3),
# 2.42's closed, so a sample exactly at the window's start would differ.
TIMES=($((S - 10 * 3600 + 7)) $((S - 6 * 3600 + 7)) $((S - 3 * 3600 - 8)) $((S - 53)))
# answers URL OUT: every query at every time, and two range queries
answers() {
	: >"$2"
	for q in "${QUERIES[@]}"; do
		for t in "${TIMES[@]}"; do query "$1" "$q" "$t" >>"$2"; done
	done
	qrange "$1" "rw_requests_total{shard=~\"4|8\"}" $((S - 11 * 3600 + 7)) "$S" 300 >>"$2"
	qrange "$1" "max_over_time(rw_temperature_celsius{shard=\"5\"}[1h])" $((S - 11 * 3600 + 7)) "$S" 600 >>"$2"
}

# run NAME SIGNAL: ingest, compact, stop with SIGNAL, compare with promtool
run() {
	local name=$1 sig=$2 port
	port=$(free_port)
	local F=http://127.0.0.1:$port
	start_flint "$name" "$port" --web.enable-remote-write-receiver
	local flint_pid=${pids[-1]}
	(cd "$tmp" && "$PY" "$SENDER" "$F/api/v1/write" "$END" "$SERIES" "$MINUTES" >/dev/null 2>&1)
	check_eq "$name: sender ok" "$?" 0
	# head compaction keeps at most 3h in the head: 11h make four 2h
	# blocks at least, and block compaction merges three into 6h
	wait_metric "$F" prometheus_tsdb_compactions_total 5 60 && ok "$name: compactions ran" ||
		fail "$name: compactions ran" "$(metric "$F" prometheus_tsdb_compactions_total)"
	for m in prometheus_tsdb_head_truncations_total prometheus_tsdb_checkpoint_creations_total; do
		wait_metric "$F" $m 1 30 && ok "$name: $m moved" || fail "$name: $m moved" "$(metric "$F" $m)"
	done
	check_eq "$name: no failed compaction" "$(metric "$F" prometheus_tsdb_compactions_failed_total)" 0
	# the 6h block compaction follows the head's: bounded wait for it
	for _ in $(seq 300); do
		grep -qs '"level": 2' "$tmp/$name-data"/01*/meta.json && break
		sleep 0.1
	done
	sleep 1 # let a compaction that just started finish
	answers "$F" "$tmp/$name.flint-answers"
	kill -"$sig" "$flint_pid"
	for _ in $(seq 300); do kill -0 "$flint_pid" 2>/dev/null || break; sleep 0.1; done
	wait "$flint_pid" 2>/dev/null
	local dir=$tmp/$name-data
	check_eq "$name: no tmp directory left" "$(ls "$dir" | grep -c tmp)" 0
	local levels
	levels=$(cat "$dir"/01*/meta.json | grep -o '"level": [0-9]*' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	check_has "$name: level-2 blocks (6h)" "$levels" '"level": 2'
	# promtool reads (and may write into) a copy; flinttool the original
	cp -r "$dir" "$tmp/$name-p"
	promtool tsdb dump "$tmp/$name-p" 2>"$tmp/$name.perr" | LC_ALL=C sort >"$tmp/$name.pdump"
	"$TOOL" tsdb dump "$dir" 2>"$tmp/$name.ferr" | LC_ALL=C sort >"$tmp/$name.fdump"
	if [ -s "$tmp/$name.pdump" ] && cmp -s "$tmp/$name.pdump" "$tmp/$name.fdump"; then
		ok "$name: promtool dump equals flinttool's ($(wc -l <"$tmp/$name.fdump") lines)"
	else
		fail "$name: promtool dump equals flinttool's" "$(diff "$tmp/$name.pdump" "$tmp/$name.fdump" | head -5)"
	fi
	check_eq "$name: every sent sample is there" "$(wc -l <"$tmp/$name.fdump")" "$(wc -l <"$tmp/sent.txt")"
	rm -rf "$tmp/$name-p"
	cp -r "$dir" "$tmp/$name-p"
	promtool tsdb analyze "$tmp/$name-p" >"$tmp/$name.analyze" 2>&1
	check_eq "$name: promtool tsdb analyze reads it" "$?" 0
	# Prometheus on a copy of flint's directory answers as flint did
	rm -rf "$tmp/$name-prom-data"
	cp -r "$dir" "$tmp/$name-prom-data"
	local pp
	pp=$(free_port)
	printf 'global:\n  scrape_interval: 15s\n' >"$tmp/$name-prom.yml"
	start_prom "$name-prom" "$pp" "$tmp/$name-prom.yml"
	answers "http://127.0.0.1:$pp" "$tmp/$name.prom-answers"
	if cmp -s "$tmp/$name.flint-answers" "$tmp/$name.prom-answers"; then
		ok "$name: Prometheus on flint's directory answers as flint ($(wc -l <"$tmp/$name.prom-answers") queries)"
	else
		fail "$name: Prometheus on flint's directory answers as flint" \
			"$(diff "$tmp/$name.flint-answers" "$tmp/$name.prom-answers" | head -c 600)"
	fi
	kill "${pids[-1]}"
}

run sigterm TERM
run sigkill KILL

# The same 11 hours remote-written to Prometheus 2.42: every block both cut
# over the same range is byte-identical in index, chunks/ and tombstones
# (head compaction and 6h block compaction alike; only the ULIDs differ).
PP=$(free_port)
printf 'global:\n  scrape_interval: 15s\n' >"$tmp/rwprom.yml"
start_prom rwprom "$PP" "$tmp/rwprom.yml" --web.enable-remote-write-receiver
(cd "$tmp" && "$PY" "$SENDER" "http://127.0.0.1:$PP/api/v1/write" "$END" "$SERIES" "$MINUTES" >/dev/null 2>&1)
wait_metric "http://127.0.0.1:$PP" prometheus_tsdb_compactions_total 5 60
for _ in $(seq 300); do
	grep -qs '"level": 2' "$tmp"/rwprom-data/01*/meta.json && break
	sleep 0.1
done
sleep 2
range_of() { "$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["minTime"], m["maxTime"], m["compaction"]["level"])' "$1/meta.json"; }
same=0 total=0
for fb in "$tmp"/sigterm-data/01*/; do
	r=$(range_of "$fb")
	for pb in "$tmp"/rwprom-data/01*/; do
		[ "$(range_of "$pb")" = "$r" ] || continue
		total=$((total + 1))
		if cmp -s "$fb/index" "$pb/index" && cmp -s "$fb/chunks/000001" "$pb/chunks/000001" &&
			cmp -s "$fb/tombstones" "$pb/tombstones"; then
			same=$((same + 1))
		else
			echo "  block [$r] differs from Prometheus's"
		fi
	done
done
check_eq "blocks byte-identical to Prometheus's over the same ranges ($total)" "$same" "$total"
[ "$total" -ge 2 ] && ok "blocks compared" || fail "blocks compared" "$total"
kill "${pids[-1]}"

# Series that exist in the head but have no sample in the range cut (here:
# created after it) still give their strings to the block's symbol table,
# as Prometheus's head Symbols() do: the blocks stay byte-identical.
BENCH=$BUILD/bench/bench_remote
if [ -x "$BENCH" ]; then
	FP=$(free_port)
	PP=$(free_port)
	start_flint late-f "$FP" --web.enable-remote-write-receiver
	printf 'global:\n  scrape_interval: 15s\n' >"$tmp/late-p.yml"
	start_prom late-p "$PP" "$tmp/late-p.yml" --web.enable-remote-write-receiver
	E1=$((END - 4 * H))
	# one sender thread: series in order, so none lags an hour behind the
	# head's newest sample (it would be refused "out of bounds")
	for port in "$FP" "$PP"; do
		u=http://127.0.0.1:$port/api/v1/write
		{ "$BENCH" load "$u" 300 721 1 "$E1" && BENCH_JOB=late "$BENCH" load "$u" 50 5 1 "$E1" &&
			"$BENCH" load "$u" 300 130 1 $((E1 + 130 * 15000)); } >>"$tmp/late-bench.log" 2>&1
		check_eq "late series: sent to $port" "$?" 0
	done
	wait_metric "http://127.0.0.1:$FP" prometheus_tsdb_compactions_total 1 60
	wait_metric "http://127.0.0.1:$PP" prometheus_tsdb_compactions_total 1 60
	sleep 1
	fb=$(ls -d "$tmp"/late-f-data/01* 2>/dev/null | head -1)
	pb=$(ls -d "$tmp"/late-p-data/01* 2>/dev/null | head -1)
	[ -n "$fb" ] || { cat "$tmp/late-bench.log"; grep -v 'level=info' "$tmp/late-f.log" | tail -5;
		curl -s "http://127.0.0.1:$FP/metrics" | grep -E '^prometheus_tsdb_(compactions|head_m)'; }
	check_eq "late series: one block each, same range" "$(range_of "$fb")" "$(range_of "$pb")"
	if [ -n "$fb" ] && cmp -s "$fb/index" "$pb/index" && cmp -s "$fb/chunks/000001" "$pb/chunks/000001"; then
		ok "late series: block byte-identical to Prometheus's (symbols of series not in it included)"
	else
		fail "late series: block byte-identical to Prometheus's" "$fb vs $pb"
	fi
else
	fail "late series" "$BENCH not built"
fi

# flint on a directory Prometheus wrote answers as Prometheus on another copy
G=$SHARED/conformance/tsdb/wal-with-checkpoint/data
for who in f p; do cp -r "$G" "$tmp/gold-$who-data" && chmod -R u+w "$tmp/gold-$who-data"; done
FP=$(free_port)
PP=$(free_port)
start_flint gold-f "$FP"
printf 'global:\n  scrape_interval: 15s\n' >"$tmp/gold-p.yml"
start_prom gold-p "$PP" "$tmp/gold-p.yml"
names=$(curl -s "http://127.0.0.1:$PP/api/v1/label/__name__/values" | "$PY" -c 'import json,sys; print(" ".join(json.load(sys.stdin)["data"][:6]))')
maxt=$(promtool tsdb list "$tmp/gold-p-data" 2>/dev/null | awk 'NR > 1 {print $3}' | sort -n | tail -1)
gs=$((maxt / 1000))
same=0 total=0
for n in $names; do
	for t in $((gs - 7200 + 7)) $((gs - 3600 + 7)) $((gs + 1800 + 7)); do
		total=$((total + 1))
		a=$(query "http://127.0.0.1:$FP" "count_over_time($n[2h])" "$t")
		b=$(query "http://127.0.0.1:$PP" "count_over_time($n[2h])" "$t")
		[ "$a" = "$b" ] && same=$((same + 1)) || echo "  differs: $n at $t"
	done
done
check_eq "flint on Prometheus's directory answers as Prometheus ($total queries)" "$same" "$total"
[ "$total" -gt 0 ] && ok "some queries asked" || fail "some queries asked" "no metric names"
finish
