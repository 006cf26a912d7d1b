# web_common.bash - shared by the web e2e scripts (sourced, not run):
# counters, free loopback ports, bounded waits, starting flint and
# Debian's Prometheus 2.42 with a trap that kills everything started.
. "$(dirname "${BASH_SOURCE[0]}")/../paths.bash"
FLINT=$BUILD/flint
PY=/usr/bin/python3
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: ${2:-}"; }
# check NAME GOT WANT: equal strings
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got [$2] want [$3]"; fi; }
# check_has NAME TEXT NEEDLE: substring
check_has() { case "$2" in *"$3"*) ok "$1" ;; *) fail "$1" "[$(echo "$2" | head -c 400)] lacks [$3]" ;; esac; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" = 0 ]; }

tmp=$(mktemp -d /tmp/flint-e2e-web.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "${KEEP_TMP:-}" ] && { echo "kept $tmp"; return; }
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() { # url seconds
	local i
	for i in $(seq $(($2 * 10))); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1/-/ready")" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

need() { # command...: stop with one failure when a prerequisite is missing
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1 && [ ! -x "$c" ]; then
			echo "FAIL setup: $c not found (make deps; make build-asan)"
			echo "0 passed, 1 failed"
			exit 1
		fi
	done
}

# started_or_exit NAME PORT: bounded wait for /-/ready, else stop the script
started_or_exit() {
	if ! wait_ready "http://127.0.0.1:$2" 30; then
		fail "$1 starts" "$(tail -5 "$tmp/$1.log")"
		finish
		exit 1
	fi
}

# start_flint NAME PORT ARGS...: config in $tmp/NAME.yml (created if absent)
start_flint() {
	local name=$1 port=$2
	shift 2
	[ -f "$tmp/$name.yml" ] || printf 'global:\n  scrape_interval: 15s\n' >"$tmp/$name.yml"
	"$FLINT" --config.file="$tmp/$name.yml" --storage.tsdb.path="$tmp/$name-data" \
		--web.listen-address=127.0.0.1:"$port" "$@" >"$tmp/$name.log" 2>&1 &
	pids+=($!)
	started_or_exit "$name" "$port"
}

# start_prom NAME PORT CONFIG-FILE ARGS...
start_prom() {
	local name=$1 port=$2 cfg=$3
	shift 3
	prometheus --config.file="$cfg" --storage.tsdb.path="$tmp/$name-data" \
		--web.listen-address=127.0.0.1:"$port" "$@" >"$tmp/$name.log" 2>&1 &
	pids+=($!)
	started_or_exit "$name" "$port"
}

# http METHOD URL [curl args...]: prints "CODE BODY"
http() {
	local m=$1 u=$2
	shift 2
	curl -s -X "$m" -o "$tmp/body" -w '%{http_code}' "$@" "$u" >"$tmp/code"
	echo "$(cat "$tmp/code") $(cat "$tmp/body")"
}
