#!/usr/bin/env bash
# scrape_bad_targets.sh - issue 16 "Bad input": targets that send garbage, a
# body past body_size_limit, a never-ending body at loopback speed (no
# limit set: flint's default cap must stop it before it eats memory; the
# scrape timeout alone would let a second's worth, GBs, pile up), a
# slowloris, invalid UTF-8 and a million series (past sample_limit) each
# get up 0 and a lastError that says why in /api/v1/targets, and nothing
# else:
#   1. flint scrapes one good target (page_server.py's fixed page, every 1 s)
#      for a few seconds; what it stored is read back (query_range);
#   2. the bad targets arrive through file_sd (the files are rewritten);
#      each is scraped and fails with its error;
#   3. meanwhile the good target is scraped on time: up stays 1, its
#      scrape count grows, no gap between two of its scrapes passes 2.5 s
#      (page server's own clock);
#   4. flint keeps running, its peak RSS stays bounded, and the data of
#      step 1 reads back the same, before and after a restart; the
#      sanitizers (make test's build) found nothing to report.
# Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
. "$(dirname "$0")/scrape_common.bash"
need "$FLINT" curl "$PY"

start_pages pages fixed garbage huge endless slowloris badutf8 million
GOOD=127.0.0.1:$(port_of pages fixed)
bad_target() { echo "127.0.0.1:$(port_of pages "$1")"; }
for f in bad endless million; do echo '[]' >"$tmp/$f.json"; done
cat >"$tmp/flint.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: good
    static_configs: [{targets: ['$GOOD']}]
  - job_name: bad
    scrape_interval: 2s
    scrape_timeout: 1s
    body_size_limit: 1MB
    file_sd_configs: [{files: ['$tmp/bad.json']}]
  - job_name: endless
    scrape_interval: 2s
    scrape_timeout: 1s
    file_sd_configs: [{files: ['$tmp/endless.json']}]
  - job_name: million
    scrape_interval: 4s
    scrape_timeout: 3s
    sample_limit: 10000
    body_size_limit: 100MB
    file_sd_configs: [{files: ['$tmp/million.json']}]
EOF
FP=$(free_port)
F=http://127.0.0.1:$FP
start_flint flint "$FP"
flint_pid=${pids[-1]}

# ---- 1. the good target alone
if wait_for 20 value_is "$F" 'up{job="good"}' 1; then ok "good target up"; else fail "good target up" "$(targets "$F")"; fi
sleep 5
T0=$(($(date +%s) - 5))
T1=$(($(date +%s) - 2)) # a scrape in flight now may still commit a sample before T1 + 1

range_q() { # the good target's stored samples over [T0, T1] at 1 s steps
	curl -s -G "$F/api/v1/query_range" --data-urlencode 'query={job="good",__name__=~"page_requests_total|page_temperature_celsius|up"}' \
		--data-urlencode "start=$T0.5" --data-urlencode "end=$T1.5" --data-urlencode step=1
}
before=$(range_q)
check_has "good target data stored" "$before" '"page_temperature_celsius"'

# ---- 2. the bad targets arrive
printf '[{"targets": ["%s", "%s", "%s", "%s"]}]\n' "$(bad_target garbage)" "$(bad_target huge)" \
	"$(bad_target slowloris)" "$(bad_target badutf8)" >"$tmp/bad.json.new"
printf '[{"targets": ["%s"]}]\n' "$(bad_target endless)" >"$tmp/endless.json.new"
printf '[{"targets": ["%s"]}]\n' "$(bad_target million)" >"$tmp/million.json.new"
for f in bad endless million; do mv "$tmp/$f.json.new" "$tmp/$f.json"; done
phase_start=$(date +%s)
served() { curl -s "http://127.0.0.1:$(port_of pages control)/counts" | "$PY" -c "import json,sys; print(json.load(sys.stdin).get('$1', 0))"; }
good_before=$(served "${GOOD#*:}")
all_failed() { [ "$(targets "$F" | awk -F'|' '$1 != "good" && $3 == "down" && $4 != ""' | wc -l)" = 6 ]; }
if wait_for 40 all_failed; then ok "six bad targets discovered and down"; else fail "six bad targets discovered and down" "$(targets "$F")"; fi
sleep 6 # several more failed scrapes of each

# each bad target: up 0, health down, an error that says why
now_targets=$(targets "$F")
echo "$now_targets" | sed 's/^/  target: /'
bad_check() { # MODE ERROR-REGEX
	local inst line err
	inst=$(bad_target "$1")
	line=$(echo "$now_targets" | awk -F'|' -v i="$inst" '$2 == i')
	err=${line##*|}
	check_eq "$1: up 0" "$(value "$F" "up{instance=\"$inst\"}")" 0
	check_eq "$1: health down" "$(echo "$line" | cut -d'|' -f3)" down
	if [ -n "$err" ] && echo "$err" | grep -Eqi "$2"; then ok "$1: lastError ($err)"; else fail "$1: lastError" "[$err] does not match /$2/"; fi
}
bad_check garbage '.'
bad_check huge 'body size limit'
bad_check slowloris 'deadline|timeout|timed out'
bad_check badutf8 'utf-?8'
bad_check endless 'deadline|timeout|timed out|body size limit'
bad_check million 'sample limit'
# and flint's own counters say so, under Prometheus's names
self=$(curl -s "$F/metrics")
for m in prometheus_target_scrapes_exceeded_sample_limit_total prometheus_target_scrapes_exceeded_body_size_limit_total; do
	v=$(echo "$self" | awk -v m="$m" '$1 == m { print $2 }')
	if awk -v v="$v" 'BEGIN { exit !(v + 0 >= 1) }'; then ok "/metrics $m ($v)"; else fail "/metrics $m" "[$v]"; fi
done
# a failed scrape appends nothing but the report series
check_eq "no sample of a failed scrape stored" "$(instant "$F" 'count({__name__=~"page_(huge|endless|slow|badutf8|good|after|million)"})')" ""

# ---- 3. the good target on time throughout
check_eq "good target up throughout" "$(value "$F" 'min_over_time(up{job="good"}[8s])')" 1
n=$(value "$F" 'count_over_time(up{job="good"}[8s])')
if [ -n "$n" ] && [ "$n" -ge 7 ] 2>/dev/null; then ok "good target scraped every second ($n in 8 s)"; else fail "good target scraped every second" "$n samples of up in 8 s"; fi
good_after=$(served "${GOOD#*:}")
elapsed=$(($(date +%s) - phase_start))
if [ $((good_after - good_before)) -ge $((elapsed - 3)) ]; then ok "good target's scrape count grows ($good_before -> $good_after in ${elapsed} s)"
else fail "good target's scrape count grows" "$good_before -> $good_after in $elapsed s"; fi
gaps=$(page_times pages "${GOOD#*:}" | "$PY" -c "
import json, sys
t = [x for x in json.load(sys.stdin) if x >= $phase_start]
print(' '.join('%.2f' % (b - a) for a, b in zip(t, t[1:])))")
gap=$(echo "$gaps" | tr ' ' '\n' | sort -n | tail -1)
if awk -v g="${gap:-99}" 'BEGIN { exit !(g <= 2.5) }'; then ok "no gap over 2.5 s between good scrapes (longest $gap s)"
else fail "no gap over 2.5 s between good scrapes" "gaps: $gaps; scrape_duration_seconds: $(instant "$F" scrape_duration_seconds | tr '\n' ' ')"; fi

# ---- 4. flint alive, memory bounded, data intact
if kill -0 "$flint_pid" 2>/dev/null && wait_ready "$F" 5; then ok "flint still running"; else fail "flint still running" "$(tail -5 "$tmp/flint.log")"; fi
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$flint_pid/status" 2>/dev/null)
if [ -n "$hwm" ] && [ "$hwm" -lt $((1536 * 1024)) ]; then ok "peak RSS bounded ($((hwm / 1024)) MiB)"; else fail "peak RSS bounded" "VmHWM ${hwm:-?} kB"; fi
check_eq "stored data unchanged" "$(range_q)" "$before"
kill "$flint_pid"
for _ in $(seq 300); do kill -0 "$flint_pid" 2>/dev/null || break; sleep 0.1; done
# (the ASan build reports memory errors and leaks in its log, at exit too)
check_eq "no sanitizer report in flint's log" "$(grep -E -m3 'Sanitizer|runtime error' "$tmp/flint.log")" ""
mv "$tmp/flint.log" "$tmp/flint-1.log"
start_flint flint "$FP"
flint_pid=${pids[-1]}
check_eq "stored data unchanged after a restart" "$(range_q)" "$before"
finish
