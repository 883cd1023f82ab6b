#!/bin/bash
# t_erase_badmethods.sh - every malformed method file in tests/data/methods-bad
# gives exit 2 and a message naming the file, before anything else happens.
. "$(dirname "$0")/lib.sh"
dir=$SRCDIR/tests/data/methods-bad
ls "$dir"/* >/dev/null 2>&1 || skip "no tests/data/methods-bad yet"
printf 'keep me\n' >"$T/target"
n=0
for f in "$dir"/*; do
	"$DISPOSE" erase --method "$f" --yes --dry-run "$T/target" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 2 ] || die "$f: expected exit 2, got $rc"
	grep -q "$(basename "$f")" "$T/err" || die "$f: message does not name the file: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" -ge 1 ] || die "$f: no message"
	n=$((n + 1))
done
[ "$(cat "$T/target")" = "keep me" ] || die "target changed"
ok "$n malformed method files: exit 2, file named"
