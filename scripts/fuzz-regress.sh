#!/bin/sh
# fuzz-regress.sh - run every libFuzzer target over its seed corpus and for a
# short burst of mutations, so a parser crash fails `make check`. The burst
# uses a fixed seed so CI is repeatable; `make fuzz` explores at random.
set -e
b=${B:-build}
# fontconfig/pango caches live as long as the process (tests/lsan.supp)
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
for f in "$@"; do
	n=$(basename "$f")
	c=tests/fuzz/corpus/$n
	w=$b/fuzz/corpus/$n
	mkdir -p "$c" "$w"
	# a target whose every run renders a whole PDF names a smaller burst in
	# tests/fuzz/NAME.runs (one number); `make fuzz` is where it explores
	runs=3000
	[ -r "tests/fuzz/$n.runs" ] && runs=$(cat "tests/fuzz/$n.runs")
	# a target whose accepted seed is larger names its bound in tests/fuzz/NAME.max_len
	max=65536
	[ -r "tests/fuzz/$n.max_len" ] && max=$(cat "tests/fuzz/$n.max_len")
	"$f" -seed=1 -artifact_prefix="$b/fuzz/" -runs="$runs" -max_len="$max" "$w" "$c" >"$b/fuzz/$n.log" 2>&1 ||
		{ tail -30 "$b/fuzz/$n.log"; echo "fuzz: $n: failed"; exit 1; }
	echo "fuzz: $n: ok ($(ls "$c" | wc -l) seeds + $runs runs)"
done
