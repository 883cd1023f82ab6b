#!/bin/bash
# t_i13_rereview_detached_header.sh - (review R3) a LUKS2 volume formatted with
# a detached header written to a raw device (luksFormat --header HDRDEV DATADEV).
# HDRDEV holds the header at byte 0 (data offset 0: the data lies on DATADEV)
# and, beyond the 16 MiB header area, whatever it held before: here plaintext.
# crypto-luks on HDRDEV destroys the header (right: the key material is gone)
# and records the whole HDRDEV as NIST Purge, its caveat speaking of "the data
# area (ciphertext)" of a device whose remaining bytes were never encrypted.
# Wanted: no purge or clear for HDRDEV while plaintext is left on it (refuse,
# or fail with a reason; or overwrite the rest), and the device holding only
# a detached header is recognised (data offset 0).
. "$(dirname "$0")/lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"
img=$T/hdr.img
truncate -s 64M "$img"
python3 - "$img" <<'PY' || die "fixture"
import sys
n = 64 << 20
line = b"SECRET-PLAINTEXT-LINE-0123456789\n"
open(sys.argv[1], "r+b").write((line * (n // len(line) + 1))[:n])
PY
hdr=$(losetup -f --show "$img") || skip "losetup"
track_loop "$hdr"
data=$(mkloop 32 "$T/data.img") || die "mkloop"
printf pw | cryptsetup luksFormat --batch-mode --type luks2 --header "$hdr" --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 "$data" - >/dev/null || die "luksFormat --header"
echo 1 >"/sys/block/${hdr#/dev/}/queue/rotational" 2>/dev/null
before=$(grep -a -c SECRET-PLAINTEXT-LINE "$img")
[ "$before" -gt 500000 ] || die "fixture: no plaintext beyond the header ($before)"
"$DISPOSE" erase -y --progress none -m crypto-luks --run-dir "$T/r" "$hdr" >"$T/out" 2>"$T/err"
rc=$?
after=$(grep -a -c SECRET-PLAINTEXT-LINE "$img")
grep -q "$hdr" "$T/err" "$T/out" || die "exit $rc without naming $hdr: $(cat "$T/err")"
cat=$(grep -o '"nist_category": *"[a-z]*"' "$T/r/events.jsonl" 2>/dev/null | tail -1)
case $cat in
*purge*|*clear*) [ "$after" -eq 0 ] ||
	die "detached header device: exit $rc, record $cat, $after of $before plaintext lines left" ;;
esac
ok "detached header device: exit $rc, $cat, $after plaintext lines left"
exit 0
