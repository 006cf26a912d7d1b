#!/usr/bin/env bash
# remote_write_reload.sh - reloads of flint's remote-write sender
# (rw_bad_receiver.py on a free loopback port):
#   - a queue whose basic_auth password alone changes is restarted with the
#     new secret (the hash, which hides secrets, is the same): the receiver
#     answers 401 to the old password, 204 to the new one;
#   - removing a queue that cannot send (a 500 receiver, flush deadline 30 s)
#     does not hold the reload: it is stopped in the background;
#   - /api/v1/status/config never shows the passwords.
# Prints `N passed, N failed`; KEEP_TMP=1 keeps the temporary directory.
set -u
. "$(dirname "$0")/web_common.bash"
. "$(dirname "$0")/scrape_common.bash"
HERE=$(cd "$(dirname "$0")" && pwd)
need "$FLINT" curl

. "$HERE/rw_receiver.bash"
config() { # PASSWORD [with the e500 queue]
	cat >"$tmp/s.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
- job_name: self
  static_configs: [{targets: ['127.0.0.1:$SP']}]
remote_write:
- {url: "$B/auth", name: auth, basic_auth: {username: u, password: $1}, queue_config: {$q}}
EOF
	[ -z "${2:-}" ] || echo "- {url: \"$B/500\", name: e500, queue_config: {$q}}" >>"$tmp/s.yml"
}
config wrongpass e500
start_flint s "$SP" --web.enable-lifecycle --storage.remote.flush-deadline=30s
s_pid=${pids[-1]}

metric() { curl -s "$S/metrics" | awk -v n="$1" -v q="remote_name=\"$2\"" 'index($0, n "{") == 1 && index($0, q) { print $NF }'; }
gt0() { v=$(metric "$@"); [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v > 0) }'; }
if wait_for 60 gt0 prometheus_remote_storage_samples_failed_total auth; then ok "old password: 401, failed"; else fail "old password: 401, failed" "$(metric prometheus_remote_storage_samples_failed_total auth)"; fi
if wait_for 60 gt0 prometheus_remote_storage_samples_retried_total e500; then ok "e500: retried (pending)"; else fail "e500: retried (pending)" ""; fi
check_eq "no POST accepted yet" "$(curl -s "$B/count?path=/auth-ok")" 0

config good
t0=$(date +%s)
check_eq "reload: new password, e500 removed" "$(curl -s -o /dev/null -m 300 -w '%{http_code}' -XPOST "$S/-/reload")" 200
t1=$(date +%s)
# the flush deadline is 30 s; a reload waiting for it would take that long
check_eq "the reload did not wait for the removed queue's flush deadline ($((t1 - t0)) s)" "$(( t1 - t0 < 20 ))" 1
okc() { [ "$(curl -s "$B/count?path=/auth-ok")" -gt 0 ]; }
if wait_for 60 okc; then ok "new password: the receiver accepts"; else fail "new password: the receiver accepts" "$(tail -5 "$tmp/s.log")"; fi
check_eq "e500 queue gone from /metrics" "$(metric prometheus_remote_storage_shards e500)" ""
cfg=$(curl -s "$S/api/v1/status/config")
check_eq "status/config hides the password" "$(echo "$cfg" | grep -c 'good\|wrongpass')" 0
check_eq "no password in the log" "$(grep -c 'good\|wrongpass' "$tmp/s.log")" 0
kill "$s_pid"
wait_for 200 sh -c "! kill -0 $s_pid 2>/dev/null"
check_eq "no sanitizer report" "$(grep -c 'Sanitizer' "$tmp/s.log")" 0
finish
