#!/usr/bin/env bash
# Runs every libFuzzer target of a FUZZ=ON build for a fixed time each,
# starting from its seed corpus (new inputs go to a scratch copy, so the
# committed corpus stays small).  Fails on the first finding.
#
#   scripts/fuzz.sh --build-dir build-fuzz [--seconds N] [--only NAME]
set -euo pipefail
bdir=build-fuzz seconds=60 only=""
while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) bdir=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--only) only=$2; shift ;;
	*) echo "usage: $0 --build-dir DIR [--seconds N] [--only NAME]" >&2; exit 2 ;;
	esac
	shift
done
list="$bdir/fuzz_targets.txt"
[ -s "$list" ] || { echo "fuzz.sh: $list missing: configure with -DFUZZ=ON" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
while read -r bin corpus; do
	[ -n "$bin" ] || continue
	name=$(basename "$bin")
	[ -z "$only" ] || [ "$only" = "$name" ] || continue
	mkdir -p "$work/$name"
	cp -r "$corpus"/. "$work/$name/"
	dict=""
	# A dictionary beside the corpus, named after the target or the corpus.
	up1=$(dirname "$corpus") up2=$(dirname "$(dirname "$corpus")")
	for d in "$up1/$name.dict" "$up1/${name#fuzz_}.dict" "$up2/$name.dict" \
	    "$up2/$(basename "$corpus").dict" "$up1/$(basename "$corpus").dict"; do
		[ -f "$d" ] && dict="-dict=$d" && break
	done
	echo "fuzz.sh: $name for ${seconds}s"
	(cd "$work" && "$bin" $dict -max_total_time="$seconds" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 "$work/$name" 2>&1 |
	    grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|ERROR|SUMMARY|BINGO' || true)
	if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >/dev/null 2>&1; then
		echo "fuzz.sh: $name found a problem:" >&2
		ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null >&2
		exit 1
	fi
done < "$list"
echo "fuzz.sh: no findings"
