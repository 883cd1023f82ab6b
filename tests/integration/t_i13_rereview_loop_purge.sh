#!/bin/bash
# t_i13_rereview_loop_purge.sh - (review R3) crypto-luks on a loop device is
# labelled Purge because the loop queue says rotational=1. That flag is copied
# from the backing block device or written by anyone (echo 1 > queue/rotational);
# the medium under the backing file is never examined. The certificate says so
# itself ("the medium holding that file was not examined"; note: "where that
# file's old blocks lie ... was not addressed") and still certifies Purge with
# "Old data may remain: no". Wanted: a loop device reaches Clear at most for
# crypto-luks (the record's nist_category and the certificate agree), with the
# reason that the backing file's medium is unknown; --category purge on it is
# refused at the check (exit 5), nothing written.
. "$(dirname "$0")/lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"
command -v openssl >/dev/null || skip "needs openssl"
img=$T/l.img
truncate -s 64M "$img"
dev=$(losetup -f --show "$img") || skip "losetup"
track_loop "$dev"
fmt() {
	printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$dev" - >/dev/null || die "luksFormat"
}
fmt
echo 1 >"/sys/block/${dev#/dev/}/queue/rotational" 2>/dev/null
"$DISPOSE" erase -y --progress none -m crypto-luks --category clear --run-dir "$T/r" "$dev" \
	>"$T/out" 2>"$T/err"
rc=$?
[ -s "$T/r/events.jsonl" ] || die "erase wrote no record (exit $rc): $(cat "$T/err")"
[ "$rc" = 0 ] || die "crypto-luks --category clear on a loop device: exit $rc: $(cat "$T/err")"
cat=$(grep -o '"nist_category": *"[a-z]*"' "$T/r/events.jsonl" | tail -1)
case $cat in
*purge*) die "a loop device (backing file's medium never examined) recorded $cat" ;;
esac
ok "record: $cat"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" \
	-out "$T/c.pem" -subj "/CN=r3" -days 2 -addext keyUsage=digitalSignature 2>/dev/null ||
	die "openssl"
"$DISPOSE" certify --run-dir "$T/r" --key "$T/k.pem" --cert "$T/c.pem" -o "$T/cert.json" \
	>"$T/c.out" 2>&1 || die "certify: $(cat "$T/c.out")"
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["targets"][0]["category_achieved"])' "$T/cert.json")
[ "$got" != purge ] || die "the certificate says purge for a loop device"
ok "certificate: $got"
# purge asked for: refused before anything is written
fmt
sum=$(sha256sum <"$img")
"$DISPOSE" erase -y --progress none -m crypto-luks --category purge --run-dir "$T/r2" "$dev" \
	>"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 5 ] || die "--category purge on a loop device: exit $rc, expected 5: $(cat "$T/err")"
[ "$(sha256sum <"$img")" = "$sum" ] || die "--category purge refused, but the device was written"
ok "--category purge on a loop device refused, nothing written"
exit 0
