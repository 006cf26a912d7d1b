#!/usr/bin/env bash
# agent.sh - issue 18 "Agent mode": `flint --agent` against real peers.
#   1. flags and config sections of the wrong mode are refused as Debian's
#      Prometheus 2.42 refuses them (same message, same status), and
#      `flinttool check config --agent` answers as `promtool check config
#      --agent` (stdout, stderr, status);
#   2. flint --agent scrapes Debian's node_exporter and itself into its WAL;
#   3. the API answers as Prometheus 2.42's agent (--enable-feature=agent)
#      answers: the query, rules and TSDB routes with the same status and
#      body, /federate too; targets, status, /metrics, health still work;
#   4. the WAL is Prometheus's: `promtool tsdb dump` of a copy of the agent
#      directory shows the node_exporter series with their labels;
#   5. the WAL is truncated (tiny segments through the hidden test flag
#      --test.agent-wal-segment-size=32KiB, truncation every 2s through
#      Prometheus's hidden --storage.agent.wal-truncate-frequency): low
#      segments go, a checkpoint holds the live series, promtool still
#      reads it all;
#   6. a restart keeps the series and their refs (the replayed series count
#      is the count before the stop) and appends on, nothing out of order;
#   7. with --web.enable-remote-write-receiver the agent takes remote write
#      into its WAL, as Prometheus's agent does: Prometheus 2.42's agent,
#      reloaded with a scrape job and a remote_write to flint, forwards
#      node_exporter's series, and promtool finds them in flint's WAL.
#   8. flint's agent remote-writes to Debian's Prometheus 2.42 (receiver
#      enabled) from the start: node_exporter's series arrive, and for a
#      few series every sample Prometheus stored is the WAL's, none missing
#      up to the newest both have, across the truncations and the restart
#      (the queue resumes from its position); truncation never deletes a
#      segment before the queue has sent it (the earliest samples, read
#      back from the checkpoint, are in Prometheus).
# Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/web_common.bash"
. "$(dirname "$0")/scrape_common.bash"
FLINTTOOL=$BUILD/flinttool
need "$FLINT" "$FLINTTOOL" "$NODE_EXPORTER" prometheus promtool curl "$PY"

# ---- 1. the wrong mode's flags and config sections
# (bounded: a flint that wrongly starts must not hang the suite)
out=$(timeout 30 "$FLINT" --agent --storage.tsdb.path="$tmp/x" --web.listen-address=127.0.0.1:"$(free_port)" \
	--config.file=/dev/null 2>&1)
check_eq "server-only flag in agent mode: status 3" "$?" 3
want=$(timeout 30 prometheus --enable-feature=agent --storage.tsdb.path="$tmp/x" --config.file=/dev/null --web.listen-address=127.0.0.1:"$(free_port)" 2>&1 | grep -o 'The following.*')
check_eq "server-only flag in agent mode: Prometheus's message" "$out" "$want"
out=$(timeout 30 "$FLINT" --storage.agent.path="$tmp/x" --web.listen-address=127.0.0.1:"$(free_port)" \
	--config.file=/dev/null 2>&1)
check_eq "agent-only flag in server mode: status 3" "$?" 3
want=$(timeout 30 prometheus --storage.agent.path="$tmp/x" --config.file=/dev/null --web.listen-address=127.0.0.1:"$(free_port)" 2>&1 | grep -o 'The following.*')
check_eq "agent-only flag in server mode: Prometheus's message" "$out" "$want"
printf 'rule_files: ["r.yml"]\n' >"$tmp/rules.yml"
printf 'alerting: {alertmanagers: [{static_configs: [{targets: ["127.0.0.1:1"]}]}]}\n' >"$tmp/alerting.yml"
printf 'remote_read: [{url: "http://127.0.0.1:1/read"}]\n' >"$tmp/remote_read.yml"
for sec in rules alerting remote_read; do
	f=$tmp/$sec.yml
	timeout 30 "$FLINT" --agent --config.file="$f" --storage.agent.path="$tmp/refused" \
		--web.listen-address=127.0.0.1:"$(free_port)" >"$tmp/refused.log" 2>&1
	rc=$?
	check_eq "flint --agent refuses $sec: status 1" "$rc" 1
	name=$sec
	[ "$sec" = rules ] && name=rule_files
	check_has "flint --agent refuses $sec: message" "$(cat "$tmp/refused.log")" \
		"err=\"field $name is not allowed in agent mode\""
	(cd "$tmp" && promtool check config --agent "$sec.yml" >p.out 2>p.err; echo $? >p.rc)
	(cd "$tmp" && "$FLINTTOOL" check config --agent "$sec.yml" >f.out 2>f.err; echo $? >f.rc)
	check_eq "check config --agent $sec: as promtool" \
		"$(cat "$tmp/f.rc") $(cat "$tmp/f.out") $(cat "$tmp/f.err")" \
		"$(cat "$tmp/p.rc") $(cat "$tmp/p.out") $(cat "$tmp/p.err")"
done
(cd "$tmp" && "$FLINTTOOL" check config rules.yml >/dev/null 2>&1)
check_eq "without --agent rule_files are checked as usual (missing file)" "$?" 1

# ---- 2. scraping into the agent's WAL
NP=$(free_port)
start_node_exporter "$NP"
INST=127.0.0.1:$NP
FP=$(free_port)
F=http://127.0.0.1:$FP
cat >"$tmp/agent.yml" <<EOF
global:
  scrape_interval: 500ms
  scrape_timeout: 500ms
scrape_configs:
  - job_name: node
    static_configs: [{targets: ['$INST']}]
  - job_name: self
    static_configs: [{targets: ['127.0.0.1:$FP']}]
EOF
RP=$(free_port)
printf 'global:\n  scrape_interval: 1h\n' >"$tmp/receiver.yml"
prometheus --config.file="$tmp/receiver.yml" --storage.tsdb.path="$tmp/receiver-data" \
	--web.listen-address=127.0.0.1:"$RP" --web.enable-remote-write-receiver >"$tmp/receiver.log" 2>&1 &
pids+=($!)
started_or_exit receiver "$RP"
R=http://127.0.0.1:$RP
cat >>"$tmp/agent.yml" <<EOF
remote_write:
  - url: $R/api/v1/write
    queue_config: {batch_send_deadline: 1s}
EOF
AGENT_DIR=$tmp/agent-data
start_agent() { # log name
	"$FLINT" --agent --config.file="$tmp/agent.yml" --storage.agent.path="$AGENT_DIR" \
		--web.listen-address=127.0.0.1:"$FP" --test.agent-wal-segment-size=32KiB \
		--storage.agent.wal-truncate-frequency=2s --web.enable-remote-write-receiver >"$tmp/$1.log" 2>&1 &
	agent_pid=$!
	pids+=($agent_pid)
	started_or_exit "$1" "$FP"
}
start_agent agent
metric() { curl -s "$F/metrics" | awk -v m="$1" '$1 == m { print $2; exit }'; }
series_ge() { local v; v=$(metric prometheus_agent_active_series); [ -n "$v" ] && [ "$v" -ge "$1" ]; }
node_up() { targets "$F" | grep -q "^node|$INST|up|$"; }
if wait_for 30 node_up; then ok "node_exporter target up"; else fail "node_exporter target up" "$(targets "$F")"; fi
page=$(curl -s "http://$INST/metrics" | grep -vc '^#')
if wait_for 30 series_ge "$page"; then ok "agent tracks the page's series ($(metric prometheus_agent_active_series) >= $page)"
else fail "agent tracks the page's series" "$(metric prometheus_agent_active_series) < $page"; fi

# ---- 3. the API as Prometheus's agent answers it
PP=$(free_port)
printf 'global:\n  scrape_interval: 15s\n' >"$tmp/prom-agent.yml"
prometheus --enable-feature=agent --config.file="$tmp/prom-agent.yml" --storage.agent.path="$tmp/prom-agent-data" \
	--web.listen-address=127.0.0.1:"$PP" >"$tmp/prom-agent.log" 2>&1 &
prom_pid=$!
pids+=($prom_pid)
started_or_exit prom-agent "$PP"
P=http://127.0.0.1:$PP
for ep in "GET query?query=up" "POST query?query=up" "GET query_range?query=up&start=1&end=2&step=1" \
	"GET query_exemplars?query=up" "GET format_query?query=up" "GET series?match[]=up" "POST series?match[]=up" \
	"GET labels" "POST labels" "GET label/job/values" "GET rules" "GET alerts" "GET alertmanagers" \
	"GET status/tsdb" "POST admin/tsdb/snapshot" "PUT admin/tsdb/delete_series?match[]=up" \
	"POST admin/tsdb/clean_tombstones"; do
	m=${ep%% *} p=${ep#* }
	check_eq "$m /api/v1/${p%%\?*}: Prometheus agent's answer" "$(http "$m" "$F/api/v1/$p")" "$(http "$m" "$P/api/v1/$p")"
done
check_eq "/federate: Prometheus agent's answer" "$(http GET "$F/federate?match[]=up")" "$(http GET "$P/federate?match[]=up")"
for p in targets targets/metadata metadata scrape_pools status/config status/flags status/buildinfo \
	status/runtimeinfo status/walreplay; do
	got=$(http GET "$F/api/v1/$p")
	check_eq "GET /api/v1/$p works in agent mode" "${got%% *}" 200
done
for p in /-/healthy /-/ready /metrics; do check_eq "GET $p" "$(curl -s -o /dev/null -w '%{http_code}' "$F$p")" 200; done
check_has "/metrics has the agent's metrics" "$(curl -s "$F/metrics")" 'prometheus_agent_samples_appended_total{type="float"} '

# ---- 4. the WAL in Prometheus's format
# dump NAME: promtool tsdb dump of a copy of the agent directory into $tmp/NAME.dump
dump() {
	rm -rf "$tmp/copy" && cp -r "$AGENT_DIR" "$tmp/copy" && rm -f "$tmp/copy/lock"
	promtool tsdb dump "$tmp/copy" >"$tmp/$1.dump" 2>"$tmp/$1.dump.err"
}
dump first
check_has "promtool reads node_load1 from the WAL" "$(grep -m1 '^{__name__="node_load1"' "$tmp/first.dump")" \
	"{__name__=\"node_load1\", instance=\"$INST\", job=\"node\"} "
n_dumped=$(grep "job=\"node\"" "$tmp/first.dump" | sed 's/} .*/}/' | sort -u | wc -l)
if [ "$n_dumped" -ge "$page" ]; then ok "promtool reads every node series ($n_dumped)"; else fail "promtool reads every node series" "$n_dumped < $page"; fi

# ---- 5. truncation
trunc() { [ -n "$(ls -d "$AGENT_DIR"/wal/checkpoint.* 2>/dev/null)" ] && [ ! -e "$AGENT_DIR/wal/00000000" ]; }
if wait_for 90 trunc; then ok "low segments deleted, checkpoint written ($(ls "$AGENT_DIR/wal" | tr '\n' ' '))"
else fail "low segments deleted, checkpoint written" "$(ls "$AGENT_DIR/wal" | tr '\n' ' ')"; fi
v=$(metric prometheus_agent_checkpoint_creations_total)
if [ "${v:-0}" -ge 1 ] 2>/dev/null; then ok "prometheus_agent_checkpoint_creations_total $v"; else fail "checkpoint creations counted" "[$v]"; fi
check_eq "no checkpoint creation failed" "$(metric prometheus_agent_checkpoint_creations_failed_total)" 0
dump truncated
n_dumped=$(grep "job=\"node\"" "$tmp/truncated.dump" | sed 's/} .*/}/' | sort -u | wc -l)
if [ "$n_dumped" -ge "$page" ]; then ok "after truncation promtool reads every node series ($n_dumped)"
else fail "after truncation promtool reads every node series" "$n_dumped < $page $(head -3 "$tmp/truncated.dump.err")"; fi

# ---- 6. restart
before=$(metric prometheus_agent_active_series)
kill "$agent_pid"
for _ in $(seq 100); do kill -0 "$agent_pid" 2>/dev/null || break; sleep 0.1; done
wait "$agent_pid" 2>/dev/null
check_has "clean shutdown" "$(tail -1 "$tmp/agent.log")" "See you next time!"
last_before=$(ls "$AGENT_DIR/wal" | grep -v checkpoint | tail -1)
start_agent agent2
check_has "replay restores the series" "$(grep -m1 'Agent WAL storage started' "$tmp/agent2.log")" "series=$before"
check_has "replay read the checkpoint" "$(cat "$tmp/agent2.log")" 'msg="WAL checkpoint loaded"'
first_after=$(ls "$AGENT_DIR/wal" | grep -v checkpoint | tail -1)
if [ "$first_after" \> "$last_before" ]; then ok "writing goes on in a new segment ($first_after > $last_before)"
else fail "writing goes on in a new segment" "$first_after <= $last_before"; fi
appended() { local v; v=$(metric 'prometheus_agent_samples_appended_total{type="float"}'); [ "${v:-0}" -ge $((2 * page)) ]; }
if wait_for 30 appended; then ok "scrapes append after the restart"; else fail "scrapes append after the restart" "$(metric 'prometheus_agent_samples_appended_total{type="float"}')"; fi
check_eq "same series after the restart" "$(metric prometheus_agent_active_series)" "$before"
check_eq "nothing out of order after the restart" "$(metric prometheus_agent_out_of_order_samples_total)" 0
check_eq "no WAL corruption" "$(metric prometheus_agent_corruptions_total)" 0

# ---- 7. remote write into the agent
cat >"$tmp/prom-agent.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prom-node
    static_configs: [{targets: ['$INST']}]
remote_write:
  - url: $F/api/v1/write
    queue_config: {batch_send_deadline: 1s}
EOF
kill -HUP "$prom_pid"
forwarded() { dump forwarded && grep -q "^{__name__=\"node_load1\", instance=\"$INST\", job=\"prom-node\"} " "$tmp/forwarded.dump"; }
if wait_for 60 forwarded; then ok "Prometheus's agent remote-writes into flint's agent WAL"
else fail "Prometheus's agent remote-writes into flint's agent WAL" "$(grep -c prom-node "$tmp/forwarded.dump") $(tail -3 "$tmp/prom-agent.log")"; fi
n_fwd=$(grep "job=\"prom-node\"" "$tmp/forwarded.dump" | sed 's/} .*/}/' | sort -u | wc -l)
if [ "$n_fwd" -ge "$page" ]; then ok "every forwarded node series is in the WAL ($n_fwd)"; else fail "every forwarded node series is in the WAL" "$n_fwd < $page"; fi

# ---- 8. what arrived in Prometheus is the WAL's
# same_samples SELECTOR PREFIX: the receiver's samples of the one series
# SELECTOR names are the WAL's (dump lines starting with PREFIX) up to the
# newest both have, none missing; prints "ok N" or the difference
same_samples() {
	dump cmp || return 1
	curl -s "$R/api/v1/query" --data-urlencode "query=$1[1h]" >"$tmp/recv.json"
	"$PY" - "$tmp/recv.json" "$tmp/cmp.dump" "$2" <<'PYEOF2'
import json, sys
recv = json.load(open(sys.argv[1]))["data"]["result"]
if len(recv) != 1:
    print(f"receiver has {len(recv)} series"); sys.exit(1)
got = [(round(float(t) * 1000), float(v)) for t, v in recv[0]["values"]]
want = []
for line in open(sys.argv[2]):
    if line.startswith(sys.argv[3]):
        v, t = line.rsplit(" ", 2)[1:]
        want.append((int(t), float(v)))
want.sort()
newest = min(got[-1][0], want[-1][0]) if want else got[-1][0]
got = [s for s in got if s[0] <= newest]
want = [s for s in want if s[0] <= newest]
if got != want:
    missing = sorted(set(want) - set(got))[:3]; extra = sorted(set(got) - set(want))[:3]
    print(f"receiver {len(got)} samples, WAL {len(want)}; missing {missing} extra {extra}"); sys.exit(1)
print(f"ok {len(got)}")
PYEOF2
}
sleep 3 # one more batch_send_deadline
for m in node_load1 node_time_seconds scrape_duration_seconds; do
	sel="$m{instance=\"$INST\",job=\"node\"}"
	prefix="{__name__=\"$m\", instance=\"$INST\", job=\"node\"} "
	out=$(same_samples "$sel" "$prefix")
	case $out in
	"ok "*) n=${out#ok }
		if [ "$n" -ge 20 ]; then ok "$m: the receiver has the WAL's $n samples"; else fail "$m arrives" "only $n samples"; fi ;;
	*) fail "$m: the receiver has the WAL's samples" "$out" ;;
	esac
done
n_recv=$(curl -s "$R/api/v1/series" --data-urlencode "match[]={job=\"node\"}" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))')
if [ "$n_recv" -ge "$page" ]; then ok "every node series arrives ($n_recv)"; else fail "every node series arrives" "$n_recv < $page"; fi
check_has "the agent's /metrics has the sender's" "$(curl -s "$F/metrics")" "prometheus_remote_storage_samples_total"

finish
