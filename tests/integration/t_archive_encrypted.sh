#!/bin/bash
# t_archive_encrypted.sh - archives encrypted to recipients: read-back, verify,
# extract, the stock openssl|zstd|bsdtar recipe, and every way to break them.
. "$SRCDIR/tests/integration/lib.sh"
command -v setfattr >/dev/null && command -v setfacl >/dev/null || skip "needs attr and acl"
command -v openssl >/dev/null && command -v bsdtar >/dev/null && command -v zstd >/dev/null ||
	skip "needs openssl, bsdtar, zstd"
D=$DISPOSE
S=$T/src K=$T/keys
mkdir -p "$S/sub" "$K" "$T/out"
printf 'retained record\n' > "$S/record.txt"
head -c $((8 << 20)) /dev/urandom > "$S/sub/large.bin"
truncate -s 64M "$S/sparse.img"
printf 'x' | dd of="$S/sparse.img" bs=1 seek=$((32 << 20)) conv=notrunc 2>/dev/null
ln "$S/record.txt" "$S/sub/hard.txt"
ln -s ../record.txt "$S/sub/link"
printf 'ü\n' > "$S/sub/naïve name.txt"
setfattr -n user.class -v secret "$S/record.txt"
setfacl -m u:nobody:r "$S/sub/large.bin"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/rec.key" \
	-out "$K/rec.crt" -days 30 -subj /CN=records 2>/dev/null || die "ec cert"
openssl req -x509 -newkey rsa:3072 -nodes -keyout "$K/esc.key" -out "$K/esc.crt" -days 30 \
	-subj /CN=escrow 2>/dev/null || die "rsa cert"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/other.key" \
	-out "$K/other.crt" -days 30 -subj /CN=other 2>/dev/null || die "other cert"

A=$T/out/hr.tar.zst.enc
$D archive create --run-dir "$T/run" --root "$S" --recipient "$K/rec.crt" --recipient "$K/esc.crt" \
	--retain-until 2030-06-30 --series HR --run-dir "$T/run" -o "$A" >"$T/create.out" 2>"$T/err"
rc=$?
cat "$T/create.out" "$T/err"
[ $rc -eq 0 ] || die "encrypted create: exit $rc"
[ -f "$A" ] && [ -f "$A.cms" ] && [ -f "$A.bag-info.txt" ] || die "outputs missing"
grep -q "openssl cms -decrypt -binary -inform DER -in $A.cms -content $A" "$T/create.out" ||
	die "no stock recipe printed"
# the readback-only recipient is gone: exactly the two recipients remain
openssl cms -cmsout -print -inform DER -in "$A.cms" > "$T/env.txt" || die "cms print"
grep -q 'readback' "$T/env.txt" && die "readback recipient left in the envelope"
grep -q 'CN=records\|CN = records\|records' "$T/env.txt" || die "records recipient missing"
grep -q 'escrow' "$T/env.txt" || die "escrow recipient missing"
python3 - "$T/run/events.jsonl" "$A" <<'PY' || die "run record"
import hashlib, json, sys
c = [json.loads(l) for l in open(sys.argv[1]) if '"archive_created"' in l][0]
assert c['encrypted'] is True
assert c['sha256'] == hashlib.sha256(open(sys.argv[2], 'rb').read()).hexdigest()
assert c['envelope_sha256'] == hashlib.sha256(open(sys.argv[2] + '.cms', 'rb').read()).hexdigest()
PY
ok "encrypted create (2 recipients, read back, readback key dropped)"

expect_exit 0 $D archive verify "$A" --key "$K/rec.key" --cert "$K/rec.crt"
expect_exit 0 $D archive verify "$A" --key "$K/esc.key" --cert "$K/esc.crt" --run-dir "$T/run"
expect_exit 2 $D archive verify "$A"
ok "verify with each recipient key"
# without a key: one plain line saying what is needed, not "not an archive of ours"
for sub in verify extract; do
	if [ $sub = verify ]; then $D archive verify "$A" 2>"$T/nk.err"; else
		$D archive extract "$A" -C "$T" 2>"$T/nk.err"; fi
	rc=$?
	[ $rc -eq 2 ] || die "$sub without a key: exit $rc"
	grep -qx "dispose: $A: encrypted ($A.cms exists): --key and --cert are needed" "$T/nk.err" ||
		die "$sub without a key: $(cat "$T/nk.err")"
done
ok "no key: a clear message"

mkdir "$T/x"
expect_exit 0 $D archive extract "$A" -C "$T/x" --key "$K/rec.key" --cert "$K/rec.crt" \
	--xattrs --acls
X=$T/x/hr/data$S
cmp "$S/sub/large.bin" "$X/sub/large.bin" || die "content"
[ "$(getfattr --only-values -n user.class "$X/record.txt")" = secret ] || die "xattr"
getfacl -c "$X/sub/large.bin" | grep -q 'user:nobody:r--' || die "acl"
[ "$(stat -c %i "$X/record.txt")" = "$(stat -c %i "$X/sub/hard.txt")" ] || die "hard link"
[ "$(readlink "$X/sub/link")" = ../record.txt ] || die "symlink"
[ $(($(stat -c %b "$X/sparse.img") * 512)) -lt $((1 << 20)) ] || die "sparse file not sparse"
cmp "$S/sparse.img" "$X/sparse.img" || die "sparse content"
[ -z "$(find "$T/x" -maxdepth 1 -name '.dispose-extract*')" ] || die "temporary left behind"
ok "extract"

# stock tools only
mkdir "$T/stock"
(cd "$T/stock" && openssl cms -decrypt -binary -inform DER -in "$A.cms" -content "$A" \
	-recip "$K/rec.crt" -inkey "$K/rec.key" | zstd -dc | bsdtar -xpf -) || die "stock recipe"
(cd "$T/stock/hr" && sha512sum -c --quiet tagmanifest-sha512.txt &&
	sha512sum -c --quiet manifest-sha512.txt) || die "sha512sum -c"
diff -r "$S" "$T/stock/hr/data$S" || die "stock bytes differ"
ok "stock recipe"

# breakage: verify exits 3 (2 when not ours), extract writes nothing
broken() {	# NAME WHAT
	local name=$1 what=$2 rc
	$D archive verify "$name" --key "$K/rec.key" --cert "$K/rec.crt" 2>"$T/err"; rc=$?
	cat "$T/err"
	[ $rc -eq 3 ] || [ $rc -eq 2 ] || die "$what: verify exit $rc, want 3 or 2"
	rm -rf "$T/xb"; mkdir "$T/xb"
	$D archive extract "$name" -C "$T/xb" --key "$K/rec.key" --cert "$K/rec.crt" 2>/dev/null; rc=$?
	[ $rc -eq 3 ] || [ $rc -eq 2 ] || die "$what: extract exit $rc"
	[ -z "$(ls -A "$T/xb")" ] || die "$what: extract wrote something"
	ok "$what"
}
B=$T/out/b.tar.zst.enc
expect_exit 2 $D archive verify "$A" --key "$K/other.key" --cert "$K/other.crt"
rm -rf "$T/xb"; mkdir "$T/xb"
expect_exit 2 $D archive extract "$A" -C "$T/xb" --key "$K/other.key" --cert "$K/other.crt"
[ -z "$(ls -A "$T/xb")" ] || die "wrong key: extract wrote something"
ok "wrong key"

size=$(stat -c %s "$A")
head -c $((size / 2)) "$A" > "$B"; cp "$A.cms" "$B.cms"
broken "$B" "truncated ciphertext"
head -c $((size - 1)) "$A" > "$B"
broken "$B" "ciphertext short by one byte"
cp "$A" "$B"
printf '\x5a' | dd of="$B" bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null
cmp -s "$A" "$B" && die "flip did not change the file"
broken "$B" "flipped byte in ciphertext"
# envelope flips: on a one-recipient archive, since CMS does not authenticate
# the entries of recipients other than the one decrypting
# read back with a key the operator holds: no extra recipient at all
$D archive create --run-dir "$T/run-k" --root "$S" --recipient "$K/rec.crt" --key "$K/rec.key" --cert "$K/rec.crt" \
	-o "$T/out/k.tar.zst.enc" >/dev/null || die "create with --key"
expect_exit 0 $D archive verify "$T/out/k.tar.zst.enc" --key "$K/rec.key" --cert "$K/rec.crt"
ok "read back with the operator's key"
A1=$T/out/k.tar.zst.enc
cp "$A1" "$B"
esize=$(stat -c %s "$A1.cms")
for off in $((esize - 1)) $((esize - 20)) $((esize / 2)); do
	cp "$A1.cms" "$B.cms"
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[int(sys.argv[2])]^=1; open(p,'wb').write(b)" "$B.cms" $off
	broken "$B" "flipped byte $off in envelope"
done
# any flip is caught against the run record, even in fields CMS does not authenticate
cp "$A.cms" "$T/good.cms"
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[27]^=1; open(p,'wb').write(b)" "$A.cms"
expect_exit 3 $D archive verify "$A" --key "$K/rec.key" --cert "$K/rec.crt" --run-dir "$T/run"
cp "$T/good.cms" "$A.cms"
ok "envelope checked against the run record"

# read-back failure on an encrypted archive: exit 3, both files left as .failed
DISPOSE_TEST_ARCHIVE_FLIP=100000 $D archive create --run-dir "$T/run-f" --root "$S" --recipient "$K/rec.crt" \
	-o "$T/out/f.tar.zst.enc" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] || die "corrupted encrypted create: exit $rc"
[ -f "$T/out/f.tar.zst.enc.failed" ] && [ -f "$T/out/f.tar.zst.enc.cms.failed" ] || die "no .failed files"
ok "encrypted read-back failure"


expect_exit 0 $D archive status "$T/out"
