#!/bin/bash
# t_archive_record.sh - archive verify --run-dir vouches only for an archive the
# record holds, every file of it: a record that is another command's (an erase's)
# or holds no archive_created of the archive is refused (exit 4, one line, the run
# directory first); a volume re-encrypted by a stranger (same plaintext or not)
# and a stray extra volume are a mismatch (exit 3, one line naming the run
# directory); either way the record stays byte for byte as it was.
. "$SRCDIR/tests/integration/lib.sh"
command -v openssl >/dev/null && command -v zstd >/dev/null && command -v python3 >/dev/null ||
	skip "needs openssl, zstd, python3"
D=$DISPOSE
S=$T/src K=$T/keys
mkdir -p "$S" "$K"
head -c 200000 /dev/urandom > "$S/records.bin"
printf 'retained\n' > "$S/a.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/rec.key" \
	-out "$K/rec.crt" -days 30 -subj /CN=records 2>/dev/null || die "cert"
KC=(--key "$K/rec.key" --cert "$K/rec.crt")

# RUN NAME [ARGS]: verify a mismatch (exit 3), one line naming RUN, nothing appended
refused() {
	local run=$1 name=$2 rc; shift 2
	cp "$run/events.jsonl" "$T/before"
	$D archive verify "$name" "$@" --run-dir "$run" >"$T/out" 2>"$T/err"; rc=$?
	cat "$T/err"
	[ $rc -eq 3 ] || die "$name against $run: exit $rc, want 3"
	[ "$(wc -l < "$T/err")" -eq 1 ] || die "$name against $run: not one line"
	grep -q "^dispose: $name: run record $run: " "$T/err" || die "$name: the run directory is not named"
	cmp -s "$T/before" "$run/events.jsonl" || die "$name: the record of $run changed"
	[ ! -s "$T/out" ] || die "$name: said ok"
}
# RUN NAME [ARGS]: not this archive's record: refused (exit 4), one line, RUN first, nothing appended
not_its() {
	local run=$1 name=$2 rc; shift 2
	cp "$run/events.jsonl" "$T/before"
	$D archive verify "$name" "$@" --run-dir "$run" >"$T/out" 2>"$T/err"; rc=$?
	cat "$T/err"
	[ $rc -eq 4 ] || die "$name against $run: exit $rc, want 4"
	[ "$(wc -l < "$T/err")" -eq 1 ] || die "$name against $run: not one line"
	grep -q "^dispose: $run: .*: archive_verified not recorded$" "$T/err" ||
		die "$name: the run directory is not named first"
	cmp -s "$T/before" "$run/events.jsonl" || die "$name: the record of $run changed"
	[ ! -s "$T/out" ] || die "$name: said ok"
}

# an erase run's record, a plain archive of one run, and one made in another
head -c 65536 /dev/urandom > "$T/victim"
$D erase --yes --run-dir "$T/erun" "$T/victim" >/dev/null 2>&1 || die "erase run"
[ -s "$T/erun/events.jsonl" ] || die "no erase record"
P=$T/p.tar.zst F=$T/forged.tar.zst
$D archive create --run-dir "$T/run" --root "$S" -o "$P" >/dev/null || die "create"
$D archive create --run-dir "$T/frun" --root "$S" -o "$F" >/dev/null || die "create forged"

not_its "$T/erun" "$F"
grep -q "the run record of erase, not of an archive create" "$T/err" || die "reason not given"
not_its "$T/erun" "$P"
not_its "$T/run" "$F"
grep -q "the run record holds no archive_created of this archive (External-Identifier urn:uuid:" "$T/err" ||
	die "reason not given"
ok "an archive the record never saw is refused, the record unchanged"
expect_exit 0 $D archive verify "$P" --run-dir "$T/run"
[ "$(grep -c '"event":"archive_verified"' "$T/run/events.jsonl")" -eq 1 ] || die "no archive_verified"
# moved: matched by its External-Identifier, not by path
mkdir "$T/moved" && cp "$P" "$T/moved/"
expect_exit 0 $D archive verify "$T/moved/p.tar.zst" --run-dir "$T/run"
# the same tar recompressed: same entries and identifier, other bytes
zstd -dcq "$P" | zstd -q -19 -c > "$T/moved/p.tar.zst"
expect_exit 0 $D archive verify "$T/moved/p.tar.zst"
refused "$T/run" "$T/moved/p.tar.zst"
grep -q "SHA-256 differs from the one recorded" "$T/err" || die "recompressed: reason"
ok "matched by identifier; every byte compared"

# encrypt a file to a certificate with stock openssl, detached as dispose writes it
cat > "$T/reenc.py" <<'PY'
import subprocess, sys
pt, cert, out_ct, out_env = sys.argv[1:5]
der = subprocess.run(["openssl", "cms", "-encrypt", "-aes-256-gcm", "-binary", "-outform", "DER",
                      "-in", pt, "-recip", cert, "-keyopt", "ecdh_kdf_md:sha256"],
                     check=True, stdout=subprocess.PIPE).stdout
def tlv(b, o):
    l, h = b[o + 1], 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[o + 2:o + 2 + n], "big"); h += n
    return b[o], h, l
def kids(b):
    o, out = 0, []
    while o < len(b):
        t, h, l = tlv(b, o); out.append((t, b[o + h:o + h + l])); o += h + l
    return out
def enc(t, body):
    n = len(body)
    ln = bytes([n]) if n < 0x80 else (lambda s: bytes([0x80 | len(s)]) + s)(n.to_bytes((n.bit_length() + 7) // 8, "big"))
    return bytes([t]) + ln + body
oid, ctx = kids(kids(der)[0][1])
parts, ct = [], None
for t, body in kids(kids(ctx[1])[0][1]):
    k = kids(body) if t == 0x30 else []
    if len(k) == 3 and k[0][0] == 0x06:	# authEncryptedContentInfo: drop the content
        ct = k[2][1]; body = b"".join(enc(x, y) for x, y in k[:2])
    parts.append(enc(t, body))
assert ct is not None
open(out_ct, "wb").write(ct)
open(out_env, "wb").write(enc(0x30, enc(oid[0], oid[1]) + enc(0xa0, enc(0x30, b"".join(parts)))))
PY

E=$T/e.tar.zst.enc
DISPOSE_TEST_ENV_VOLUME_MAX=32768 $D archive create --run-dir "$T/erun2" --root "$S" \
	--recipient "$K/rec.crt" "${KC[@]}" -o "$E" >/dev/null || die "encrypted create"
[ -f "$E.004" ] && [ -f "$E.004.cms" ] || die "no volumes (DISPOSE_TEST_ENV_VOLUME_MAX needs a test build)"
n=$(ls "$E".[0-9][0-9][0-9] | wc -l)
expect_exit 0 $D archive verify "$E" "${KC[@]}" --run-dir "$T/erun2"
mkdir "$T/keep" && cp "$E.003" "$E.003.cms" "$T/keep/"
openssl cms -decrypt -binary -inform DER -in "$E.003.cms" -content "$E.003" -recip "$K/rec.crt" \
	-inkey "$K/rec.key" -out "$T/pt3" || die "decrypt volume 3"
python3 "$T/reenc.py" "$T/pt3" "$K/rec.crt" "$E.003" "$E.003.cms" || die "re-encrypt"
cmp -s "$E.003" "$T/keep/e.tar.zst.enc.003" && die "volume 3 not replaced"
# alone, every volume authenticates: only the record can tell
expect_exit 0 $D archive verify "$E" "${KC[@]}"
refused "$T/erun2" "$E" "${KC[@]}"
grep -q "$E.003: SHA-256 of volume 3 differs from the one recorded" "$T/err" || die "volume 3 not named"
ok "a volume re-encrypted with the same plaintext"
printf 'other bytes' | dd of="$T/pt3" conv=notrunc 2>/dev/null
python3 "$T/reenc.py" "$T/pt3" "$K/rec.crt" "$E.003" "$E.003.cms" || die "re-encrypt"
# the manifest finds this one first: exit 3 all the same, nothing appended
cp "$T/erun2/events.jsonl" "$T/before"
expect_exit 3 $D archive verify "$E" "${KC[@]}" --run-dir "$T/erun2"
cmp -s "$T/before" "$T/erun2/events.jsonl" || die "other plaintext: the record changed"
cp "$T/keep/e.tar.zst.enc.003" "$T/keep/e.tar.zst.enc.003.cms" "$T/"
expect_exit 0 $D archive verify "$E" "${KC[@]}" --run-dir "$T/erun2"
ok "a volume re-encrypted with other plaintext"

# a stray volume after the last one: a zstd frame of zeros decodes to nothing
next=$(printf '%s.%03d' "$E" $((n + 2)))
head -c 4096 /dev/zero | zstd -qc > "$T/zeros.zst"
python3 "$T/reenc.py" "$T/zeros.zst" "$K/rec.crt" "$next" "$next.cms" || die "stray"
expect_exit 0 $D archive verify "$E" "${KC[@]}"
refused "$T/erun2" "$E" "${KC[@]}"
grep -q "volume $((n + 2)) is not in the record (it holds $((n + 1)))" "$T/err" || die "stray: reason"
rm -f "$next" "$next.cms"
ok "a stray extra volume"

# the same on a one-volume archive (the recorded set: exactly one)
O=$T/one.tar.zst.enc
$D archive create --run-dir "$T/orun" --root "$S" --recipient "$K/rec.crt" -o "$O" >/dev/null ||
	die "one-volume create"
python3 "$T/reenc.py" "$T/zeros.zst" "$K/rec.crt" "$O.002" "$O.002.cms" || die "stray"
refused "$T/orun" "$O" "${KC[@]}"
rm -f "$O.002" "$O.002.cms"
expect_exit 0 $D archive verify "$O" "${KC[@]}" --run-dir "$T/orun"
ok "a stray second volume beside a one-volume archive"
