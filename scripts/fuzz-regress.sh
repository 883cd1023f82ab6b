#!/bin/sh
# fuzz-regress.sh - run every libFuzzer target over its seed corpus and for a
# short random burst, so a parser crash fails `make check`.
set -e
for f in "$@"; do
	n=$(basename "$f")
	c=tests/fuzz/corpus/$n
	w=build/fuzz/corpus/$n
	mkdir -p "$c" "$w"
	"$f" -runs=3000 -max_len=65536 "$w" "$c" >"build/fuzz/$n.log" 2>&1 ||
		{ tail -30 "build/fuzz/$n.log"; echo "fuzz: $n: failed"; exit 1; }
	echo "fuzz: $n: ok ($(ls "$c" | wc -l) seeds + 3000 runs)"
done
