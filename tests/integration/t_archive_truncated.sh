#!/bin/bash
# t_archive_truncated.sh - an encrypted archive whose envelope is empty or cut
# short (in the CMS header, in the recipient infos, without the tag, short of
# the tag's last byte), or whose ciphertext is: verify and extract exit 3 with a
# message about the envelope (or the ciphertext), one line only, and extract
# writes nothing.
. "$SRCDIR/tests/integration/lib.sh"
command -v openssl >/dev/null || skip "needs openssl"
D=$DISPOSE
S=$T/src K=$T/keys
mkdir -p "$S" "$K"
head -c 100000 /dev/urandom > "$S/records.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/rec.key" \
	-out "$K/rec.crt" -days 30 -subj /CN=records 2>/dev/null || die "cert"
KC=(--key "$K/rec.key" --cert "$K/rec.crt")
A=$T/a.tar.zst.enc B=$T/b.tar.zst.enc
$D archive create --run-dir "$T/run" --root "$S" --recipient "$K/rec.crt" -o "$A" >/dev/null ||
	die "create"
esize=$(stat -c %s "$A.cms")
csize=$(stat -c %s "$A")

# B: verify exit 3, the message names WHAT, extract exit 3 and writes nothing
damaged() {
	local what=$1 rc
	$D archive verify "$B" "${KC[@]}" 2>"$T/err"; rc=$?
	cat "$T/err"
	[ $rc -eq 3 ] || die "$what: verify exit $rc, want 3"
	grep -q "$2" "$T/err" || die "$what: no message about it"
	# exactly one line: the reason, not it and a generic "decryption failed" too
	[ "$(wc -l <"$T/err")" -eq 1 ] || die "$what: verify said more than one line"
	grep -q 'not a pax/zstd archive\|not an archive of ours' "$T/err" && die "$what: called not ours"
	rm -rf "$T/x" && mkdir "$T/x"
	$D archive extract "$B" -C "$T/x" "${KC[@]}" 2>"$T/err"; rc=$?
	[ $rc -eq 3 ] || die "$what: extract exit $rc, want 3"
	grep -q "$2" "$T/err" && [ "$(wc -l <"$T/err")" -eq 1 ] ||
		die "$what: extract: want one line about it: $(cat "$T/err")"
	[ -z "$(ls -A "$T/x")" ] || die "$what: extract wrote something"
	ok "$what"
}

cp "$A" "$B"
: > "$B.cms"
damaged "empty envelope" "^dispose: $B.cms: envelope is empty$"
for cut in 1 3 12 $((esize / 2)) $((esize - 18)) $((esize - 1)); do
	head -c $cut "$A.cms" > "$B.cms"
	want="($cut of $esize bytes)"
	[ $cut -lt 4 ] && want="($cut byte.*, inside its first header)"
	damaged "envelope cut at $cut of $esize bytes" "^dispose: $B.cms: envelope truncated $want$"
done
cp "$A.cms" "$B.cms"
for cut in 0 $((csize / 2)) $((csize - 1)); do
	head -c $cut "$A" > "$B"
	damaged "ciphertext cut at $cut of $csize bytes" "^dispose: $B: authentication failed"
done
cp "$A" "$B"
expect_exit 0 $D archive verify "$B" "${KC[@]}"
ok "whole again: verifies"
