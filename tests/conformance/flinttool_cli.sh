#!/usr/bin/env bash
# flinttool_cli.sh - flinttool's program (cmd/cli.c over the table in
# cmd/flinttool.c) side by side with Debian's promtool 2.42:
#  - --help lists every leaf command of the table (--help-long walks it
#    all, flags included) and `CMD --help` shows each command's flags,
#    among them every flag promtool 2.42 has for the same command;
#  - usage errors (unknown command/flag, missing argument or flag value,
#    repeated flag, no subcommand) print promtool's text, program name
#    aside, and both exit 1; help/--help/-h/`help CMD` print usage, exit 0;
#  - `check web-config` verdicts and exit codes equal promtool's;
#  - `debug metrics` against a running flint writes the same archive
#    listing and stdout as promtool's;
#  - commands promtool 2.42 lacks are pinned to promtool 3.x's source
#    (cmd/promtool/main.go): `check healthy/ready` against flint, Debian's
#    Prometheus, a closed port, a 404 and a basic-auth flint with and
#    without --http.config.file; `promql format` / `label-matchers` and
#    their --experimental gate.
# Runs under ASan (BUILD=build/asan). Prints `N passed, N failed`.
set -u
. "$(dirname "$0")/../e2e/web_common.bash"
FT=$BUILD/flinttool
need "$FT" "$FLINT" promtool prometheus curl openssl "$PY"
cd "$tmp" || exit 1

# run PROG ARGS...: "rc=<status>" then stdout and stderr merged, with the
# program name replaced by flinttool
run() {
	local prog=$1 out rc
	shift
	out=$("$prog" "$@" 2>&1 </dev/null)
	rc=$?
	printf 'rc=%s\n%s\n' "$rc" "${out//promtool/flinttool}"
}
same() { # NAME ARGS...: flinttool and promtool print the same and exit alike
	local name=$1
	shift
	check_eq "$name" "$(run "$FT" "$@")" "$(run promtool "$@")"
}

# --- the table in --help ---
leaves=$("$FT" --help-long | sed -n '/^Commands:/,$p' | grep -E '^[a-z]' | sed -E 's/ (\[|<|--).*//')
nleaves=$(printf '%s\n' "$leaves" | grep -c .)
check_eq "--help-long lists commands" "$([ "$nleaves" -ge 15 ] && echo ok || echo "$nleaves")" ok
help=$("$FT" --help)
missing=""
while IFS= read -r cmd; do
	grep -qE "^$cmd( |\$)" <<<"$help" || missing="$missing [$cmd]"
done <<<"$leaves"
check_eq "--help lists every command of the table" "$missing" ""
for cmd in "check config" "check rules" "check metrics" "check web-config" "check healthy" "check ready" \
	"test rules" "tsdb dump" "debug pprof" "debug metrics" "debug all" "promql format" \
	"promql label-matchers set" "promql label-matchers delete"; do
	grep -qE "^$cmd( |\$)" <<<"$help" || missing="$missing [$cmd]"
done
check_eq "--help lists this issue's commands" "$missing" ""
check_eq "--help exits 0" "$("$FT" --help >/dev/null 2>&1; echo $?)" 0

# each command's help shows its flags (those --help-long lists under it)
bad=""
while IFS= read -r cmd; do
	# shellcheck disable=SC2086
	h=$("$FT" $cmd --help 2>&1) || bad="$bad [$cmd: rc]"
	grep -q "^usage: flinttool $cmd" <<<"$h" || bad="$bad [$cmd: usage line]"
	flags=$("$FT" --help-long | awk -v c="$cmd" 'index($0, c) == 1 && (substr($0, length(c) + 1, 1) ~ /^( |)$/) { on = 1; next }
		on && /^[a-z]/ { on = 0 } on && /^    -/ { print $1 }' | sed -E 's/^-., //; s/=.*//')
	for f in $flags; do
		grep -qE -- "$f([= ]|\$)" <<<"$h" || bad="$bad [$cmd $f]"
	done
done <<<"$(grep -v '^help$' <<<"$leaves")"
check_eq "each command's --help shows its flags" "$bad" ""

# promtool 2.42's flags of the commands both have are in flinttool's help
bad=""
for cmd in "check config" "check rules" "check metrics" "check web-config" "test rules" "tsdb dump" \
	"debug metrics" "tsdb create-blocks-from openmetrics"; do
	pflags=$(promtool --help-long | awk -v c="$cmd" 'index($0, c) == 1 { on = 1; next }
		on && /^[a-z]/ { on = 0 } on && /^    -/ { print $1 }' | sed -E 's/^-., //; s/=.*//')
	# shellcheck disable=SC2086
	h=$("$FT" $cmd --help 2>&1)
	for f in $pflags; do
		grep -qE -- "$f([= ]|\$)" <<<"$h" || bad="$bad [$cmd $f]"
	done
done
check_eq "promtool's flags are flinttool's" "$bad" ""

# --- usage errors and help, as promtool (program name aside) ---
printf 'global:\n  scrape_interval: 15s\n' >good.yml
same "unknown command" x
same "unknown command before --help" x --help
same "unknown long flag" check config --bogus good.yml
same "unknown long flag wins over --help" check config --bogus --help
same "unknown short flag" check -x
same "lone dash" -
same "missing argument" check config
same "missing argument (test rules)" test rules
same "check config on /dev/null (an empty character device)" check config /dev/null
same "check config --lint=all on /dev/null" check config --lint=all /dev/null
check_has "check config on /dev/zero stops at the size limit" "$(run "$FT" check config /dev/zero)" "rc=1"
same "flag without its value" check config --lint
same "flag value is a flag" check config --lint --help
same "repeated flag" check config --lint-fatal --lint-fatal good.yml
same "repeated valued flag" check config --lint=all --lint=none good.yml
same "no subcommand" check
same "no subcommand (tsdb)" tsdb
same "no subcommand (two levels)" tsdb create-blocks-from
same "unexpected argument" tsdb create-blocks-from openmetrics a b c
same "bool flag given a value" check config --syntax-only=true good.yml
same "path does not exist" check config nonexistent.yml
same "help of an unknown command" help check x
same "help x" help x
same "-- ends flags" check config -- --x
same "--no-flag" check config --no-lint-fatal good.yml
same "--enable-feature unknown" --enable-feature=foo,bar check config good.yml
same "--enable-feature promoted" --enable-feature=promql-at-modifier check config good.yml
# kingpin's @file arguments
printf 'check\nconfig\n# a comment\ngood.yml\n' >args.txt
same "@file arguments" @args.txt
same "@file inside a command" check config @args.txt
same "@file after --" check config -- @args.txt
same "@file missing" @nonexistent.txt
same "@file a directory" @.
same "lone @" @
for args in "check config --help" "help check config" "check config -h" "help check config extra" \
	"tsdb dump --help" "help tsdb dump" "check web-config --help" "debug metrics -h"; do
	# shellcheck disable=SC2086
	p=$(run promtool $args | sed -n '1,3p')
	# shellcheck disable=SC2086
	f=$(run "$FT" $args | sed -n '1,3p')
	check_eq "help: $args (usage line)" "$f" "$p"
	# shellcheck disable=SC2086
	check_has "help: $args (Args)" "$("$FT" $args)" "Args:"
done
# kingpin's pre-actions (help command, --help-long, --version) run before a
# parse error is reported
for args in "help --bogus" "help -x" "help check config --lint" "help help" "help --version" "--help-long --bogus"; do
	# shellcheck disable=SC2086
	check_eq "pre-action: $args" "$(run "$FT" $args | sed -n '1,3p')" "$(run promtool $args | sed -n '1,3p')"
done
check_eq "no arguments: usage, exit 0" "$(run "$FT" | sed -n 1,2p)" "$(printf 'rc=0\nusage: flinttool [<flags>] <command> [<args> ...]')"
check_eq "check -h: Subcommands" "$("$FT" check -h | grep -c '^Subcommands:')" 1
check_has "--version" "$("$FT" --version)" "flinttool, version "
check_eq "--version exits 0" "$("$FT" --version >/dev/null; echo $?)" 0
check_eq "--help-long exits 0" "$("$FT" --help-long >/dev/null; echo $?)" 0

# --- check web-config: promtool's verdicts ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key -out server.crt -days 2 -subj /CN=localhost \
	>/dev/null 2>&1
hash=$("$PY" -c 'import crypt; print(crypt.crypt("secret", crypt.mksalt(crypt.METHOD_BLOWFISH)))' 2>/dev/null)
printf '{}\n' >w-empty.yml
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >w-tls.yml
printf 'tls_server_config:\n  cert_file: server.crt\n' >w-nokey.yml
printf 'basic_auth_users:\n  alice: %s\n' "$hash" >w-users.yml
printf 'bogus_field: 1\n' >w-unknown.yml
printf 'tls_server_config: [\n' >w-yaml.yml
printf 'tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n' >w-missing.yml
printf 'http_server_config:\n  headers:\n    Content-Security-Policy: b\n' >w-headers.yml
verdicts() { # PROG FILE...: "file VERDICT" lines and the exit status
	"$@" 2>&1 | sed -nE 's/^(\S+) (SUCCESS|FAILED).*/\1 \2/p'
	echo "rc=${PIPESTATUS[0]}"
}
for f in w-empty.yml w-tls.yml w-nokey.yml w-users.yml w-unknown.yml w-yaml.yml w-missing.yml w-headers.yml; do
	check_eq "web-config $f" "$(verdicts "$FT" check web-config "$f")" "$(verdicts promtool check web-config "$f")"
done
# exporter-toolkit's checks beyond loading (web/webconfig_validate.c): the
# same verdict AND message as promtool
wc() { printf "$2" >"$1.yml"; same "web-config message $1" check web-config "$1.yml"; }
T='tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n'
H=abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefgh
wc x-min "${T}  min_version: TLS99\n"
wc x-max "${T}  max_version: TLS1\n"
wc x-ciphers "${T}  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"
wc x-auth "${T}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: server.crt\n"
wc x-badauth "${T}  client_auth_type: Foo\n"
wc x-ca-nopolicy "${T}  client_ca_file: server.crt\n"
wc x-authonly 'tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n'
wc x-switched 'tls_server_config:\n  cert_file: server.key\n  key_file: server.crt\n'
wc x-certaskey 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.crt\n'
wc x-hash-short 'basic_auth_users:\n  a: notahash\n'
wc x-hash-prefix "basic_auth_users:\n  a: x2y\$10\$$H\n"
wc x-hash-version "basic_auth_users:\n  a: \$3y\$10\$$H\n"
wc x-hash-cost "basic_auth_users:\n  a: \$2y\$99\$$H\n"
wc x-header 'http_server_config:\n  headers:\n    Set-Cookie: a\n'
wc x-header-value 'http_server_config:\n  headers:\n    X-Frame-Options: allow\n'
wc x-header-ok 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n'
check_eq "web-config several files" "$(verdicts "$FT" check web-config w-empty.yml w-nokey.yml w-tls.yml)" \
	"$(verdicts promtool check web-config w-empty.yml w-nokey.yml w-tls.yml)"
same "web-config missing file" check web-config w-empty.yml nonexistent.yml
same "web-config no file" check web-config

# --- servers: flint, Debian's Prometheus, a basic-auth flint ---
FP=$(free_port)
start_flint flint "$FP"
PP=$(free_port)
start_prom prom "$PP" good.yml
AP=$(free_port)
printf 'basic_auth_users:\n  alice: %s\n' "$hash" >auth-web.yml
"$FLINT" --config.file=good.yml --storage.tsdb.path="$tmp/auth-data" --web.listen-address=127.0.0.1:"$AP" \
	--web.config.file=auth-web.yml >"$tmp/auth.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AP/-/ready")" = 401 ] && break
	sleep 0.1
done
CP=$(free_port) # nothing listens there

for ep in healthy ready; do
	for srv in "flint:$FP" "prometheus:$PP"; do
		body=$(curl -s "http://127.0.0.1:${srv#*:}/-/$ep")
		check_eq "check $ep on ${srv%%:*}" "$(run "$FT" check "$ep" --url="http://127.0.0.1:${srv#*:}")" \
			"$(printf 'rc=0\n  SUCCESS:  %s' "$body")"
	done
	check_eq "check $ep with a trailing slash" "$(run "$FT" check "$ep" --url="http://127.0.0.1:$FP/" | head -1)" rc=0
	check_eq "check $ep on a closed port" "$(run "$FT" check "$ep" --url="http://127.0.0.1:$CP")" \
		"$(printf 'rc=1\nGet "http://127.0.0.1:%s/-/%s": dial tcp 127.0.0.1:%s: connect: connection refused' "$CP" "$ep" "$CP")"
	check_eq "check $ep on a 404" "$(run "$FT" check "$ep" --url="http://127.0.0.1:$FP/nothing")" \
		"$(printf 'rc=1\ncheck failed: URL=http://127.0.0.1:%s/nothing, status=404' "$FP")"
	check_eq "check $ep without credentials" "$(run "$FT" check "$ep" --url="http://127.0.0.1:$AP")" \
		"$(printf 'rc=1\ncheck failed: URL=http://127.0.0.1:%s, status=401' "$AP")"
done
printf 'basic_auth:\n  username: alice\n  password: secret\n' >client.yml
check_eq "--http.config.file basic auth" "$(run "$FT" --http.config.file=client.yml check healthy --url="http://127.0.0.1:$AP")" \
	"$(printf 'rc=0\n  SUCCESS:  %s' "$(curl -s -u alice:secret "http://127.0.0.1:$AP/-/healthy")")"
check_eq "credentials in the URL" "$(run "$FT" check healthy --url="http://alice:secret@127.0.0.1:$AP" | head -1)" rc=0
check_eq "credentials in the URL and --http.config.file" "$(run "$FT" --http.config.file=client.yml check healthy --url="http://alice:secret@127.0.0.1:$AP")" \
	"$(printf 'rc=1\nflinttool: error: Cannot set base auth in the server URL and use a http.config.file at the same time')"
printf 'basic_auth:\n  username: alice\n  password: wrong\n' >client-bad.yml
check_eq "--http.config.file wrong password" "$(run "$FT" check healthy --http.config.file=client-bad.yml --url="http://127.0.0.1:$AP" | head -1)" rc=1
printf 'bogus: 1\n' >client-unknown.yml
check_has "--http.config.file unknown field" "$(run "$FT" --http.config.file=client-unknown.yml check healthy --url="http://127.0.0.1:$FP")" "Failed to load HTTP config file: "
check_has "--http.config.file missing" "$(run "$FT" --http.config.file=nonexistent.yml check ready --url="http://127.0.0.1:$FP")" "rc=1"

# --- debug: promtool's archive of flint's /metrics ---
mkdir -p dp df
(cd dp && promtool debug metrics "http://127.0.0.1:$FP" >out 2>&1; echo "rc=$?" >>out)
(cd df && "$FT" debug metrics "http://127.0.0.1:$FP" >out 2>&1; echo "rc=$?" >>out)
check_eq "debug metrics output" "$(cat df/out)" "$(cat dp/out)"
check_eq "debug metrics archive" "$(tar -tvzf df/debug.tar.gz 2>&1 | awk '{print $1, $6}')" \
	"$(tar -tvzf dp/debug.tar.gz 2>&1 | awk '{print $1, $6}')"
check_has "debug metrics content" "$(tar -xOzf df/debug.tar.gz metrics.txt)" "# TYPE "
mkdir -p da
(cd da && "$FT" debug all "http://127.0.0.1:$FP" >out 2>&1; echo "rc=$?" >>out)
check_eq "debug all files" "$(tar -tzf da/debug.tar.gz | sort | tr '\n' ' ')" \
	"buildinfo.json config.json flags.json metrics.txt runtimeinfo.json tsdb.json walreplay.json "
check_has "debug all status answers" "$(tar -xOzf da/debug.tar.gz buildinfo.json)" '"status":"success"'
check_eq "debug all exit" "$(tail -1 da/out)" rc=0
mkdir -p dc
check_eq "debug on a closed port" "$(cd dc && run "$FT" debug pprof "http://127.0.0.1:$CP" | sed -n '1,2p;3s/: Get.*/: Get/p')" \
	"$(printf 'rc=1\ncollecting: http://127.0.0.1:%s/api/v1/status/buildinfo\nerror completing debug command: error executing HTTP request: Get' "$CP")"

# --- promql (promtool 3.x; 2.42 has none): --experimental, format, label-matchers ---
check_eq "promql needs --experimental" "$(run "$FT" promql format up)" \
	"$(printf 'rc=1\nThis command is experimental and requires the --experimental flag to be set.')"
pq() { run "$FT" --experimental promql "$@"; }
check_eq "promql format short" "$(pq format 'sum(rate(x{b="1",a="2"}[5m]))by(job)')" \
	"$(printf 'rc=0\nsum by (job) (rate(x{a="2",b="1"}[5m]))')"
want='rc=0
    sum by (job) (rate(http_requests_total{code=~"5..",job="api"}[5m]))
  /
    sum by (job) (rate(http_requests_total{job="api"}[5m]))
>
  0.05'
check_eq "promql format long" "$(pq format 'sum by (job) (rate(http_requests_total{job="api", code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total{job="api"}[5m])) > 0.05')" "$want"
check_eq "promql format parse error" "$(pq format 'foo{')" "$(printf 'rc=1\n1:5: parse error: unexpected end of input inside braces')"
check_eq "label-matchers set (replace and add)" "$(pq label-matchers set 'foo{a="1"} + bar' a 2)" \
	"$(printf 'rc=0\nfoo{a="2"} + bar{a="2"}')"
check_eq "label-matchers set -t =~" "$(pq label-matchers set -t '=~' 'rate(foo[5m])' job 'a.*')" \
	"$(printf 'rc=0\nrate(foo{job=~"a.*"}[5m])')"
check_eq "label-matchers set --type=!=" "$(pq label-matchers set --type='!=' 'foo' job x)" \
	"$(printf 'rc=0\nfoo{job!="x"}')"
check_eq "label-matchers set bad type" "$(pq label-matchers set -t '<' 'foo' a b)" \
	"$(printf "rc=1\nflinttool: error: enum value must be one of =,!=,=~,!~, got '<', try --help")"
check_eq "label-matchers delete" "$(pq label-matchers delete 'foo{a="1",b="2"} / on(a) bar{a="3"}' a)" \
	"$(printf 'rc=0\nfoo{b="2"} / on (a) bar')"
check_eq "label-matchers delete missing arg" "$(pq label-matchers delete foo)" \
	"$(printf "rc=1\nflinttool: error: required argument 'name' not provided, try --help")"
check_eq "label-matchers needs a subcommand" "$(pq label-matchers)" \
	"$(printf "rc=1\nflinttool: error: must select a subcommand of 'promql label-matchers', try --help")"

finish
