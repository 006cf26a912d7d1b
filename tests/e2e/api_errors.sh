#!/usr/bin/env bash
# api_errors.sh - flint's error answers are Prometheus's (texts and codes
# taken from Debian's Prometheus 2.42; see spec/grafana-and-http-api.md 5.2):
# malformed queries, times, steps, matchers, URL encodings; a query over
# --query.max-samples (422 execution); a slow query under a tiny
# --query.timeout (503 timeout); a client hanging up mid-query (499); routing errors (404/405/OPTIONS); gated
# admin and lifecycle endpoints; promtool's query subcommands against
# flint; hostile queries (issue 14) bounded by the query timeout. Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
need "$FLINT" curl promtool "$PY"

FP=$(free_port)
F=http://127.0.0.1:$FP
start_flint flint "$FP" --web.enable-remote-write-receiver --web.enable-lifecycle

# expect NAME METHOD PATH+QUERY CODE BODY [curl args]
expect() {
	local name=$1 m=$2 u=$3 code=$4 body=$5
	shift 5
	local got
	got=$(http "$m" "$F$u" "$@")
	check_eq "$name" "$got" "$code $body"
}
E='{"status":"error","errorType":"bad_data","error":'

expect "instant parse error" GET '/api/v1/query?query=sum(&time=4' 400 "$E"'"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"}'
expect "empty query" GET '/api/v1/query?query=' 400 "$E"'"invalid parameter \"query\": 1:1: parse error: no expression found in input"}'
expect "bad time" GET '/api/v1/query?query=up&time=abc' 400 "$E"'"invalid parameter \"time\": Invalid time value for '"'time'"': cannot parse \"abc\" to a valid timestamp"}'
expect "bad timeout" GET '/api/v1/query?query=up&timeout=abc' 400 "$E"'"invalid parameter \"timeout\": cannot parse \"abc\" to a valid duration"}'
expect "bad lookback_delta (3.x)" GET '/api/v1/query?query=up&lookback_delta=abc' 400 "$E"'"error parsing lookback delta duration: cannot parse \"abc\" to a valid duration"}'
expect "range end before start" GET '/api/v1/query_range?query=up&start=10&end=5&step=1' 400 "$E"'"invalid parameter \"end\": end timestamp must not be before start time"}'
expect "range step zero" GET '/api/v1/query_range?query=up&start=0&end=100&step=0' 400 "$E"'"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"}'
expect "range step negative" GET '/api/v1/query_range?query=up&start=0&end=100&step=-1' 400 "$E"'"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"}'
expect "range bad step" GET '/api/v1/query_range?query=up&start=0&end=100&step=abc' 400 "$E"'"invalid parameter \"step\": cannot parse \"abc\" to a valid duration"}'
expect "range step overflow" GET '/api/v1/query_range?query=up&start=0&end=100&step=1e300' 400 "$E"'"invalid parameter \"step\": cannot parse \"1e300\" to a valid duration. It overflows int64"}'
expect "range 11000 points" GET '/api/v1/query_range?query=up&start=0&end=100000&step=1' 400 "$E"'"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}'
expect "range missing start" GET '/api/v1/query_range?query=up&end=100&step=1' 400 "$E"'"invalid parameter \"start\": cannot parse \"\" to a valid timestamp"}'
expect "range parse error" GET '/api/v1/query_range?query=sum(&start=0&end=100&step=1' 400 "$E"'"1:5: parse error: unclosed left parenthesis"}'
expect "range string expression" GET '/api/v1/query_range?query=%22foo%22&start=0&end=100&step=1' 400 "$E"'"invalid expression type \"string\" for range query, must be Scalar or instant Vector"}'
expect "series no match[]" GET '/api/v1/series' 400 "$E"'"no match[] parameter provided"}'
expect "series empty matcher" GET '/api/v1/series?match[]=%7Bfoo%3D%22%22%7D' 400 "$E"'"invalid parameter \"match[]\": match[] must contain at least one non-empty matcher"}'
# the regexp error's wording is Go regexp/syntax's (tsdb/regex_errors.c); 3.x
# quotes the pattern as written (2.42 quoted its "^(?:()$" wrapping)
expect "series bad regex" GET '/api/v1/series?match[]=%7B__name__%3D~%22(%22%7D' 400 "$E"'"invalid parameter \"match[]\": 1:2: parse error: error parsing regexp: missing closing ): `(`"}'
expect "series bad class" GET '/api/v1/series?match[]=%7B__name__%3D~%22x%5Ba%22%7D' 400 "$E"'"invalid parameter \"match[]\": 1:2: parse error: error parsing regexp: missing closing ]: `[a`"}'
expect "series bad URL escape" GET '/api/v1/series?match[]=up%zz' 400 "$E"'"error parsing form values: invalid URL escape \"%zz\""}'
expect "series bad form escape" POST '/api/v1/series' 400 "$E"'"error parsing form values: invalid URL escape \"%z\""}' --data-raw 'match[]=up%z'
expect "labels bad start" GET '/api/v1/labels?start=abc' 400 "$E"'"invalid parameter \"start\": Invalid time value for '"'start'"': cannot parse \"abc\" to a valid timestamp"}'
expect "labels negative limit" GET '/api/v1/labels?limit=-1' 400 "$E"'"invalid parameter \"limit\": limit must be non-negative"}'
expect "dropped bad pair leaves no query" GET '/api/v1/query?query=1%zz&time=4' 400 "$E"'"invalid parameter \"query\": 1:1: parse error: no expression found in input"}'
expect "exemplars parse error" GET '/api/v1/query_exemplars?query=sum(' 400 "$E"'"1:5: parse error: unclosed left parenthesis"}'
expect "exemplars without selector" GET '/api/v1/query_exemplars?query=1%2B1' 204 ""
expect "exemplar probe in ms" GET '/api/v1/query_exemplars?query=test&start=1795496240724&end=1795496240725' 200 '{"status":"success","data":[]}'
expect "health check POST" POST '/api/v1/query' 200 '{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}' --data-raw 'query=1%2B1&time=4'
expect "health check GET" GET '/api/v1/query?query=1%2B1&time=4' 200 '{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}'
expect "URL params on POST merge" POST '/api/v1/query?time=4' 200 '{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}' --data-raw 'query=1%2B1'
expect "parse_query (3.x) POST" POST '/api/v1/parse_query' 200 '{"status":"success","data":{"expr":{"expr":{"type":"numberLiteral","val":"1"},"type":"parenExpr"},"op":"-","type":"unaryExpr"}}' --data-raw 'query=-(1)'
expect "parse_query (3.x) error" GET '/api/v1/parse_query?query=sum(' 400 "$E"'"invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"}'
expect "admin disabled" POST '/api/v1/admin/tsdb/snapshot' 500 '{"status":"error","errorType":"unavailable","error":"admin APIs disabled"}'
expect "unknown path" GET '/api/v1/nothere' 404 "404 page not found"
expect "options" OPTIONS '/api/v1/query' 204 ""
expect "reload by GET" GET '/-/reload' 405 "Only POST or PUT requests allowed"
expect "reload" POST '/-/reload' 200 ""
allow=$(curl -s -o /dev/null -D - -X PUT "$F/api/v1/query" | tr -d '\r' | grep -i '^Allow:')
check_eq "405 with Allow" "$allow" "Allow: GET, OPTIONS, POST"

# a query over --query.max-samples: 422 execution
MP=$(free_port)
start_flint small "$MP" --query.max-samples=100 --storage.tsdb.min-block-duration=2h --storage.tsdb.max-block-duration=2h
# Thanos-style block durations are accepted and shown as given
got=$(curl -s "http://127.0.0.1:$MP/api/v1/status/flags")
check_has "max-block-duration flag" "$got" '"storage.tsdb.max-block-duration":"2h"'
check_has "min-block-duration flag" "$got" '"storage.tsdb.min-block-duration":"2h"'
# the tsdb's own metrics, with Prometheus 2.42's names and types
got=$(curl -s "http://127.0.0.1:$MP/metrics")
for m in "blocks_loaded gauge" "storage_blocks_bytes gauge" "time_retentions_total counter" \
	"size_retentions_total counter" "compactions_total counter" "compaction_duration_seconds histogram" \
	"head_truncations_total counter" "checkpoint_creations_total counter" "head_series_removed_total counter"; do
	check_has "metric prometheus_tsdb_${m% *}" "$got" "# TYPE prometheus_tsdb_$m"
done
check_has "compaction histogram +Inf" "$got" 'prometheus_tsdb_compaction_duration_seconds_bucket{le="+Inf"} 0'
got=$(http GET "http://127.0.0.1:$MP/api/v1/query_range?query=vector(1)&start=0&end=1000&step=1")
check_eq "max samples" "$got" '422 {"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}'

# a slow query under a tiny --query.timeout: 503 timeout
TP=$(free_port)
start_flint slow "$TP" --query.timeout=20ms
got=$(http GET "http://127.0.0.1:$TP/api/v1/query?query=count_over_time(vector(1)%5B2h:1ms%5D)&time=7200")
check_eq "query timeout" "$got" '503 {"status":"error","errorType":"timeout","error":"query timed out in query execution"}'
got=$(http GET "$F/api/v1/query?query=count_over_time(vector(1)%5B2h:1ms%5D)&time=7200&timeout=20ms")
check_eq "timeout parameter" "$got" '503 {"status":"error","errorType":"timeout","error":"query timed out in query execution"}'

# a client that hangs up mid-query cancels it: 499 canceled (3.x), counted at once
curl -s -o /dev/null --max-time 0.3 "$F/api/v1/query?query=count_over_time(vector(1)%5B2h:1ms%5D)&time=7200"
sleep 0.5
got=$(curl -s "$F/metrics" | grep 'prometheus_http_requests_total{code="499",handler="/api/v1/query"}')
check_eq "client hang-up cancels (499)" "$got" 'prometheus_http_requests_total{code="499",handler="/api/v1/query"} 1'

# promtool against flint, on data remote-written into it
end_ms=$(($(date +%s) * 1000))
(cd "$tmp" && "$PY" "$SHARED/conformance/tsdb/wal-remote-write/send-remote-write.py" "$F/api/v1/write" "$end_ms" 20 10 >/dev/null 2>&1)
now=$(date +%s)
out=$(promtool query instant "$F" 'count({__name__=~".+"})' 2>&1)
check_has "promtool query instant" "$out" "=>"
out=$(promtool query range --start=$((now - 300)) --end="$now" --step=60s "$F" 'count({__name__=~".+"})' 2>&1)
check_has "promtool query range" "$out" "@["
out=$(promtool query series --match='{__name__=~".+"}' "$F" 2>&1)
check_has "promtool query series" "$out" "__name__"
out=$(promtool query labels "$F" __name__ 2>&1)
[ -n "$out" ] && ! echo "$out" | grep -qi error && ok "promtool query labels" || fail "promtool query labels" "$out"
# flags: kingpin's grammar and messages, exit status 1
cli() { # NAME WANT-SUBSTRING ARGS...
	local name=$1 want=$2
	shift 2
	local out rc
	out=$(timeout 20 "$FLINT" "$@" 2>&1) # bounded: a flint that ignores a bad flag would serve forever
	rc=$?
	if [ "$rc" = 1 ]; then check_has "$name" "$out" "$want"; else fail "$name" "exit $rc: $out"; fi
}
cli "flag unknown" "flint: error: unknown long flag '--foo', try --help" --foo
cli "flag bad duration" 'not a valid duration string: "abc"' --query.timeout=abc
cli "flag bool with value" "unexpected false" --web.enable-lifecycle=false
cli "flag missing value" "expected argument for flag '--config.file'" --config.file
cli "flag bad bytes" "units: unknown unit XB in 1XB" --storage.tsdb.retention.size=1XB
cli "flag bad log level" 'unrecognized log level "bogus"' --log.level=bogus
cli "positional argument" "unexpected positional" positional
printf 'global:\n  scrape_interval: 15q\n' >"$tmp/bad.yml"
cli "bad config file" 'bad.yml:2: global.scrape_interval: not a valid duration string: \"15q\"' --config.file="$tmp/bad.yml" --storage.tsdb.path="$tmp/bad-data"
out=$(timeout 20 "$FLINT" --version 2>&1) && check_has "version" "$out" "flint, version" || fail "version" "$out"

# SIGHUP and /-/reload reload the config; SIGTERM stops cleanly
SP=$(free_port)
start_flint sig "$SP" --web.enable-lifecycle
spid=${pids[${#pids[@]}-1]}
printf 'global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: added\n    static_configs: [{targets: ["127.0.0.1:1"]}]\n' >"$tmp/sig.yml"
kill -HUP "$spid"
for _ in $(seq 50); do curl -s "http://127.0.0.1:$SP/api/v1/status/config" | grep -q "job_name: added" && break; sleep 0.1; done
check_has "SIGHUP reload" "$(curl -s "http://127.0.0.1:$SP/api/v1/status/config")" "job_name: added"
cp "$tmp/bad.yml" "$tmp/sig.yml"
got=$(http POST "http://127.0.0.1:$SP/-/reload")
check_has "reload of a bad file" "$got" "500 failed to reload config: "
check_eq "runtimeinfo after failed reload" "$(curl -s "http://127.0.0.1:$SP/api/v1/status/runtimeinfo" | grep -o '"reloadConfigSuccess":[a-z]*')" '"reloadConfigSuccess":false'
kill -TERM "$spid"
for _ in $(seq 100); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$spid" 2>/dev/null; then fail "SIGTERM stops flint" "still running after 10s"; else
	wait "$spid" 2>/dev/null
	rc=$?
	check_eq "SIGTERM exit status" "$rc" 0
	check_has "SIGTERM clean shutdown" "$(cat "$tmp/sig.log")" "See you next time!"
fi
# --web.config.file: TLS (cert/key relative to the file) and bcrypt basic auth
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
		-subj "/CN=127.0.0.1" >/dev/null 2>&1
	hash=$("$PY" -c 'import crypt; print(crypt.crypt("pw", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32)))' 2>/dev/null)
	printf 'tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\nbasic_auth_users:\n  bob: %s\n' "'$hash'" >"$tmp/web.yml"
	WP=$(free_port)
	"$FLINT" --config.file="$tmp/flint.yml" --storage.tsdb.path="$tmp/tls-data" --web.listen-address=127.0.0.1:"$WP" \
		--web.config.file="$tmp/web.yml" >"$tmp/tls.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do [ "$(curl -sk -u bob:pw -o /dev/null -w '%{http_code}' "https://127.0.0.1:$WP/-/ready")" = 200 ] && break; sleep 0.1; done
	check_eq "TLS with basic auth" "$(curl -sk -u bob:pw "https://127.0.0.1:$WP/-/healthy")" "Prometheus Server is Healthy."
	check_eq "TLS wrong password" "$(curl -sk -u bob:no -o /dev/null -w '%{http_code}' "https://127.0.0.1:$WP/-/healthy")" 401
	check_eq "plain HTTP refused on TLS port" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WP/-/healthy")" 000
fi
# issue 14: hostile queries never hold a query slot past the timeout. 24 at
# once against 20 slots and a 2s --query.timeout: the old parser hang (a
# 128-digit repeat count), an 8-digit count, and a backtracking regexp over
# 3,000 label values (25 s of PCRE2 work each under ASan) all answer within
# about the timeout (queued ones time out in the queue; MHD's pool may hold
# a request behind another on its thread, hence 3x); a normal query answers
# after.
if command -v promtool >/dev/null; then
	hts=$(($(date +%s) - 3600))
	"$PY" - "$tmp/hostile.om" "$hts" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("# TYPE hostile gauge\n")
    for i in range(3000):
        f.write('hostile{v="%s%de"} 1 %s\n' % ("a" * 40, i, sys.argv[2]))
    f.write("# EOF\n")
PYEOF
	promtool tsdb create-blocks-from openmetrics "$tmp/hostile.om" "$tmp/hostile-data" >/dev/null 2>&1
	HP=$(free_port)
	start_flint hostile "$HP" --query.timeout=2s
	digits=$(printf '2%.0s' $(seq 128))
	hq=("{__name__=~\"co{${digits}a\"}" '{job=~"a{99999999}"}' 'count(hostile{v=~"(a|aa)*(c|d)"})')
	t0=$(date +%s%N)
	hpids=()
	for i in $(seq 0 23); do
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 30 --data-urlencode "query=${hq[$((i % 3))]}" \
			--data-urlencode "time=$hts" "http://127.0.0.1:$HP/api/v1/query" >"$tmp/hostile.$i" &
		hpids+=($!)
	done
	wait "${hpids[@]}"
	took_ms=$((($(date +%s%N) - t0) / 1000000))
	codes=$(cat "$tmp"/hostile.[0-9]* | awk '{print $1}' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
	slow=$(cat "$tmp"/hostile.[0-9]* | awk '$2 > 8 || !($1 ~ /^(200|400|422|503)$/)' | head -3 | tr '\n' ';')
	check_eq "24 hostile queries each answer within the timeout (codes: $codes)" "$slow" ""
	[ "$took_ms" -lt 12000 ] && ok "24 hostile queries all answered in ${took_ms} ms" ||
		fail "24 hostile queries all answered in time" "took ${took_ms} ms"
	got=$(http GET "http://127.0.0.1:$HP/api/v1/query?query=count(hostile)&time=$hts")
	check_eq "a normal query after the hostile ones" "$got" \
		'200 {"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":['"$hts"',"3000"]}]}}'
	got=$(http GET "http://127.0.0.1:$HP/api/v1/query" -G --data-urlencode "query={__name__=~\"co{${digits}a\"}")
	check_eq "the 128-digit repeat is a literal, as in Prometheus" "$got" \
		'200 {"status":"success","data":{"resultType":"vector","result":[]}}'
	got=$(http GET "http://127.0.0.1:$HP/api/v1/query" -G --data-urlencode 'query={job=~"a{99999999}"}')
	check_eq "an 8-digit repeat count is refused, as in Prometheus" "$got" \
		'400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:2: parse error: error parsing regexp: invalid repeat count: `{99999999}`"}'
	# issue 14: SIGTERM with a slow query in flight (the backtracking regexp,
	# 25 s of work, under a 10m --query.timeout): flint cancels it after the
	# drain's 3 s grace, exits 0 within the deadline, and its data reopens.
	promtool tsdb create-blocks-from openmetrics "$tmp/hostile.om" "$tmp/drain-data" >/dev/null 2>&1
	DP=$(free_port)
	start_flint drain "$DP" --query.timeout=10m
	dpid=${pids[$((${#pids[@]} - 1))]}
	curl -s -o "$tmp/drain.body" --max-time 30 --data-urlencode 'query=count(hostile{v=~"(a|aa)*(c|d)"})' \
		--data-urlencode "time=$hts" "http://127.0.0.1:$DP/api/v1/query" &
	cpid=$!
	sleep 1
	t0=$(date +%s%N)
	kill -TERM "$dpid"
	for _ in $(seq 150); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	took_ms=$((($(date +%s%N) - t0) / 1000000))
	if kill -0 "$dpid" 2>/dev/null; then
		fail "SIGTERM with a slow query in flight" "still running after 15 s"
	else
		wait "$dpid" 2>/dev/null
		check_eq "SIGTERM with a slow query in flight: exit status" "$?" 0
		[ "$took_ms" -lt 8000 ] && ok "SIGTERM with a slow query in flight: exited in ${took_ms} ms" ||
			fail "SIGTERM with a slow query in flight: exits within the drain deadline" "took ${took_ms} ms"
		check_has "SIGTERM with a slow query in flight: clean shutdown" "$(cat "$tmp/drain.log")" "See you next time!"
	fi
	wait "$cpid" 2>/dev/null
	check_has "the in-flight query was answered (canceled)" "$(cat "$tmp/drain.body")" '"status":"error"'
	DP2=$(free_port)
	mv "$tmp/drain.log" "$tmp/drain-1.log"
	start_flint drain "$DP2"
	got=$(http GET "http://127.0.0.1:$DP2/api/v1/query?query=count(hostile)&time=$hts")
	check_eq "data directory reopens after the drain" "$got" \
		'200 {"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":['"$hts"',"3000"]}]}}'
fi
kill -0 "${pids[0]}" 2>/dev/null && ok "flint still running" || fail "flint still running" "$(tail -5 "$tmp/flint.log")"
finish
