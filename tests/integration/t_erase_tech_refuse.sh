#!/bin/bash
# t_erase_tech_refuse.sh - the technique checks refuse before anything is
# written (bytes hashed before and after, no run record): crypto-luks or
# sanitize on a file or tree is exit 5; sanitize-crypto on a loop device (no
# sanitize there) is exit 5 naming the device and why, and a second target
# of the same run is not written either; Purge asked of an overwrite is
# exit 5. auto on a loop device: --dry-run shows nist-clear and the reason.
# Usage errors (exit 2): --then with a method that is not an overwrite,
# --then without a crypto-luks target, --category other than clear|purge, an
# --inventory that cannot be read or is not an inventory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
a=$(mkloop 8) || die "mkloop"
b=$(mkloop 8) || die "mkloop"
fill_marker "$a" 8
fill_marker "$b" 8
mkdir -p "$T/tree/sub"
head -c 100000 /dev/urandom >"$T/f"
cp "$T/f" "$T/tree/sub/g"

hashes() { sha256sum "$a" "$b" "$T/f" "$T/tree/sub/g" | cut -d' ' -f1; }
before=$(hashes)
unchanged() { [ "$(hashes)" = "$before" ] && [ ! -e "$T/run" ] || die "$1: something was written"; }

# want RC WHAT ARGS...: exit RC, nothing written
want() {
	local rc=$1 what=$2
	shift 2
	"$DISPOSE" erase --yes --progress none --run-dir "$T/run" "$@" >"$T/out" 2>"$T/err"
	r=$?
	[ "$r" = "$rc" ] || die "$what: exit $r, want $rc: $(cat "$T/err")"
	unchanged "$what"
}

for m in crypto-luks sanitize-crypto sanitize-block; do
	for tgt in "$T/f" "$T/tree"; do
		for dry in "" --dry-run; do
			want 5 "$m on $tgt $dry" -m "$m" $dry "$tgt"
			grep -qx "dispose: $tgt: method $m (technique [a-z-]*) needs a block device, not a \(regular file\|directory tree\); nothing written" "$T/err" ||
				die "$m on $tgt: message: $(cat "$T/err")"
		done
	done
done
ok "crypto-luks and sanitize on a file or tree: exit 5, nothing written"

for dry in "" --dry-run; do
	want 5 "sanitize-crypto on a loop device $dry" -m sanitize-crypto $dry "$a"
	grep -q "^dispose: $a: ..*" "$T/err" || die "sanitize on $a: device not named: $(cat "$T/err")"
	grep -qi "sanitiz\|support\|loop" "$T/err" || die "sanitize on $a: no reason: $(cat "$T/err")"
	! grep -q "not available yet" "$T/err" || die "sanitize on $a: not wired: $(cat "$T/err")"
done
# one target failing its check: the other, fine, is not written either
want 5 "zero + sanitize-crypto" -m zero "$b" -m sanitize-crypto "$a"
grep -q "^dispose: $a: " "$T/err" || die "zero + sanitize: $(cat "$T/err")"
ok "sanitize-crypto on a loop device: exit 5 naming it; the run's other target untouched"

want 5 "purge asked of an overwrite" -m zero --category purge "$a"
grep -qx "dispose: $a: method zero overwrites: NIST Clear at most, Purge asked for; nothing written" "$T/err" ||
	die "purge of zero: $(cat "$T/err")"
ok "--category purge with an overwrite method: exit 5"

want 2 "--then crypto-luks" -m crypto-luks --then sanitize-block "$a"
grep -q "^dispose: --then: sanitize-block: not an overwrite method" "$T/err" || die "--then: $(cat "$T/err")"
want 2 "--then without crypto-luks" -m zero --then zero "$a"
grep -q "^dispose: --then: zero: no target's method is crypto-luks" "$T/err" || die "--then: $(cat "$T/err")"
want 2 "--category bad" --category medium "$a"
grep -q "^dispose: --category: medium: expected clear or purge" "$T/err" || die "--category: $(cat "$T/err")"
want 2 "--inventory missing" --inventory "$T/no-such-inventory.json" "$a"
grep -q "^dispose: $T/no-such-inventory.json: " "$T/err" || die "--inventory: $(cat "$T/err")"
echo '{"schema": "something-else"}' >"$T/inv.json"
want 2 "--inventory not an inventory" --inventory "$T/inv.json" "$a"
grep -q "^dispose: $T/inv.json: " "$T/err" || die "--inventory: $(cat "$T/err")"
ok "usage: --then not an overwrite, --then without crypto-luks, bad --category, bad --inventory: exit 2"

"$DISPOSE" erase --dry-run --progress none -m auto "$a" >"$T/out" 2>&1 || die "auto dry run: $(cat "$T/out")"
grep -q "^   method: auto chose nist-clear (" "$T/out" || die "auto dry run: $(cat "$T/out")"
grep -q "^   reason: ." "$T/out" || die "auto dry run: no reason: $(cat "$T/out")"
grep -q "^   technique: overwrite, category asked for: clear$" "$T/out" ||
	die "auto dry run: technique: $(cat "$T/out")"
"$DISPOSE" erase --dry-run --progress none -m auto "$T/f" >"$T/out" 2>&1 || die "auto file: $(cat "$T/out")"
grep -qx "   reason: a file: overwrite" "$T/out" || die "auto on a file: $(cat "$T/out")"
unchanged "auto dry runs"
ok "auto: --dry-run shows nist-clear and why (a loop device, a file)"
