#!/usr/bin/env bash
# bench_backfill.sh - blocks written by flint vs by Prometheus on the same
# data: `flinttool tsdb create-blocks-from openmetrics` against promtool
# 2.42's, one after the other, on
#   - the golden block-openmetrics input (18,697 samples, 51 series)
#   - a generated input (tests/conformance/gen_backfill.py; BENCH_BF_SERIES
#     series x BENCH_BF_SAMPLES samples at 15 s, several 2h blocks)
# Figures: bytes per sample in the blocks (all block files, and chunks
# alone), wall seconds and peak RSS (GNU time's max RSS) of the backfill,
# each with the ratio promtool/flint (>1: flint is better; bytes equal 1.00
# when the blocks are byte-identical, which backfill.sh checks).
set -u
BUILD=${BUILD:-build/rel}
. "$(dirname "$0")/../tests/paths.bash"
TOOL=$BUILD/flinttool
SERIES=${BENCH_BF_SERIES:-2000}
SAMPLES=${BENCH_BF_SAMPLES:-1440}
[ -x "$TOOL" ] || { echo "bench_backfill: $TOOL not built"; exit 1; }
command -v promtool >/dev/null || { echo "bench_backfill: promtool not installed (make deps)"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_backfill: /usr/bin/time not installed"; exit 1; }
tmp=$(mktemp -d /tmp/flint-bench-bf.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# run NAME CMD... -> sets secs, rss_kb; output dir is the last argument
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$tmp/$name.time" "$@" >/dev/null 2>"$tmp/$name.err" || {
		echo "   $name failed: $(head -3 "$tmp/$name.err")"
		return 1
	}
	read -r secs rss_kb <"$tmp/$name.time"
}

# sizes DIR -> bytes (all files), chunk_bytes, samples
sizes() {
	bytes=$(find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
	chunk_bytes=$(find "$1" -path '*/chunks/*' -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
	samples=$(cat "$1"/*/meta.json | grep -o '"numSamples": [0-9]*' | awk '{s += $2} END {print s + 0}')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

bench_input() {
	local label=$1 om=$2
	run flint "$TOOL" tsdb create-blocks-from openmetrics -q "$om" "$tmp/f" || return 1
	local fs=$secs fr=$rss_kb
	run prom promtool tsdb create-blocks-from openmetrics -q "$om" "$tmp/p" || return 1
	local ps=$secs pr=$rss_kb
	sizes "$tmp/f"
	local fb=$bytes fc=$chunk_bytes fn=$samples
	sizes "$tmp/p"
	local pb=$bytes pc=$chunk_bytes pn=$samples
	echo "   $label: $fn samples"
	printf '   %-28s %12s %12s %8s\n' figure flint promtool ratio
	local fbs pbs fcs pcs
	fbs=$(awk -v b="$fb" -v n="$fn" 'BEGIN { printf "%.4f", b / n }')
	pbs=$(awk -v b="$pb" -v n="$pn" 'BEGIN { printf "%.4f", b / n }')
	fcs=$(awk -v b="$fc" -v n="$fn" 'BEGIN { printf "%.4f", b / n }')
	pcs=$(awk -v b="$pc" -v n="$pn" 'BEGIN { printf "%.4f", b / n }')
	printf '   %-28s %12s %12s %8s\n' "block bytes/sample" "$fbs" "$pbs" "$(ratio "$pbs" "$fbs")"
	printf '   %-28s %12s %12s %8s\n' "chunk bytes/sample" "$fcs" "$pcs" "$(ratio "$pcs" "$fcs")"
	printf '   %-28s %12s %12s %8s\n' "backfill seconds" "$fs" "$ps" "$(ratio "$ps" "$fs")"
	printf '   %-28s %12s %12s %8s\n' "backfill peak RSS KiB" "$fr" "$pr" "$(ratio "$pr" "$fr")"
	rm -rf "$tmp/f" "$tmp/p"
}

bench_input "block-openmetrics" "$SHARED/conformance/tsdb/block-openmetrics/source.om.txt" || exit 1
python3 "$(dirname "$0")/../tests/conformance/gen_backfill.py" "$SERIES" "$SAMPLES" 15 11 >"$tmp/gen.om"
bench_input "generated ${SERIES}x${SAMPLES}" "$tmp/gen.om" || exit 1
