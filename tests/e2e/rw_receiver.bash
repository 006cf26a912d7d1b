# rw_receiver.bash - sourced by remote_write_faults.sh and
# remote_write_reload.sh after web_common.bash and scrape_common.bash:
# starts rw_bad_receiver.py (its URL in B), picks flint's port (SP, S) and
# the quick queue settings both use (q).
"$PY" "$HERE/rw_bad_receiver.py" "$tmp/bad.port" >"$tmp/bad.log" 2>&1 &
pids+=($!)
wait_for 10 test -s "$tmp/bad.port" || { fail "bad receiver starts" "$(cat "$tmp/bad.log")"; finish; exit 1; }
B=http://127.0.0.1:$(cat "$tmp/bad.port")
SP=$(free_port)
S=http://127.0.0.1:$SP
q='min_backoff: 50ms, max_backoff: 500ms, batch_send_deadline: 500ms, capacity: 500, max_samples_per_send: 100'
