#!/bin/bash
# t_run_encrypted.sh - dispose run with a retain rule encrypted to a
# recipient and no signing key: the verify step (no key here) checks the
# ciphertext and envelope against the record (archive_checked), the
# interlock covers the retained files, the records decrypt with stock
# openssl and restore byte-identical, and no certificate is made (said,
# with the command that makes it later). A ciphertext damaged before the
# verify step stops the run before the erase: exit 3, nothing erased.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
command -v zstd >/dev/null || skip "zstd not installed"
srv=$T/srv
dev=$(mkloop 4) || die "mkloop"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rec.key" -out "$T/rec.pem" \
	-subj /CN=records -days 30 2>/dev/null || die "openssl req"

# policy FILE: the test policy, encrypted to rec.pem, without a signing key
policy() {
	write_policy "$1" "$srv" "$dev" "$T/none"
	python3 - "$1" "$T/rec.pem" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["retain"][0]["recipients"] = [sys.argv[2]]
for k in ("key", "cert"):
    del p["certificate"][k]
json.dump(p, open(sys.argv[1], "w"))
PY
}

make_server "$srv"
fill_marker "$dev" 4
policy "$T/p.json"
"$DISPOSE" run --policy "$T/p.json" --yes --progress none --run-dir "$T/r" >"$T/out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$T/out"; die "encrypted run: exit $rc"; }
check_run_record "$T/r"
check_erased "$srv" "$dev"
events "$T/r" archive_checked | grep -q '"result": *"ok"' || die "no archive_checked ok"
events "$T/r" archive_verified >/dev/null && die "archive_verified without a key"
events "$T/r" interlock | grep -q '"covered": *2' || die "interlock: $(events "$T/r" interlock)"
[ -e "$T/r/certificate.json" ] && die "a certificate without a key"
grep -q "dispose certify --run-dir $T/r" "$T/out" || die "no certify hint: $(cat "$T/out")"
enc=$(ls "$T"/r/archives/*.tar.zst.enc) || die "no encrypted archive"
mkdir "$T/x"
openssl cms -decrypt -binary -inform DER -in "$enc.cms" -content "$enc" -recip "$T/rec.pem" \
	-inkey "$T/rec.key" | zstd -dc | bsdtar -xf - -C "$T/x" || die "stock decrypt failed"
for f in srv/records/ledger-2025.bin srv/records/r2.txt etc/app.conf; do
	got=$(find "$T/x" -path "*/data$srv/$f" -type f | head -1)
	[ -n "$got" ] && cmp -s "$got" "$srv.orig/$f" || die "$f: not restored byte-identical"
done
ok "encrypted: archive_checked, interlock covered, stock decrypt restores, no certificate said"

rm -rf "$srv" "$srv.orig"
make_server "$srv"
fill_marker "$dev" 4
policy "$T/p2.json"
DISPOSE_TEST_RUN_KILL=archive:end "$DISPOSE" run --policy "$T/p2.json" --yes --progress none \
	--run-dir "$T/r2" >"$T/out" 2>&1
[ $? = 137 ] || die "not killed at archive:end"
enc=$(ls "$T"/r2/archives/*.tar.zst.enc) || die "no encrypted archive"
printf 'X' | dd of="$enc" bs=1 seek=100 conv=notrunc status=none
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/r2" >"$T/out" 2>&1
rc=$?
[ $rc = 3 ] || { cat "$T/out"; die "damaged ciphertext: expected exit 3, got $rc"; }
events "$T/r2" archive_checked | grep -q '"result": *"mismatch"' || die "no archive_checked mismatch"
events "$T/r2" erase_start >/dev/null && die "an erase started after the check failed"
cmp -s "$srv/srv/records/r2.txt" "$srv.orig/srv/records/r2.txt" || die "retained file touched"
[ "$(count_marker "$dev")" -gt 0 ] || die "device erased"
ok "encrypted archive damaged before verify: exit 3, nothing erased"
