#!/usr/bin/env bash
# rules_restore.sh - `for` state survives a restart (Prometheus's
# RestoreForState): an alert pending for about 8s of its `for: 60s` when
# flint stops is, after the restart, pending with its activeAt moved by
# the downtime (so it keeps the time it had already waited) instead of
# starting over; ALERTS_FOR_STATE carries activeAt across. A bad rule file
# on reload keeps the running rules and fails the reload; at start it
# stops flint with status 1.
# Prints `N passed, N failed`; exits non-zero on failure.
set -u
. "$(dirname "$0")/web_common.bash"
if [ ! -x "$FLINT" ]; then
	echo "FAIL setup: need $FLINT"
	echo "0 passed, 1 failed"
	exit 1
fi
FP=$(free_port)
F=http://127.0.0.1:$FP
cat >"$tmp/rules.yml" <<'EOF'
groups:
  - name: r
    interval: 1s
    rules:
      - alert: Slow
        expr: vector(1)
        for: 60s
EOF
printf 'global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n' >"$tmp/flint.yml"
start() {
	"$FLINT" --config.file="$tmp/flint.yml" --storage.tsdb.path="$tmp/data" --web.listen-address=127.0.0.1:$FP \
		--rules.alert.for-grace-period=1s --web.enable-lifecycle >>"$tmp/flint.log" 2>&1 &
	FPID=$!
	pids+=($FPID)
	wait_ready "$F" 60
}
# activeAt of the alert in Unix seconds, "none" while it is not pending
active_at() {
	curl -s "$F/api/v1/alerts" | "$PY" -c 'import json,sys,datetime
a = json.load(sys.stdin)["data"]["alerts"]
print(int(datetime.datetime.fromisoformat(a[0]["activeAt"].replace("Z", "+00:00")).timestamp()) if a else "none")'
}
if start; then ok flint_ready; else fail flint_ready "$(tail -3 "$tmp/flint.log")"; fi
a1=none
for _ in $(seq 100); do
	a1=$(active_at)
	[ "$a1" != none ] && break
	sleep 0.1
done
check_has pending_before "$(curl -s "$F/api/v1/alerts")" '"state":"pending"'
# ALERTS_FOR_STATE is written once the first start's restore ran (2nd evaluation)
got=none
for _ in $(seq 100); do
	got=$(curl -s -G --data-urlencode 'query=ALERTS_FOR_STATE{alertname="Slow"}' "$F/api/v1/query" |
		"$PY" -c 'import json,sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")')
	[ "$got" != none ] && break
	sleep 0.1
done
check_eq for_state_is_active_at "$got" "$a1"
sleep 7
kill "$FPID"
for _ in $(seq 100); do kill -0 "$FPID" 2>/dev/null || break; sleep 0.1; done
down=$(date +%s)
sleep 2
if start; then ok flint_restarted; else fail flint_restarted "$(tail -3 "$tmp/flint.log")"; fi
restart=$(date +%s)
# after the restart's restore (its second evaluation) activeAt is the old
# one moved by the downtime: about restart - 8s, far before the restart
a2=none
for _ in $(seq 60); do
	a2=$(active_at)
	[ "$a2" != none ] && [ "$a2" -lt $((restart - 4)) ] && break
	sleep 0.1
done
check_eq restored_active_at_before_restart "$([ "$a2" != none ] && [ "$a2" -lt $((restart - 4)) ] && echo yes || echo "no: $a2 (first $a1, down $down, restart $restart)")" yes
check_eq shifted_by_downtime "$([ "$a2" != none ] && [ "$a2" -gt "$a1" ] && echo yes || echo "no: $a2 <= $a1")" yes
check_has still_pending "$(curl -s "$F/api/v1/alerts")" '"state":"pending"'

# a broken rule file: the reload fails, the old rules stay
printf 'groups:\n  - name: r\n    rules:\n      - alert: Broken\n        expr: sum(\n' >"$tmp/rules.yml"
code=$(curl -s -o "$tmp/reload.out" -w '%{http_code}' -X POST "$F/-/reload")
check_eq reload_fails "$code" 500
check_has reload_names_file "$(cat "$tmp/reload.out")" "rules.yml"
check_has old_rules_kept "$(curl -s "$F/api/v1/rules")" '"name":"Slow"'
kill "$FPID"
for _ in $(seq 100); do kill -0 "$FPID" 2>/dev/null || break; sleep 0.1; done
# ... and at start flint refuses to run
"$FLINT" --config.file="$tmp/flint.yml" --storage.tsdb.path="$tmp/data2" --web.listen-address=127.0.0.1:$FP \
	>"$tmp/bad.log" 2>&1 &
BP=$!
pids+=($BP)
for _ in $(seq 300); do kill -0 "$BP" 2>/dev/null || break; sleep 0.1; done
wait "$BP"
rc=$?
check_eq bad_rules_at_start_exit_1 "$rc" 1
check_has bad_rules_at_start_logged "$(cat "$tmp/bad.log")" 'rules.yml'
if grep -q "ERROR: AddressSanitizer\|runtime error" "$tmp/flint.log" "$tmp/bad.log"; then fail no_sanitizer_report; else ok no_sanitizer_report; fi
finish
