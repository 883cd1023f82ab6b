#!/bin/bash
# t_archive_naming.sh - archive names say what they are (dispose-archive(5) "Names"):
# plain NAME.tar.zst, encrypted NAME.tar.zst.enc (+ .cms, volumes .00k), -o of the
# wrong kind refused; old names still verify; a wrong key is one line; a member
# file given instead of the archive gets a hint; a non-UTF-8 -o works.
. "$SRCDIR/tests/integration/lib.sh"
command -v openssl >/dev/null || skip "needs openssl"
D=$DISPOSE
S=$T/src K=$T/keys O=$T/out
mkdir -p "$S" "$K" "$O"
printf 'kept\n' > "$S/a.txt"
head -c 100000 /dev/urandom > "$S/b.bin"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/rec.key" \
	-out "$K/rec.crt" -days 30 -subj /CN=records 2>/dev/null || die "ec cert"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/esc.key" -out "$K/esc.crt" -days 30 \
	-subj /CN=escrow 2>/dev/null || die "rsa cert"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/other.key" \
	-out "$K/other.crt" -days 30 -subj /CN=other 2>/dev/null || die "other cert"
KC=(--key "$K/rec.key" --cert "$K/rec.crt")

# run CMD...: exit code in $rc, stdout in $T/o, stderr in $T/e
run() { "$@" >"$T/o" 2>"$T/e"; rc=$?; }
# one_line CODE LINE: the last run exited CODE and printed exactly LINE on stderr, nothing else
one_line() {
	[ "$rc" -eq "$1" ] || die "exit $rc, want $1: $(cat "$T/e")"
	[ "$(wc -l <"$T/e")" -eq 1 ] || die "want one stderr line, got: $(cat "$T/e")"
	[ "$(cat "$T/e")" = "$2" ] || die "stderr: $(cat "$T/e"); want: $2"
	[ ! -s "$T/o" ] || die "stdout not empty: $(cat "$T/o")"
}
# files DIR NAME...: DIR holds exactly these names
files() {
	local dir=$1; shift
	[ "$(ls -A "$dir" | sort)" = "$(printf '%s\n' "$@" | sort)" ] ||
		die "$dir holds: $(ls -A "$dir" | tr '\n' ' '); want: $*"
}

# 1. the rule: plain NAME.tar.zst, encrypted NAME.tar.zst.enc + .cms, each + .bag-info.txt
run $D archive create --run-dir "$T/r1" --root "$S" -o "$O/p.tar.zst"
[ $rc -eq 0 ] || die "plain create: exit $rc: $(cat "$T/e")"
A=$O/e.tar.zst.enc
run $D archive create --run-dir "$T/r2" --root "$S" --recipient "$K/rec.crt" \
	--recipient "$K/esc.crt" -o "$A"
[ $rc -eq 0 ] || die "encrypted create: exit $rc: $(cat "$T/e")"
files "$O" p.tar.zst p.tar.zst.bag-info.txt e.tar.zst.enc e.tar.zst.enc.cms \
	e.tar.zst.enc.bag-info.txt
grep -qx "bag: e, External-Identifier: .*" "$T/o" || die "bag name: $(cat "$T/o")"
grep -q -- "-in $A.cms -content $A " "$T/o" || die "recipe: $(cat "$T/o")"
mkdir "$T/x"
run $D archive extract "$A" -C "$T/x" "${KC[@]}"
[ $rc -eq 0 ] && cmp "$S/b.bin" "$T/x/e/data$S/b.bin" || die "extract into BAG e: exit $rc"
# both kinds of recipient info are matched by the key check: EC (kari) and RSA (ktri)
expect_exit 0 $D archive verify "$A" --key "$K/esc.key" --cert "$K/esc.crt"
ok "plain p.tar.zst, encrypted e.tar.zst.enc + .cms, bag e"

# 2. -o of the wrong kind: refused, one line naming the right name, nothing made
run $D archive create --run-dir "$T/r3" --root "$S" --recipient "$K/rec.crt" -o "$O/x.tar.zst"
one_line 2 "dispose: $O/x.tar.zst: an encrypted archive is named NAME.tar.zst.enc, never like a plain one: use -o $O/x.tar.zst.enc"
run $D archive create --run-dir "$T/r3" --root "$S" --recipient "$K/rec.crt" -o "$O/x"
one_line 2 "dispose: $O/x: an encrypted archive is named NAME.tar.zst.enc, never like a plain one: use -o $O/x.tar.zst.enc"
run $D archive create --run-dir "$T/r3" --root "$S" -o "$O/y.tar.zst.enc"
one_line 2 "dispose: $O/y.tar.zst.enc: .enc names an encrypted archive, and no --recipient was given: use -o $O/y.tar.zst"
run $D archive create --run-dir "$T/r3" --root "$S" -o "$O/y"
one_line 2 "dispose: $O/y: a plain archive is named NAME.tar.zst: use -o $O/y.tar.zst"
run $D archive create --run-dir "$T/r3" --root "$S" -o "$O/.tar.zst"
one_line 2 "dispose: $O/.tar.zst: an archive needs a name before .tar.zst"
[ ! -e "$T/r3" ] || die "a refused name left a run directory"
files "$O" p.tar.zst p.tar.zst.bag-info.txt e.tar.zst.enc e.tar.zst.enc.cms \
	e.tar.zst.enc.bag-info.txt
ok "-o of the wrong kind: exit 2, one line, nothing written"

# 3. a key that is not a recipient, or not the certificate's: one line, exit 2, nothing extracted
for sub in verify extract; do
	mkdir -p "$T/xb"
	if [ $sub = verify ]; then run $D archive verify "$A" --key "$K/other.key" --cert "$K/other.crt"
	else run $D archive extract "$A" -C "$T/xb" --key "$K/other.key" --cert "$K/other.crt"; fi
	one_line 2 "dispose: $K/other.key: not a key of $A: its envelope has 2 recipients, none with the certificate $K/other.crt"
	if [ $sub = verify ]; then run $D archive verify "$A" --key "$K/other.key" --cert "$K/rec.crt"
	else run $D archive extract "$A" -C "$T/xb" --key "$K/other.key" --cert "$K/rec.crt"; fi
	one_line 2 "dispose: $K/other.key: key does not match the certificate $K/rec.crt"
	[ -z "$(ls -A "$T/xb")" ] || die "wrong key: extract wrote something"
done
ok "wrong key: one line, exit 2"

# 4. a member file given instead of the archive: a hint naming the archive
for sub in verify extract; do
	for m in "$A.cms:the encrypted envelope" "$A.bag-info.txt:the plain copy of the bag-info.txt" \
		"$O/p.tar.zst.bag-info.txt:the plain copy of the bag-info.txt"; do
		f=${m%%:*} what=${m#*:} arc=${f%.cms}
		arc=${arc%.bag-info.txt}
		if [ $sub = verify ]; then run $D archive verify "$f" "${KC[@]}"
		else run $D archive extract "$f" -C "$T/xb" "${KC[@]}"; fi
		one_line 2 "dispose: $f: this is $what of archive $arc; pass $arc"
	done
done
ok "envelope or bag-info copy given: a hint"

# 5. volumes: NAME.tar.zst.enc.00k and .00k.cms; each gets the hint too
V=$O/v.tar.zst.enc
DISPOSE_TEST_ENV_VOLUME_MAX=32768 $D archive create --run-dir "$T/r4" --root "$S" \
	--recipient "$K/rec.crt" "${KC[@]}" -o "$V" >/dev/null 2>"$T/e" || die "volumes: $(cat "$T/e")"
if [ -e "$V.002" ]; then
	[ -e "$V.002.cms" ] && [ -e "$V.cms" ] || die "volume names"
	run $D archive verify "$V.002" "${KC[@]}"
	one_line 2 "dispose: $V.002: this is volume 2 of archive $V; pass $V"
	run $D archive verify "$V.002.cms" "${KC[@]}"
	one_line 2 "dispose: $V.002.cms: this is the envelope of volume 2 of archive $V; pass $V"
	expect_exit 0 $D archive verify "$V" "${KC[@]}"
	ok "volumes v.tar.zst.enc.002 (+ .cms), hints for both"
else
	echo "note: volumes not tested (DISPOSE_TEST_ENV_VOLUME_MAX needs a test build)"
fi

# 6. compat: archives named as before (NAME.tar.zst ciphertext + NAME.tar.zst.cms) still
# verify and extract, with the key check and its messages
mkdir "$T/old"
cp "$A" "$T/old/hr.tar.zst" && cp "$A.cms" "$T/old/hr.tar.zst.cms" || die "copy"
# DISPOSE_OLD: a dispose from before the .enc names (177db9f), when one is at hand; never
# guessed from a path on this machine, whose build may be of any commit
OLD=${DISPOSE_OLD:-}
if [ -n "$OLD" ] && [ -x "$OLD" ]; then
	"$OLD" archive create --run-dir "$T/r5" --root "$S" --recipient "$K/rec.crt" \
		-o "$T/old/base.tar.zst" >/dev/null 2>&1 || die "base build create"
	[ -f "$T/old/base.tar.zst.cms" ] || die "base build: no envelope"
	"$OLD" archive create --run-dir "$T/r6" --root "$S" -o "$T/old/plain" >/dev/null 2>&1 ||
		die "base build plain create"
fi
for f in "$T"/old/*.tar.zst; do
	expect_exit 0 $D archive verify "$f" "${KC[@]}"
	mkdir "$T/xo" && expect_exit 0 $D archive extract "$f" -C "$T/xo" "${KC[@]}" >/dev/null
	rm -rf "$T/xo"
	run $D archive verify "$f" --key "$K/other.key" --cert "$K/other.crt"
	[ $rc -eq 2 ] && [ "$(wc -l <"$T/e")" -eq 1 ] || die "old $f, wrong key: exit $rc: $(cat "$T/e")"
	run $D archive verify "$f.cms" "${KC[@]}"
	one_line 2 "dispose: $f.cms: this is the encrypted envelope of archive $f; pass $f"
done
[ -f "$T/old/plain" ] && { expect_exit 0 $D archive verify "$T/old/plain" >/dev/null; }
ok "archives named as before verify and extract"

# 7. a name that is not UTF-8: written, verified; the bag's name is UTF-8
N=$O/$(printf 'n\xffm').tar.zst
run $D archive create --run-dir "$T/r7" --root "$S" -o "$N"
[ $rc -eq 0 ] || die "non-UTF-8 -o: exit $rc: $(cat "$T/e")"
[ -f "$N" ] && [ -f "$N.bag-info.txt" ] || die "non-UTF-8 -o: files"
grep -qx "bag: n_m, External-Identifier: .*" "$T/o" || die "bag: $(cat "$T/o")"
expect_exit 0 $D archive verify "$N" >/dev/null
ok "non-UTF-8 -o"

# 8. an encrypted archive (.tar.zst.enc) whose envelope is gone: said so, not
# "not an archive of ours"; a plain archive an older version named .enc still verifies
mkdir "$T/ne" && cp "$A" "$T/ne/lost.tar.zst.enc"
for sub in verify extract; do
	if [ $sub = verify ]; then run $D archive verify "$T/ne/lost.tar.zst.enc" "${KC[@]}"
	else run $D archive extract "$T/ne/lost.tar.zst.enc" -C "$T/xb" "${KC[@]}"; fi
	one_line 2 "dispose: $T/ne/lost.tar.zst.enc: an encrypted archive without its envelope: $T/ne/lost.tar.zst.enc.cms is missing"
done
[ -z "$(ls -A "$T/xb")" ] || die "envelope missing: extract wrote something"
cp "$O/p.tar.zst" "$T/ne/plain.tar.zst.enc"
expect_exit 0 $D archive verify "$T/ne/plain.tar.zst.enc" >/dev/null
ok "an .enc archive without its envelope: one line saying so"

# 9. create's read-back key: one that is not its certificate's, or a certificate
# that is no recipient, is one line and exit 2 before anything is written
# (was: the whole archive written, read back, left as .failed, exit 3, three lines)
mkdir "$T/rk"
run $D archive create --run-dir "$T/rk/r1" --root "$S" --recipient "$K/rec.crt" \
	--key "$K/other.key" --cert "$K/rec.crt" -o "$T/rk/a.tar.zst.enc"
one_line 2 "dispose: $K/other.key: key does not match the certificate $K/rec.crt"
run $D archive create --run-dir "$T/rk/r1" --root "$S" --recipient "$K/rec.crt" \
	--key "$K/other.key" --cert "$K/other.crt" -o "$T/rk/a.tar.zst.enc"
one_line 2 "dispose: $K/other.crt: not one of the --recipient certificates: the read-back with --key $K/other.key could not open the archive"
[ -z "$(ls -A "$T/rk")" ] || die "a wrong read-back key left: $(ls "$T/rk")"
run $D archive create --run-dir "$T/rk/r2" --root "$S" --recipient "$K/esc.crt" \
	--recipient "$K/rec.crt" "${KC[@]}" -o "$T/rk/b.tar.zst.enc"
[ $rc -eq 0 ] || die "read-back key of the second recipient: exit $rc: $(cat "$T/e")"
ok "create: a wrong read-back key is one line, nothing written"
