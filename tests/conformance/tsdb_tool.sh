#!/usr/bin/env bash
# tsdb_tool.sh - `flinttool tsdb list|analyze|dump|dump-openmetrics|bench
# write` and `check service-discovery` against Debian's promtool 2.42 on
# copies of the golden Prometheus directories (../shared/conformance/tsdb)
# and on small configs made here (issue 19).
#
# flinttool follows promtool 3.x; where 2.42 differs the comparison says
# so (tsdb_tool_check.py computes what 2.42 cannot print from promtool's own
# dump and the block files):
#   - analyze: 2.42 prints "Series:", 3.x "Total Series:"; ties in a list
#     come out in Go map order (random), so lists compare as sets with
#     --limit large and as count sequences with small limits; the default
#     block is 3.x's (newest ULID time; 2.42: greatest minTime), so 2.42 is
#     given the block id; --match (3.x only) and 3.x's compaction
#     histograms (2.42 printed a "Fullness" bar chart) are checked against
#     expectations computed from promtool's dump and the chunk files;
#   - dump: 2.42 takes one --match (3.x repeats it: flint's repeated
#     --match equals the union of promtool's dumps) and no --format;
#     dump-openmetrics is 3.x only: its output is validated as OpenMetrics
#     by python3-prometheus-client and backfilled by both promtool and
#     flinttool into the same samples;
#   - check service-discovery: 2.42 prints an invalid target's
#     discoveredLabels as {} (3.x prints them); the order of target groups
#     is Go map order, so entries compare sorted.
# One line per case; last line `N passed, N failed`.
set -u
. "$(dirname "$0")/../paths.bash"
G=$SHARED/conformance/tsdb
TOOL=$BUILD/flinttool
CHECK="python3 $FLINT_ROOT/tests/conformance/tsdb_tool_check.py"
tmp=$(mktemp -d /tmp/flint-tsdbtool.XXXXXX)
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
bad() { echo "not ok $1: $2"; failed=$((failed + 1)); }
command -v promtool >/dev/null || { bad setup "promtool not installed (tests/deps.sh installs prometheus)"; echo "$passed passed, $failed failed"; exit 1; }
cd "$tmp" || exit 1

# Copies (promtool may write into a directory it reads); an empty wal/
# lets 2.42's dump open a directory of blocks alone.
copy() { rm -rf "$2"; cp -r "$1" "$2"; mkdir -p "$2/wal"; }
copy "$G/block-openmetrics/blocks" b
copy "$G/wal-with-checkpoint/data" w
copy "$G/wal-with-checkpoint/data-sigterm" ws
copy "$G/wal-checkpoint-restarts/data" r
copy "$G/wal-remote-write/data" rw

# same NAME CMD... : flinttool and promtool print the same stdout, exit 0.
same() {
	local name=$1
	shift
	promtool "$@" >p.out 2>p.err
	local p=$?
	"$TOOL" "$@" >f.out 2>f.err
	local f=$?
	if [ "$p$f" = 00 ] && cmp -s p.out f.out; then
		ok "$name"
	else
		bad "$name" "exit $f (promtool $p); $(diff p.out f.out | head -3 | tr '\n' ' ') $(head -c 200 f.err)"
	fi
}

# ---- tsdb list ----
for d in b w ws r rw; do
	same "list $d" tsdb list "$d"
	same "list -r $d" tsdb list -r "$d"
done

# a block whose meta.json does not parse is skipped, as promtool skips it
copy b bm
echo '{' >"bm/$(ls bm | grep -E '^01' | head -1)/meta.json"
same "list skips a block with a broken meta.json" tsdb list bm

# ---- tsdb analyze ----
# the header lines and the list titles of an analyze output
heads() { sed '/^$/q' "$1"; grep -E '^[A-Z][a-z ]+:$' "$1"; }
# newest ULID time per dir, and every block of it
blocks() { ls "$1" | grep -E '^[0-9A-HJKMNP-TV-Z]{26}$'; }
for d in b w r; do
	for id in $(blocks "$d"); do
		promtool tsdb analyze --limit=100000 "$d" "$id" >p.full 2>&1
		"$TOOL" tsdb analyze --limit=100000 "$d" "$id" >f.full 2>f.err
		fr=$?
		$CHECK analyze-canon p.full >p.c
		$CHECK analyze-canon f.full >f.c
		if [ "$fr" = 0 ] && [ -s p.c ] && cmp -s p.c f.c; then
			ok "analyze $d $id (all lines, ties as sets)"
		else
			bad "analyze $d $id" "$(diff p.c f.c | head -4 | tr '\n' ' ') $(head -c 200 f.err)"
		fi
		for lim in 20 3; do
			promtool tsdb analyze --limit=$lim "$d" "$id" >p.lim 2>&1
			"$TOOL" tsdb analyze --limit=$lim "$d" "$id" >f.lim 2>&1
			if $CHECK limited p.full p.lim $lim >/dev/null && $CHECK limited f.full f.lim $lim >c.out &&
				[ "$(heads p.lim | sed 's/^Series:/Total Series:/')" = "$(heads f.lim)" ]; then
				ok "analyze --limit=$lim $d $id"
			else
				bad "analyze --limit=$lim $d $id" "$(head -3 c.out | tr '\n' ' ')"
			fi
		done
		# 3.x's compaction analysis, from the chunk files
		"$TOOL" tsdb analyze --extended --limit=1 "$d" "$id" | sed -n '/^Compaction analysis:/,$p' >f.ext
		$CHECK compaction "$d/$id" | sed 1d >want.ext
		if [ -s want.ext ] && cmp -s want.ext f.ext; then
			ok "analyze --extended $d $id"
		else
			bad "analyze --extended $d $id" "$(diff want.ext f.ext | head -4 | tr '\n' ' ')"
		fi
	done
	# The default block: 3.x's LastBlockID (the newest ULID time).
	newest=$(blocks "$d" | sort | tail -1)
	"$TOOL" tsdb analyze "$d" >f.def 2>&1
	"$TOOL" tsdb analyze "$d" "$newest" >f.want 2>&1
	if cmp -s f.def f.want; then ok "analyze $d: default block $newest"; else bad "analyze $d default block" "$(head -1 f.def)"; fi
done
# --match (3.x): expected from promtool's dump of the block's time range.
analyze_match() {
	local d=$1 id=$2 sel=$3
	read -r mint maxt < <(python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['minTime'], m['maxTime']-1)" "$d/$id/meta.json")
	promtool tsdb dump --min-time="$mint" --max-time="$maxt" --match="$sel" "$d" >dm.txt 2>/dev/null
	$CHECK analyze-expect dm.txt "$d/$id/meta.json" "$sel" >want.c
	"$TOOL" tsdb analyze --limit=100000 --match="$sel" "$d" "$id" >f.m 2>f.err
	$CHECK analyze-canon f.m >f.c
	if [ -s dm.txt ] && [ -s want.c ] && cmp -s want.c f.c; then
		ok "analyze --match=$sel $d $id"
	else
		bad "analyze --match=$sel $d $id" "$(diff want.c f.c | head -4 | tr '\n' ' ') $(head -c 200 f.err)"
	fi
}
for id in $(blocks b); do
	analyze_match b "$id" '{__name__=~"label_edge.*|up",city!="x"}'
	analyze_match b "$id" '{job=~".+"}'
done
analyze_match w "$(blocks w | head -1)" '{shard=~"[0-3]"}'

# ---- tsdb dump ----
same "dump b --match" tsdb dump '--match={__name__=~"big.*|up"}' b
# repeated --match = the union of promtool's single-match dumps
promtool tsdb dump '--match={__name__="up"}' w >u1 2>/dev/null
promtool tsdb dump '--match={shard="3"}' w >u2 2>/dev/null
promtool tsdb dump '--match={__name__="up",job="x"}' b >u3 2>/dev/null
cat u1 u2 | LC_ALL=C sort -u >want.u
"$TOOL" tsdb dump '--match={__name__="up"}' '--match={shard="3"}' w | LC_ALL=C sort >got.u
if [ -s want.u ] && cmp -s want.u got.u; then ok "dump repeated --match ($(wc -l <got.u) lines)"; else bad "dump repeated --match" "$(wc -l <got.u) lines, want $(wc -l <want.u)"; fi
"$TOOL" tsdb dump '--match={__name__=~".+"}' '--match={shard=~".+"}' w >got.o
if cmp -s got.o <("$TOOL" tsdb dump w); then ok "dump overlapping --match: each series once, in order"; else bad "dump overlapping --match" "differs from the plain dump"; fi
# --format=seriesjson (3.x): one JSON object per series, from promtool's dump
promtool tsdb dump b >pd.txt 2>/dev/null
$CHECK seriesjson pd.txt >want.sj
"$TOOL" tsdb dump --format=seriesjson b | LC_ALL=C sort >got.sj
LC_ALL=C sort want.sj -o want.sj
if [ -s want.sj ] && cmp -s want.sj got.sj; then ok "dump --format=seriesjson ($(wc -l <got.sj) series)"; else bad "dump --format=seriesjson" "$(diff want.sj got.sj | head -3 | tr '\n' ' ')"; fi

# ---- tsdb dump-openmetrics ----
for d in b w; do
	"$TOOL" tsdb dump-openmetrics "$d" >x.om 2>f.err
	n=$($CHECK om-validate x.om 2>v.err)
	want=$("$TOOL" tsdb dump "$d" | wc -l)
	if [ "$(tail -1 x.om)" = "# EOF" ] && [ "$n" = "$want" ]; then
		ok "dump-openmetrics $d: valid OpenMetrics, $n samples"
	else
		bad "dump-openmetrics $d" "parsed '$n' samples, want $want: $(tail -1 v.err) $(head -c 200 f.err)"
	fi
	rm -rf om-f om-p
	"$TOOL" tsdb create-blocks-from openmetrics x.om om-f >/dev/null 2>&1 && mkdir -p om-f/wal
	promtool tsdb create-blocks-from openmetrics x.om om-p >/dev/null 2>&1 && mkdir -p om-p/wal
	promtool tsdb dump "$d" 2>/dev/null | LC_ALL=C sort >src.d
	"$TOOL" tsdb dump om-f 2>/dev/null | LC_ALL=C sort >f.d
	promtool tsdb dump om-p 2>/dev/null | LC_ALL=C sort >p.d
	if [ -s src.d ] && cmp -s src.d f.d; then ok "dump-openmetrics $d: flinttool backfills the same samples"; else bad "dump-openmetrics $d flint backfill" "$(diff src.d f.d | head -3 | tr '\n' ' ')"; fi
	if [ -s src.d ] && cmp -s src.d p.d; then ok "dump-openmetrics $d: promtool backfills the same samples"; else bad "dump-openmetrics $d promtool backfill" "$(diff src.d p.d | head -3 | tr '\n' ' ')"; fi
done
# create-blocks-from openmetrics --label (3.x): every series gets the labels
"$TOOL" tsdb dump-openmetrics b >x.om
rm -rf om-l
"$TOOL" tsdb create-blocks-from openmetrics --label=env=x --label=job=over x.om om-l >/dev/null 2>f.err && mkdir -p om-l/wal
promtool tsdb dump b 2>/dev/null >src.d
$CHECK set-labels src.d env=x job=over >want.l
"$TOOL" tsdb dump om-l 2>/dev/null | LC_ALL=C sort >got.l
if [ -s want.l ] && cmp -s want.l got.l; then ok "create-blocks-from openmetrics --label"; else bad "create-blocks-from --label" "$(diff want.l got.l | head -3 | tr '\n' ' ') $(head -c 200 f.err)"; fi
"$TOOL" tsdb dump-openmetrics '--match={__name__="up"}' --min-time=1700000000000 --max-time=1700003000000 b >x.om
if [ "$(grep -c '^up{' x.om)" -gt 0 ] && [ "$(grep -vc '^up{' x.om)" = 1 ]; then ok "dump-openmetrics --match --min-time --max-time"; else bad "dump-openmetrics flags" "$(head -3 x.om | tr '\n' ' ')"; fi

# ---- tsdb bench write ----
python3 -c '
for i in range(2500):
    print("{\"__name__\":\"m%d\",\"instance\":\"host-%d:9100\",\"job\":\"bench\",\"i\":\"%d\"}" % (i % 50, i % 7, i))' >series.json
promtool tsdb bench write --out=pb --metrics=1500 --scrapes=150 series.json >p.b 2>/dev/null
"$TOOL" tsdb bench write --out=fb --metrics=1500 --scrapes=150 series.json >f.b 2>f.err
shape() { sed -E 's/duration=[0-9.]+[a-zµ]+$/duration=D/; s/samples\/sec: .*/samples\/sec: R/' "$1"; }
if [ "$(shape p.b)" = "$(shape f.b)" ] && grep -q 'total samples: 300000$' f.b; then
	ok "bench write: promtool's stages and total (300000)"
else
	bad "bench write" "$(diff <(shape p.b) <(shape f.b) | head -4 | tr '\n' ' ') $(head -c 200 f.err)"
fi
n=$("$TOOL" tsdb dump fb/storage | wc -l)
if [ "$n" = 300000 ]; then ok "bench write: the db holds every sample"; else bad "bench write db" "$n samples dumped"; fi

# ---- check service-discovery ----
cat >targets.json <<'EOF'
[{"targets": ["10.0.0.1:9100", "10.0.0.2:9100"], "labels": {"env": "prod", "team": "a<b"}},
 {"targets": ["10.0.0.3:9100"], "labels": {"env": "dev"}}]
EOF
cat >targets2.yml <<'EOF'
- targets: ["10.1.0.1:80"]
  labels: {env: prod, __metrics_path__: /probe}
EOF
cat >sd.yml <<'EOF'
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: static
    static_configs:
      - targets: ["localhost:9090", "localhost:9091"]
        labels: {group: one}
      - targets: ["localhost:9092"]
  - job_name: files
    params: {module: [http_2xx], x: [a, b]}
    scrape_interval: 30s
    file_sd_configs:
      - files: [targets.json, "targets2*.yml"]
    relabel_configs:
      - source_labels: [env]
        regex: dev
        action: drop
      - source_labels: [__address__]
        target_label: addr
      - regex: team
        action: labeldrop
      - source_labels: [__meta_filepath]
        target_label: from
  - job_name: invalid
    static_configs:
      - targets: ["ok:80", "badtimeout:80"]
    relabel_configs:
      - source_labels: [__address__]
        regex: badtimeout.*
        target_label: __scrape_timeout__
        replacement: 1h
EOF
# http_sd from a loopback server (python's http.server sends .json as application/json)
mkdir -p www && cp targets.json www/sd.json
for try in 1 2 3; do
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	python3 -m http.server --bind 127.0.0.1 --directory www "$port" >/dev/null 2>&1 &
	srv=$!
	for i in $(seq 50); do curl -sf "http://127.0.0.1:$port/sd.json" >/dev/null && break; sleep 0.1; done
	curl -sf "http://127.0.0.1:$port/sd.json" >/dev/null && break
	kill "$srv" 2>/dev/null; srv=
done
cat >>sd.yml <<EOF
  - job_name: http
    http_sd_configs:
      - url: http://127.0.0.1:$port/sd.json
    relabel_configs:
      - source_labels: [__meta_url]
        target_label: url
EOF
for job in static files invalid http; do
	promtool check service-discovery --timeout=1s sd.yml "$job" >p.sd 2>/dev/null
	pr=$?
	"$TOOL" check service-discovery --timeout=1s sd.yml "$job" >f.sd 2>f.err
	fr=$?
	$CHECK sd-canon p.sd >p.c 2>&1
	$CHECK sd-canon f.sd v2 >f.c 2>&1
	if [ "$pr$fr" = 00 ] && grep -q discoveredLabels p.c && cmp -s p.c f.c && [ "$(tail -c 1 f.sd)" = "]" ]; then
		ok "check service-discovery $job ($(wc -l <f.c) targets)"
	else
		bad "check service-discovery $job" "exit $fr; $(diff p.c f.c | head -3 | tr '\n' ' ') $(head -c 200 f.err)"
	fi
done
[ -n "$srv" ] && kill "$srv" 2>/dev/null; srv=
"$TOOL" check service-discovery --timeout=1s sd.yml invalid >f.sd
if grep -q '"__scrape_timeout__": "10s"' f.sd && grep -q '"error": {}' f.sd; then ok "check service-discovery: an invalid target keeps its discovered labels (3.x)"; else bad "sd invalid 3.x" "$(head -c 300 f.sd)"; fi
promtool check service-discovery --timeout=1s sd.yml nope >p.sd 2>p.err
pr=$?
"$TOOL" check service-discovery --timeout=1s sd.yml nope >f.sd 2>f.err
fr=$?
if [ "$pr$fr" = 11 ] && cmp -s p.err f.err && [ ! -s f.sd ]; then ok "check service-discovery: unknown job"; else bad "sd unknown job" "exit $fr: $(head -c 200 f.err)"; fi
promtool check service-discovery --timeout=1s nope.yml static >p.sd 2>p.err
"$TOOL" check service-discovery --timeout=1s nope.yml static >f.sd 2>f.err
if [ $? = 1 ] && [ "$(sed 's/^promtool:/flinttool:/' p.err)" = "$(cat f.err)" ]; then ok "check service-discovery: missing config ($(cat f.err))"; else bad "sd missing config" "$(head -c 200 f.err)"; fi
printf 'scrape_configs:\n  - job_name: [\n' >broken.yml
"$TOOL" check service-discovery --timeout=1s broken.yml static >f.sd 2>f.err
if [ $? = 1 ] && [ "$(wc -l <f.err)" = 1 ] && grep -q '^Cannot load config ' f.err; then ok "check service-discovery: broken config"; else bad "sd broken config" "$(head -c 200 f.err)"; fi

# ---- bad input: one line on stderr, exit 1 ----
badin() {
	local name=$1
	shift
	"$TOOL" "$@" >/dev/null 2>err.txt
	local rc=$?
	if [ "$rc" = 1 ] && [ "$(wc -l <err.txt)" = 1 ]; then
		ok "bad input: $name ($(head -c 80 err.txt))"
	else
		bad "bad input: $name" "exit $rc: $(head -c 300 err.txt)"
	fi
}
badin "list missing dir" tsdb list nope
badin "analyze missing dir" tsdb analyze nope
badin "analyze bad block id" tsdb analyze b 01XXXXXXXXXXXXXXXXXXXXXXXX
badin "analyze no blocks" tsdb analyze rw
badin "analyze bad matcher" tsdb analyze '--match=up{' b
badin "analyze bad limit" tsdb analyze --limit=x b
badin "dump bad matcher" tsdb dump '--match=up{' b
badin "dump second bad matcher" tsdb dump '--match=up' '--match={a=~"("}' b
badin "dump bad format" tsdb dump --format=xml b
badin "dump-openmetrics missing dir" tsdb dump-openmetrics nope
badin "bench write missing file" tsdb bench write --out=fb2 nope.json
badin "bench write bad line" tsdb bench write --out=fb2 sd.yml
badin "create-blocks-from --label without =" tsdb create-blocks-from openmetrics --label=x x.om om-bad
badin "check service-discovery bad timeout" check service-discovery --timeout=x sd.yml static

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
