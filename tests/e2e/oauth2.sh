#!/usr/bin/env bash
# oauth2.sh - oauth2 (client credentials, issue 18) end to end: flint
# scrapes targets of oauth2_server.py on 127.0.0.1 that want a bearer token
# from its token endpoint:
#   - basic-client authenticates with HTTP basic auth; the token request
#     carries grant_type, the scopes and endpoint_params; a token that
#     lasts an hour is fetched once for many scrapes;
#   - param-client refuses basic auth: flint falls back to form parameters
#     (x/oauth2's auth-style probing), then keeps to them when its short
#     token is renewed;
#   - form-client answers in application/x-www-form-urlencoded, its secret
#     comes from a file re-read at each token request;
#   - a wrong secret leaves the target down with x/oauth2's error text in
#     /api/v1/targets;
#   - http_sd behind oauth2 finds its target.
# Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
. "$(dirname "$0")/scrape_common.bash"
need "$FLINT" curl "$PY"

"$PY" "$(dirname "$0")/oauth2_server.py" "$tmp/oauth.port" >"$tmp/oauth.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/oauth.port" ] && break; sleep 0.1; done
if [ ! -s "$tmp/oauth.port" ]; then
	fail "oauth2 server starts" "$(tail -5 "$tmp/oauth.log")"
	finish
	exit 1
fi
OP=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$tmp/oauth.port")
T=127.0.0.1:$OP
TOKEN=http://$T/token
echo s3 >"$tmp/form-secret"
cat >"$tmp/f.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: basic
    static_configs: [{targets: ['$T']}]
    oauth2:
      client_id: basic-client
      client_secret: s1
      token_url: $TOKEN
      scopes: [read, write]
      endpoint_params: {audience: flint}
  - job_name: params
    static_configs: [{targets: ['$T']}]
    oauth2: {client_id: param-client, client_secret: s2, token_url: '$TOKEN'}
  - job_name: form
    static_configs: [{targets: ['$T']}]
    oauth2: {client_id: form-client, client_secret_file: '$tmp/form-secret', token_url: '$TOKEN'}
  - job_name: bad
    static_configs: [{targets: ['$T']}]
    oauth2: {client_id: basic-client, client_secret: wrong, token_url: '$TOKEN'}
  - job_name: noauth
    static_configs: [{targets: ['$T']}]
  - job_name: sd
    http_sd_configs:
      - url: http://$T/sd
        refresh_interval: 1s
        oauth2: {client_id: basic-client, client_secret: s1, token_url: '$TOKEN'}
    oauth2: {client_id: basic-client, client_secret: s1, token_url: '$TOKEN'}
EOF
FP=$(free_port)
start_flint f "$FP"
URL=http://127.0.0.1:$FP

# job health via lastError, one line per target
targets() {
	curl -s "$URL/api/v1/targets" | "$PY" -c '
import json, sys
for t in json.load(sys.stdin)["data"]["activeTargets"]:
    print(t["labels"]["job"], t["health"], t["labels"].get("via", "-"), json.dumps(t["lastError"]))' | sort
}
# scrapes_up JOB: how many scrapes of JOB succeeded in the last minute
scrapes_up() { instant "$URL" "sum_over_time(up{job=\"$1\"}[1m])" | awk '{print $2}'; }
log_lines() { curl -s "http://$T/log"; }
all_up() { [ "$(targets | grep -cE '^(basic|params|form|sd) up ')" = 4 ]; }
bad_seen() { targets | grep -q '^bad down .*invalid_client'; }

if wait_for 60 all_up; then ok "oauth2 targets up (basic auth, form params, form answer, http_sd)"; else fail "oauth2 targets up" "$(targets)"; fi
wait_for 60 bad_seen
bad=$(targets | grep '^bad ')
check_has "wrong secret: target down" "$bad" "bad down"
check_has "wrong secret: x/oauth2's error" "$bad" 'oauth2: \"invalid_client\" \"bad secret\"'
check_has "no token: the target refuses" "$(targets | grep '^noauth ')" "noauth down"
check_has "http_sd behind oauth2 found its target" "$(targets | grep '^sd ')" "sd up sd"

# the token request
first=$(log_lines | grep '"read write"' | head -1)
check_has "token request: grant_type" "$first" '"grant_type": "client_credentials"'
check_has "token request: scopes joined by a space" "$first" '"scope": "read write"'
check_has "token request: endpoint_params" "$first" '"audience": "flint"'
check_has "token request: form content type" "$first" '"ctype": "application/x-www-form-urlencoded"'
check_has "token request: basic auth first" "$first" '"via": "basic", "client_id": "basic-client"'

# caching: basic's hour-long token serves many scrapes
four_up() { [ "$(scrapes_up basic)" -ge 4 ] 2>/dev/null; }
wait_for 60 four_up
n_up=$(scrapes_up basic)
n_tok=$(log_lines | grep -c '"read write"')
if [ "${n_up:-0}" -ge 4 ] && [ "$n_tok" = 1 ]; then ok "one token for $n_up scrapes"; else fail "token cached" "$n_tok token requests for ${n_up:-0} scrapes"; fi

# probing: param-client refused basic auth once, then form params only, also on renewal
renewed() { [ "$(log_lines | grep '"client_id": "param-client"' | grep -c '"via": "params"')" -ge 3 ]; }
if wait_for 60 renewed; then ok "short token renewed"; else fail "short token renewed" "$(log_lines | grep -c param-client) requests"; fi
n_basic=$(log_lines | grep '"client_id": "param-client"' | grep -c '"via": "basic"')
check_eq "auth style probed once, then kept" "$n_basic" 1
form_renew() { [ "$(log_lines | grep -c '"client_id": "form-client"')" -ge 2 ]; }
if wait_for 60 form_renew; then ok "form-encoded token answer used and renewed"; else fail "form answer renewed" "$(log_lines | grep -c form-client)"; fi
check_has "form target up" "$(targets | grep '^form ')" "form up"

# a changed client_secret_file: the next scrape fetches with it (a wrong one: down)
echo nope >"$tmp/form-secret"
form_down() { targets | grep -q '^form down .*invalid_client'; }
if wait_for 60 form_down; then ok "changed client_secret_file takes effect"; else fail "changed client_secret_file" "$(targets | grep '^form ')"; fi

# the config as Prometheus prints it, the secret hidden
cfg=$(curl -s "$URL/api/v1/status/config" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["data"]["yaml"])')
check_has "status/config: oauth2 block" "$cfg" "  oauth2:
    client_id: basic-client
    client_secret: <secret>
    scopes:
    - read
    - write
    token_url: $TOKEN
    endpoint_params:
      audience: flint
  tls_config:"
case $cfg in *'client_secret: s1'*) fail "status/config hides the secret" "s1 printed" ;; *) ok "status/config hides the secret" ;; esac
finish
