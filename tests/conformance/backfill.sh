#!/usr/bin/env bash
# backfill.sh - `flinttool tsdb create-blocks-from openmetrics` against
# promtool 2.42's (../shared/conformance/tsdb/README.md, block-openmetrics):
#  - on block-openmetrics/source.om.txt its blocks' index, chunks/000001 and
#    tombstones are byte-identical to the golden blocks and to a fresh
#    promtool run's, meta.json equal apart from ulid and sources;
#  - promtool's dump of flint's blocks equals expected-dump.txt, promtool
#    analyze reads them (its summary lines equal those for the golden
#    blocks; the top-N lists order ties at random, so they are not
#    compared), and flint's own dump equals it too;
#  - the printed block table matches promtool's (ULIDs aside);
#  - a generated multi-block input (gen_backfill.py) and
#    --max-block-duration give promtool's bytes too;
#  - bad input fails with exit 1 and promtool's message.
# Last line `N passed, N failed`.
set -u
. "$(dirname "$0")/../paths.bash"
G=$SHARED/conformance/tsdb/block-openmetrics
TOOL=$BUILD/flinttool
tmp=$(mktemp -d /tmp/flint-backfill.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "ok $1"; passed=$((passed + 1)); }
notok() { echo "not ok $1: $2"; failed=$((failed + 1)); }
have_promtool() { command -v promtool >/dev/null 2>&1; }

# Block directories of DIR in minTime order.
blocks_of() {
	for d in "$1"/*/; do
		[ -f "$d/meta.json" ] || continue
		printf '%s %s\n' "$(grep -m1 '"minTime"' "$d/meta.json" | tr -dc 0-9-)" "${d%/}"
	done | sort -n | awk '{print $2}'
}

# same_blocks NAME WANT_DIR GOT_DIR: byte-identical files, meta.json equal
# with every ULID replaced.
same_blocks() {
	local name=$1 want got why=""
	mapfile -t want < <(blocks_of "$2")
	mapfile -t got < <(blocks_of "$3")
	if [ "${#want[@]}" = 0 ] || [ "${#want[@]}" != "${#got[@]}" ]; then
		notok "$name" "${#got[@]} blocks, want ${#want[@]}"
		return
	fi
	for i in "${!want[@]}"; do
		for f in index chunks/000001 tombstones; do
			cmp -s "${want[$i]}/$f" "${got[$i]}/$f" || why="$why $(basename "${got[$i]}")/$f differs;"
		done
		[ -z "$(ls "${got[$i]}/chunks" | grep -v '^000001$')" ] || why="$why extra chunk segments;"
		diff <(sed -E 's/"[0-9A-HJKMNP-TV-Z]{26}"/"ULID"/' "${want[$i]}/meta.json") \
			<(sed -E 's/"[0-9A-HJKMNP-TV-Z]{26}"/"ULID"/' "${got[$i]}/meta.json") >/dev/null ||
			why="$why $(basename "${got[$i]}")/meta.json differs;"
	done
	if [ -z "$why" ]; then ok "$name (${#got[@]} blocks)"; else notok "$name" "$why"; fi
}

# 1. The golden blocks.
"$TOOL" tsdb create-blocks-from openmetrics "$G/source.om.txt" "$tmp/flint" >"$tmp/flint.table" 2>"$tmp/flint.err" ||
	notok golden-run "exit $?: $(head -3 "$tmp/flint.err")"
same_blocks golden-blocks "$G/blocks" "$tmp/flint"
[ -z "$(ls "$tmp/flint" | grep tmp-for-creation)" ] && ok no-tmp-dirs-left || notok no-tmp-dirs-left "$(ls "$tmp/flint")"

# 2. Dumps of flint's blocks: flint's and promtool's.
if "$TOOL" tsdb dump "$tmp/flint" 2>/dev/null | LC_ALL=C sort | cmp -s - "$G/expected-dump.txt"; then
	ok flint-dump-of-flint-blocks
else
	notok flint-dump-of-flint-blocks "differs from expected-dump.txt"
fi
if have_promtool; then
	cp -r "$tmp/flint" "$tmp/copy" && mkdir -p "$tmp/copy/wal"
	if promtool tsdb dump "$tmp/copy" 2>/dev/null | LC_ALL=C sort | cmp -s - "$G/expected-dump.txt"; then
		ok promtool-dump-of-flint-blocks
	else
		notok promtool-dump-of-flint-blocks "differs from expected-dump.txt"
	fi
	cp -r "$G/blocks" "$tmp/gcopy" && mkdir -p "$tmp/gcopy/wal"
	for b in $(blocks_of "$tmp/copy"); do
		gb=$(blocks_of "$tmp/gcopy" | sed -n "$(($(blocks_of "$tmp/copy" | grep -n "$b" | cut -d: -f1)))p")
		if promtool tsdb analyze "$tmp/copy" "$(basename "$b")" >"$tmp/a1" 2>&1 &&
			promtool tsdb analyze "$tmp/gcopy" "$(basename "$gb")" >"$tmp/a2" 2>&1 &&
			diff <(sed -n '2,6p' "$tmp/a1") <(sed -n '2,6p' "$tmp/a2") >/dev/null; then
			ok "promtool-analyze-$(basename "$b")"
		else
			notok "promtool-analyze-$(basename "$b")" "$(diff "$tmp/a1" "$tmp/a2" | head -3)"
		fi
	done
fi

# 3. A fresh promtool run on the same inputs, and its table.
# compare NAME OM [FLAGS...]
compare() {
	local name=$1 om=$2
	shift 2
	rm -rf "$tmp/p" "$tmp/f"
	promtool tsdb create-blocks-from openmetrics "$@" "$om" "$tmp/p" >"$tmp/p.table" 2>"$tmp/p.err"
	local prc=$?
	"$TOOL" tsdb create-blocks-from openmetrics "$@" "$om" "$tmp/f" >"$tmp/f.table" 2>"$tmp/f.err"
	local frc=$?
	if [ "$prc" != 0 ] || [ "$frc" != 0 ]; then
		notok "$name" "exit promtool $prc flint $frc: $(head -2 "$tmp/f.err")"
		return
	fi
	same_blocks "$name" "$tmp/p" "$tmp/f"
	if diff <(sed -E 's/^[0-9A-Z]{26} //' "$tmp/p.table" | sort) <(sed -E 's/^[0-9A-Z]{26} //' "$tmp/f.table" | sort) >/dev/null; then
		ok "$name-table"
	else
		notok "$name-table" "$(diff "$tmp/p.table" "$tmp/f.table" | head -4)"
	fi
}
if have_promtool; then
	compare promtool-golden-input "$G/source.om.txt"
	compare promtool-golden-input-human "$G/source.om.txt" -r
	python3 "$(dirname "$0")/gen_backfill.py" 300 1500 15 7 >"$tmp/gen.om"
	compare promtool-generated-multiblock "$tmp/gen.om"
	# flint's and promtool's dumps of these blocks hold exactly the input's samples
	cp -r "$tmp/p" "$tmp/pc" && mkdir -p "$tmp/pc/wal"
	for who in flint promtool; do
		if [ $who = flint ]; then "$TOOL" tsdb dump "$tmp/f"; else promtool tsdb dump "$tmp/pc"; fi 2>/dev/null |
			LC_ALL=C sort >"$tmp/gen.$who.dump"
		if python3 "$SHARED/conformance/tsdb/verify.py" om "$tmp/gen.om" "$tmp/gen.$who.dump" >"$tmp/verify.out" 2>&1; then
			ok "generated-$who-dump-equals-input"
		else
			notok "generated-$who-dump-equals-input" "$(head -3 "$tmp/verify.out")"
		fi
	done
	compare promtool-generated-max-6h "$tmp/gen.om" --max-block-duration=6h
	python3 "$(dirname "$0")/gen_backfill.py" 5 30000 1 3 >"$tmp/dense.om"
	compare promtool-dense-series "$tmp/dense.om" --quiet
fi

# 4. Bad input: exit 1 and promtool's message.
# bad NAME TEXT
bad() {
	local name=$1 text=$2
	printf '%b' "$text" >"$tmp/$name.om"
	rm -rf "$tmp/bo"
	"$TOOL" tsdb create-blocks-from openmetrics "$tmp/$name.om" "$tmp/bo" >/dev/null 2>"$tmp/$name.ferr"
	local frc=$?
	local want="exit 1"
	if have_promtool; then
		rm -rf "$tmp/bp"
		promtool tsdb create-blocks-from openmetrics "$tmp/$name.om" "$tmp/bp" >/dev/null 2>"$tmp/$name.perr"
		want="exit $?: $(cat "$tmp/$name.perr")"
	fi
	local got="exit $frc: $(cat "$tmp/$name.ferr")"
	[ "$frc" = 1 ] || got="$got (want exit 1)"
	if [ "$got" = "$want" ] || { ! have_promtool && [ "$frc" = 1 ]; }; then ok "bad-$name"; else notok "bad-$name" "got [$got], want [$want]"; fi
}
bad no-eof 'a{b="c"} 1 1\n'
bad no-timestamp 'a{b="c"} 1\n# EOF\n'
bad bad-value 'a{b="c"} x 1\n# EOF\n'
bad after-eof 'a 1 5\n# EOF\na 2 3\n'
bad duplicate-label 'a{b="c",b="d"} 1 5\n# EOF\n'

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
