#!/usr/bin/env bash
# scrape_node_exporter.sh - issue 16 "Real peers": flint scrapes Debian's
# prometheus-node-exporter (loopback, free port, a few stable collectors)
# from a static_configs job every second:
#   1. node_* series appear with job and instance labels, up is 1, the
#      report series (scrape_duration_seconds, scrape_samples_scraped, ...)
#      are there, scrape_samples_scraped counts the samples the page has,
#      and /api/v1/metadata knows node_load1 as a gauge with its help;
#   2. a page whose series come and go (page_server.py's changing mode:
#      page_changing_flap on odd scrapes only) shows the gaps that stale
#      markers make, where its steady series shows none;
#   3. the exporter is stopped: up becomes 0, /api/v1/targets says down
#      with an error, and the exporter's series go stale (an instant query
#      returns nothing once the failed scrape has written stale markers),
#      while the samples from before remain queryable.
# Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
. "$(dirname "$0")/scrape_common.bash"
need "$FLINT" "$NODE_EXPORTER" curl "$PY"

start_pages pages changing
NP=$(free_port)
start_node_exporter "$NP"
INST=127.0.0.1:$NP
cat >"$tmp/flint.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['$INST'], labels: {site: loopback}}]
  - job_name: changing
    static_configs: [{targets: ['127.0.0.1:$(port_of pages changing)']}]
EOF
FP=$(free_port)
F=http://127.0.0.1:$FP
start_flint flint "$FP"

# ---- 1. scraped
if wait_for 30 value_is "$F" "up{job=\"node\",instance=\"$INST\"}" 1; then ok "up is 1"; else fail "up is 1" "$(targets "$F")"; fi
if wait_for 30 value_is "$F" 'up{job="changing"}' 1; then ok "changing page up"; else fail "changing page up" "$(targets "$F")"; fi
sleep 5
load=$(instant "$F" 'node_load1')
check_eq "node_load1 labels" "${load% *}" "{__name__=\"node_load1\",instance=\"$INST\",job=\"node\",site=\"loopback\"}"
n_node=$(instant "$F" '{__name__=~"node_.+",job="node"}' | wc -l)
if [ "$n_node" -ge 20 ]; then ok "node_* series stored ($n_node)"; else fail "node_* series stored" "$n_node series"; fi
check_eq "every series has job and instance" "$(instant "$F" '{job="node"}' | grep -vc "instance=\"$INST\",job=\"node\"")" 0
check_has "node_uname_info" "$(instant "$F" 'node_uname_info')" "sysname=\"Linux\""
check_has "go_gc_duration_seconds summary" "$(instant "$F" 'go_gc_duration_seconds{job="node"}')" "quantile="
for m in scrape_duration_seconds scrape_samples_scraped scrape_samples_post_metric_relabeling scrape_series_added; do
	v=$(value "$F" "$m{job=\"node\"}")
	case $v in "" | error*) fail "report series $m" "[$v]" ;; *) ok "report series $m = $v" ;; esac
done
page=$(curl -s "http://$INST/metrics" | grep -vc '^#')
check_eq "scrape_samples_scraped is the page's sample count" "$(value "$F" 'scrape_samples_scraped{job="node"}')" "$page"
md=$(curl -s "$F/api/v1/metadata?metric=node_load1")
check_has "metadata type" "$md" '"type":"gauge"'
check_has "metadata help" "$md" '"help":"1m load average."'
check_has "target up in /api/v1/targets" "$(targets "$F")" "node|$INST|up|"

# ---- 2. a series that leaves the page goes stale at once
steps() { # EXPR: of the 0.25 s steps over the last 4 s, how many have a value
	curl -s -G "$F/api/v1/query_range" --data-urlencode "query=$1" --data-urlencode "start=$(($(date +%s) - 4))" \
		--data-urlencode "end=$(date +%s)" --data-urlencode step=0.25 |
		"$PY" -c 'import json,sys
try: r = json.load(sys.stdin)["data"]["result"]
except (ValueError, KeyError, TypeError): r = []
print(sum(len(s["values"]) for s in r))'
}
check_eq "a steady series has no gap" "$(steps 'page_changing_total')" 17
n=$(steps 'page_changing_flap')
if [ "$n" -ge 4 ] && [ "$n" -le 13 ]; then ok "a series that comes and goes has gaps ($n of 17 steps)"; else fail "a series that comes and goes has gaps" "$n of 17 steps have a value"; fi

# ---- 3. the exporter goes away
t_before=$(date +%s)
kill "$ne_pid"
wait "$ne_pid" 2>/dev/null
if wait_for 15 value_is "$F" "up{job=\"node\"}" 0; then ok "up becomes 0"; else fail "up becomes 0" "$(instant "$F" up)"; fi
sleep 1.5 # the failed scrape's stale markers are in once up is 0; one more interval for slack
check_eq "node_load1 stale" "$(instant "$F" 'node_load1')" ""
check_eq "every node_* series stale" "$(instant "$F" '{__name__=~"node_.+"}')" ""
check_eq "the exporter's go_* series stale" "$(instant "$F" '{__name__=~"go_.+",job="node"}')" ""
check_eq "only up and the report series remain" "$(instant "$F" 'count by (__name__) ({job="node"})' | sed 's/ .*//' | tr '\n' ' ')" \
	'{__name__="scrape_duration_seconds"} {__name__="scrape_samples_post_metric_relabeling"} {__name__="scrape_samples_scraped"} {__name__="scrape_series_added"} {__name__="up"} '
line=$(targets "$F" | grep "^node|")
check_eq "target down in /api/v1/targets" "$(echo "$line" | cut -d'|' -f3)" down
err=$(echo "$line" | cut -d'|' -f4)
case $err in
*"dial tcp $INST: connect: connection refused") ok "lastError says why, naming the address, as Go does ($err)" ;;
*) fail "lastError says why, naming the address" "[$line]" ;;
esac
check_eq "samples from before stay queryable" "$(instant "$F" 'node_load1' "$((t_before - 1)).5" | wc -l)" 1
kill -0 "${pids[-1]}" 2>/dev/null && ok "flint still running" || fail "flint still running" "$(tail -5 "$tmp/flint.log")"
finish
