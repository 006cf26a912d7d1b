#!/usr/bin/env bash
# flinttool_query.sh - `flinttool query instant|range|series|labels|analyze`
# and `flinttool push metrics` against real servers, compared with Debian's
# promtool 2.42 byte for byte:
#   1. Prometheus 2.42 and flint, both with the remote-write receiver, on
#      free loopback ports; `flinttool push metrics` writes the same four
#      exposition files (timestamps 15 s apart, ten minutes ago) into both,
#      plus one from stdin with --label; push errors (parse error, missing
#      file, a 404 and a 401 receiver, --http.config.file credentials).
#   2. every query subcommand, -o promql and -o json, is run by promtool and
#      by flinttool against both servers: the four outputs (stdout, stderr,
#      exit status) are equal, modulo the server's address and the program
#      name in usage errors. Where Prometheus 2.42 and flint (3.x) answer
#      differently, promtool and flinttool must agree per server.
#   3. api_canned.py, a fake API with canned answers, for the corners:
#      label ordering, escapes, special floats, error envelopes, 405 -> GET.
#      Where promtool 2.42's client differs from 3.x's (listed below),
#      flinttool's output is checked against the 3.x text.
#   4. query analyze (newer than promtool 2.42): the same text from both
#      servers, equal to the statistics worked out by hand.
# Differences kept on purpose (promtool 2.42 vs 3.x's client_golang 1.24):
#   - 2.42 decodes with json-iterator: its decode errors carry "error found
#     in #N byte of ..." context; 3.x's encoding/json does not.
#   - 2.42 falls back from POST to GET on 405/501 only; 3.x also on 403.
#   - 2.42 reads a negative fractional time -1.5 as -0.5 (fixed in common).
#   - 2.42 fails on `"data": null` for series/labels; 3.x prints null.
# Prints `N passed, N failed`; exits non-zero on failure.
set -u
. "$(dirname "$0")/web_common.bash"
HERE=$(cd "$(dirname "$0")" && pwd)
FT=${FLINTTOOL:-$BUILD/flinttool}
need prometheus promtool "$FLINT" "$FT" "$PY"

PP=$(free_port)
FP=$(free_port)
printf 'global:\n  scrape_interval: 15s\n' >"$tmp/prom.yml"
start_prom prom "$PP" "$tmp/prom.yml" --web.enable-remote-write-receiver
start_flint flint "$FP" --web.enable-remote-write-receiver
"$PY" "$HERE/api_canned.py" "$tmp/canned.port" >"$tmp/canned.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/canned.port" ] && break; sleep 0.1; done
CP=$(cat "$tmp/canned.port" 2>/dev/null || echo 1)
C=http://127.0.0.1:$CP

# ---- 1. push metrics ----
S=$(($(date +%s) - 600)) # seconds of the first sample
for k in 0 1 2 3; do
	t=$(((S + k * 15) * 1000))
	cat >"$tmp/m$k.prom" <<EOT
# HELP http_requests_total Total requests.
# TYPE http_requests_total counter
http_requests_total{code="200",method="get"} $((1027 + k * 10)) $t
http_requests_total{code="400",method="post"} $((3 + k)) $t
# TYPE temp gauge
temp{room="a b",q="x\"y"} -1.5e-7 $t
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 0.05 $t
rpc_duration_seconds{quantile="0.99"} 0.2 $t
rpc_duration_seconds_sum 17.5 $t
rpc_duration_seconds_count $((200 + k)) $t
# TYPE req_latency histogram
req_latency_bucket{le="0.1"} $((10 + k)) $t
req_latency_bucket{le="1"} $((15 + 2 * k)) $t
req_latency_bucket{le="+Inf"} $((20 + 2 * k)) $t
req_latency_sum 9.5 $t
req_latency_count $((20 + 2 * k)) $t
# TYPE other_latency histogram
other_latency_bucket{le="1",path="/a"} $((k > 1 ? 5 : 0)) $t
other_latency_bucket{le="2",path="/a"} $((k > 1 ? 5 : 0)) $t
other_latency_sum{path="/a"} 1 $t
other_latency_count{path="/a"} $((k > 1 ? 5 : 0)) $t
untyped_metric{job="x"} 42 $t
EOT
done
want_push=""
for k in 0 1 2 3; do
	want_push+="Parsing metrics file $tmp/m$k.prom"$'\n'"  SUCCESS: metrics file $tmp/m$k.prom pushed to remote write."$'\n'
done
for srv in prom:$PP flint:$FP; do
	out=$("$FT" push metrics "http://127.0.0.1:${srv#*:}" "$tmp"/m{0,1,2,3}.prom 2>&1)
	rc=$?
	check_eq "push metrics files into ${srv%%:*}" "$out rc=$rc" "${want_push%$'\n'} rc=0"
	out=$(printf 'stdin_metric{a="1"} 7 %s\n' $(((S + 30) * 1000)) |
		"$FT" push metrics --label env=test --label team=x "http://127.0.0.1:${srv#*:}/" 2>&1)
	rc=$?
	check_eq "push metrics stdin with --label into ${srv%%:*}" "$out rc=$rc" \
		"Parsing standard input"$'\n'"  SUCCESS: metrics pushed to remote write. rc=0"
done
printf 'ok_metric 1\nbad metric here\n' >"$tmp/bad.prom"
out=$("$FT" push metrics "http://127.0.0.1:$FP" "$tmp/bad.prom" 2>&1)
rc=$?
check_has "push metrics: a parse error fails" "$out rc=$rc" "  FAILED: text format parsing error in line 2: "
check_has "push metrics: ... with exit 1" "$out rc=$rc" "rc=1"
printf 'authorization:\n  credentials: secret\n' >"$tmp/http.yml"
out=$("$FT" push metrics --http.config.file="$tmp/http.yml" "$C" "$tmp/none.prom" "$tmp/m0.prom" 2>&1)
rc=$?
check_eq "push metrics: a missing file fails, the rest is pushed" "$out rc=$rc" \
	"  FAILED: open $tmp/none.prom: no such file or directory"$'\n'"Parsing metrics file $tmp/m0.prom"$'\n'"  SUCCESS: metrics file $tmp/m0.prom pushed to remote write. rc=1"
out=$("$FT" push metrics "http://127.0.0.1:$FP/nowhere" "$tmp/m0.prom" 2>&1)
rc=$?
check_has "push metrics: a 404 receiver" "$out rc=$rc" "  FAILED: server returned HTTP status 404 Not Found"
out=$("$FT" push metrics "$C" "$tmp/m0.prom" 2>&1)
rc=$?
check_eq "push metrics: 401 without credentials" "$out rc=$rc" \
	"Parsing metrics file $tmp/m0.prom"$'\n'"  FAILED: server returned HTTP status 401 Unauthorized: unauthorized rc=1"
out=$("$FT" push metrics --http.config.file="$tmp/http.yml" "$C" "$tmp/m0.prom" 2>&1)
rc=$?
check_eq "push metrics: --http.config.file credentials" "$out rc=$rc" \
	"Parsing metrics file $tmp/m0.prom"$'\n'"  SUCCESS: metrics file $tmp/m0.prom pushed to remote write. rc=0"
out=$("$FT" push metrics --header 'Authorization=Bearer secret' --header Content-Encoding=snappy "$C" "$tmp/m0.prom" 2>&1)
rc=$?
check_eq "push metrics: --header" "$out rc=$rc" \
	"Parsing metrics file $tmp/m0.prom"$'\n'"  SUCCESS: metrics file $tmp/m0.prom pushed to remote write. rc=0"
out=$("$FT" push metrics --protobuf_message io.prometheus.write.v2.Request --http.config.file="$tmp/http.yml" "$C" "$tmp/m0.prom" 2>&1)
rc=$?
check_has "push metrics: 2.0 without written-count headers is a failure" "$out rc=$rc" \
	"  FAILED: sent v2 request; got 2xx, but PRW 2.0 response header statistics indicate 0 samples, 0 histograms and 0 exemplars were accepted"
out=$("$FT" push metrics --protobuf_message bogus "$C" "$tmp/m0.prom" 2>&1)
rc=$?
check_eq "push metrics: an unknown --protobuf_message" "$out rc=$rc" \
	"  FAILED: invalid protobuf message \"bogus\", must be prometheus.WriteRequest or io.prometheus.write.v2.Request rc=1"
out=$("$FT" push metrics "$C/flaky" "$tmp/m0.prom" 2>&1)
rc=$?
check_eq "push metrics: a 503 is retried" "$out rc=$rc" \
	"Parsing metrics file $tmp/m0.prom"$'\n'"  SUCCESS: metrics file $tmp/m0.prom pushed to remote write. rc=0"
out=$("$FT" push metrics --label nokv "$C" 2>&1 </dev/null)
rc=$?
check_eq "push metrics: --label without =" "$out rc=$rc" "flinttool: error: expected KEY=VALUE got 'nokv', try --help rc=1"

out=$("$FT" query instant --time $((S + 50)) "http://127.0.0.1:$PP" 'untyped_metric or stdin_metric' 2>&1)
check_eq "pushed samples arrive in Prometheus" "$out" 'untyped_metric{exported_job="x", job="promtool"} => 42 @['$((S + 50))']
stdin_metric{a="1", env="test", team="x"} => 7 @['$((S + 50))']'

# ---- 2. queries, 4-way ----
# run TOOL ARGS... with SRV replaced by the server URL; normalised output
run() {
	local tool=$1 url=$2
	shift 2
	local args=("${@//SRV/$url}") o rc
	o=$("$tool" "${args[@]}" 2>&1)
	rc=$?
	printf '%s\nrc=%s' "$o" "$rc" | sed "s#$url#SERVER#g; s/^flinttool: error:/promtool: error:/"
}
# cmp4 MODE ARGS...: MODE 4: promtool and flinttool on both servers all equal;
# MODE 2: equal per server (2.42 and flint answer differently, see header)
cmp4() {
	local mode=$1
	shift
	local pa pf fa ff
	pa=$(run promtool "http://127.0.0.1:$PP" "$@")
	pf=$(run "$FT" "http://127.0.0.1:$PP" "$@")
	fa=$(run promtool "http://127.0.0.1:$FP" "$@")
	ff=$(run "$FT" "http://127.0.0.1:$FP" "$@")
	if [ "$pa" != "$pf" ]; then
		fail "$* (on prometheus)" "$(diff <(echo "$pa") <(echo "$pf") | head -10)"
	elif [ "$fa" != "$ff" ]; then
		fail "$* (on flint)" "$(diff <(echo "$fa") <(echo "$ff") | head -10)"
	elif [ "$mode" = 4 ] && [ "$pa" != "$fa" ]; then
		fail "$* (prometheus vs flint)" "$(diff <(echo "$pa") <(echo "$fa") | head -10)"
	elif [ "$(printf '%s' "$pa" | wc -l)" -lt 1 ] && [ "$pa" = "rc=0" ] && [ "${EMPTY_OK:-}" != 1 ]; then
		fail "$*" "no output at all"
	else
		ok "$*"
	fi
}
T=$((S + 50)).5 # off the sample grid
cmp4 4 query instant --time $T SRV '{__name__=~".+",__name__!~"up|scrape_.*"}'
cmp4 4 query instant -o json --time $T SRV '{__name__=~".+",__name__!~"up|scrape_.*"}'
cmp4 4 query instant --time $T SRV 'sum by (job) (http_requests_total)'
cmp4 4 query instant -o json --time $T SRV 'temp'
cmp4 4 query instant --time $T SRV 'scalar(sum(http_requests_total))'
cmp4 4 query instant -o json --time $T SRV 'scalar(sum(http_requests_total))'
cmp4 4 query instant -o json --time $T SRV '1e21'
cmp4 4 query instant --time $T SRV '-1.5e-9'
cmp4 4 query instant --time $T SRV 'stdin_metric'
cmp4 4 query instant --time $T SRV 'label_replace(vector(1), "a1", "x", "", "") + on() group_left label_replace(vector(1), "a", "y", "", "")'
cmp4 4 query instant --time $T SRV 'nonexistent'
cmp4 4 query instant -o json --time $T SRV 'nonexistent'
cmp4 4 query instant --time "$(date -u -d @$((S + 50)) +%Y-%m-%dT%H:%M:%S.250Z)" SRV 'time()'
cmp4 4 query instant --time $((S + 50))e0 SRV 'http_requests_total'
cmp4 4 query instant --time $T SRV 'sum(('
cmp4 4 query instant --time $T SRV 'rate(http_requests_total)'
cmp4 4 query range --start $((S - 1)).5 --end $((S + 60)).5 --step 15s SRV 'http_requests_total'
cmp4 4 query range -o json --start $((S - 1)).5 --end $((S + 60)).5 --step 15s SRV 'rate(http_requests_total[1m])'
cmp4 4 query range --start $((S - 1)).5 --end $((S + 60)).5 SRV 'temp'
cmp4 4 query range --start $((S - 1)).5 --end $((S + 60)).5 --step 500ms SRV 'count(req_latency_bucket)'
cmp4 4 query range --start $((S - 1)).5 --end $((S + 60)).5 --step 15s --header X-A=b SRV 'rpc_duration_seconds'
cmp4 4 query range --start 5 --end 1 SRV 'up'
cmp4 4 query range --start 5 --end zz SRV 'up'
cmp4 4 query range --start zz SRV 'up'
cmp4 4 query range --step=x SRV 'up'
cmp4 4 query series --match http_requests_total --match '{__name__=~"req.*"}' SRV
cmp4 4 query series -o json --match temp --start $((S - 100)) --end $((S + 100)) SRV
cmp4 4 query series --match 'up{' --start 1 --end 2 SRV
cmp4 4 query series --match http_requests_total --start zz SRV
cmp4 4 query series SRV
cmp4 4 query labels SRV code
cmp4 4 query labels -o json --match http_requests_total SRV method
cmp4 4 query labels --start $((S - 100)) --end $((S + 100)) SRV __name__
EMPTY_OK=1 cmp4 4 query labels SRV nonexistent_label
cmp4 4 query labels -o json SRV nonexistent_label
cmp4 2 query labels --match 'x{' SRV foo # 3.x says `invalid parameter "match[]": ...`
cmp4 4 query instant --time abc SRV up
cmp4 4 query instant -o yaml SRV up
cmp4 4 query instant SRV
cmp4 4 query instant --time 100 'http://a b' up
cmp4 4 query instant --time 100 SRV/nonexistent up
cmp4 4 query instant --time 100 http://127.0.0.1:1 up
cmp4 4 query nothing SRV
cmp4 4 query instant --bogus SRV up
out=$("$FT" query instant --http.config.file="$tmp/http.yml" --time 5 "http://u:p@127.0.0.1:$FP" up 2>&1)
rc=$?
check_eq "query: user info in the URL and --http.config.file" "$out rc=$rc" \
	"flinttool: error: Cannot set base auth in the server URL and use a http.config.file at the same time rc=1"

# ---- 3. canned answers ----
# cmp2 ARGS...: promtool and flinttool on the fake API
cmp2() {
	local a b
	a=$(run promtool "$C" "$@")
	b=$(run "$FT" "$C" "$@")
	if [ "$a" = "$b" ]; then ok "canned: $*"; else fail "canned: $*" "$(diff <(echo "$a") <(echo "$b") | head -10)"; fi
}
# want3 WANT ARGS...: flinttool prints 3.x's text (promtool 2.42 differs)
want3() {
	local want=$1
	shift
	check_eq "canned (3.x): $*" "$(run "$FT" "$C" "$@")" "$want"
}
for c in escapes matrix scalar scalar_small result_first empty_vector overloaded notfound teapot inconsistent \
	exec_error timeout_error bad_data needs_get redirect echo_params; do
	for o in promql json; do cmp2 query instant -o $o --time 5 SRV $c; done
done
cmp2 query range -o json --start 1 --end 100 SRV matrix
cmp2 query range --start 1 --end 100 --step 7s SRV echo_params
cmp2 query range --start 1 --end 100 --header X-Test=hi SRV echo_params
for o in promql json; do
	cmp2 query series -o $o --match x --match y SRV
	cmp2 query series -o $o --match error SRV
	for l in foo warned broken 'a b'; do cmp2 query labels -o $o SRV "$l"; done
done
want3 'm{a="1"} => NaN @[1.5]
m{a1="x", a="2"} => +Inf @[1435781451.781]
{z="1"} => -Inf @[0.001]
{} => 0.0000001 @[-1.5]
only => 1000000000000000000000 @[1000000000]
neg{b="-0"} => -0 @[12]
dup{k="second"} => 0.30000000000000004 @[1]
rc=0' query instant --time 5 SRV vector
want3 'query error: unexpected value type "string"
rc=1' query instant --time 5 SRV string
want3 'query error: error parsing sample value: strconv.ParseFloat: parsing "seven": invalid syntax
rc=1' query instant --time 5 SRV bad_scalar
want3 'query error: strconv.ParseFloat: parsing "seven": invalid syntax
rc=1' query instant --time 5 SRV bad_value
want3 'query error: client_error: client error: 403 (detail: no gets either)
rc=1' query instant --time 5 SRV forbidden_post
want3 $'\nrc=0' query series --match null SRV
want3 'null
rc=0' query labels -o json SRV null
check_has "canned: a body that is no JSON" "$(run "$FT" "$C" query instant --time 5 SRV garbage)" "query error: bad_response: "
out=$(run "$FT" "$C" query instant --http.config.file="$tmp/http.yml" --time 5 SRV echo_params)
check_has "query: --http.config.file credentials are sent" "$out" 'auth="Bearer secret"'
printf 'basic_auth: [\n' >"$tmp/bad-http.yml"
out=$(run "$FT" "$C" query instant --http.config.file="$tmp/bad-http.yml" --time 5 SRV echo_params)
check_has "query: a broken --http.config.file" "$out" "rc=1"

# ---- 4. query analyze ----
want_an="Bucket stats for each histogram series over time
------------------------------------------------
First the min, avg, and max number of populated buckets, followed by the total
number of buckets (only if different from the max number of populated buckets
which is typical for classic but not native histograms).

- req_latency_bucket{job=\"promtool\"} (classic): 3/3.000/3
- other_latency_bucket{job=\"promtool\", path=\"/a\"} (classic): 0/0.500/1/3

Aggregated bucket stats
-----------------------
Each line shows min/avg/max over the series above.

Classic histogram series (2 in total):
- min populated: 0/1.500/3
- avg populated: 0/1.500/3
- max populated: 1/2.000/3
- total: 3/3.000/3
rc=0"
for srv in prom:$PP flint:$FP; do
	out=$(run "$FT" "http://127.0.0.1:${srv#*:}" query analyze --server SRV --type histogram \
		--match req_latency_bucket --match 'other_latency_bucket' --match 'http_requests_total' --duration 2m --time $T)
	check_eq "query analyze on ${srv%%:*}" "$out" "$want_an"
done
out=$(run "$FT" "http://127.0.0.1:$FP" query analyze --server SRV --type summary --match x)
check_eq "query analyze --type summary" "$out" "analyze type is summary, must be 'histogram'
rc=1"
out=$(run "$FT" "http://127.0.0.1:$FP" query analyze --server SRV --type histogram)
check_eq "query analyze without --match" "$out" "promtool: error: required flag --match not provided, try --help
rc=1"
out=$(run "$FT" "http://127.0.0.1:$FP" query analyze --server SRV --type histogram --match 'x{' --time 5)
check_has "query analyze: a bad matcher" "$out" "bad_data: invalid parameter \"query\": "

finish
