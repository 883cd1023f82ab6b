#!/bin/bash
# t_i13_audit_luks_part.sh - reviewer R2 (#13): crypto-luks on a partition.
# The erase and the certificate must agree on what it reached. Today the
# erase records and prints "NIST SP 800-88 Purge" for the partition (caveat:
# "only this LUKS volume was erased"). certify then refuses the genuine
# record outright (exit 2: "a partition, not the whole medium, allows
# none"), so the run yields neither a certificate nor a failure report.
# Wanted: the record's nist_category is what certify accepts, and certify
# writes a document (0 or 3) whose category_achieved equals the record's.
. "$(dirname "$0")/lib.sh"
need_root
command -v sfdisk >/dev/null || skip "sfdisk missing"
command -v cryptsetup >/dev/null || skip "no cryptsetup"
command -v openssl >/dev/null || skip "needs openssl"
img=$T/part.img
truncate -s 64M "$img"
dev=$(losetup -f --show -P "$img") || die "losetup -P"
track_loop "$dev"
printf 'label: dos\n,40M\n,\n' | sfdisk -q "$dev" >/dev/null 2>&1 || die "sfdisk"
part_nodes "$dev" 1 || die "no partition ${dev}p1 after sfdisk"
printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 "${dev}p1" - >/dev/null || die "luksFormat"
"$DISPOSE" erase --yes --progress none -m crypto-luks --category clear --run-dir "$T/r" \
	"${dev}p1" >"$T/out" 2>"$T/err"
rc=$?
[ -s "$T/r/events.jsonl" ] || die "erase wrote no record (exit $rc): $(cat "$T/err")"
cat=$(python3 - "$T/r/events.jsonl" <<'PY'
import json, sys
ends = [json.loads(l) for l in open(sys.argv[1]) if '"target_end"' in l]
print(ends[-1]["nist_category"])
PY
)
ok "erase: exit $rc, the record says $cat"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" \
	-out "$T/c.pem" -subj "/CN=r2" -days 2 -addext keyUsage=digitalSignature 2>/dev/null ||
	die "openssl"
"$DISPOSE" certify --run-dir "$T/r" --key "$T/k.pem" --cert "$T/c.pem" -o "$T/cert.json" \
	>"$T/c.out" 2>&1
crc=$?
[ "$crc" = 0 ] || [ "$crc" = 3 ] ||
	die "certify of a genuine crypto-luks partition record: exit $crc (record: $cat): $(cat "$T/c.out")"
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["targets"][0]["category_achieved"])' "$T/cert.json")
[ "$got" = "$cat" ] || die "the record says $cat, the certificate $got"
ok "record and certificate agree: $cat"
exit 0
