#!/bin/bash
# t_i13_rereview_plain_under_luks.sh - (review R3) luksFormat writes only the
# header: whatever the device held before stays in the data area, readable,
# until the volume overwrites it. A disk full of plaintext that was luksFormat-ed
# (no reencrypt, so no requirement flag: the R1 fix does not see it) and never
# filled is "a LUKS volume" to crypto-luks. Destroying its keys erases none of
# that plaintext, yet the run says Purge and its caveat calls the data area
# "ciphertext". Wanted: crypto-luks (and auto, which picks it) never records
# purge or clear while the data area reads back as plaintext: it refuses, or
# it fails with a reason; a certificate must not follow from it.
. "$(dirname "$0")/lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"
SIZE=64	# MiB
for m in crypto-luks auto; do
	img=$T/plain-$m.img
	truncate -s "${SIZE}M" "$img"
	python3 - "$img" "$SIZE" <<'PY' || die "fixture"
import sys
n = int(sys.argv[2]) << 20
line = b"SECRET-PLAINTEXT-LINE-0123456789\n"
open(sys.argv[1], "r+b").write((line * (n // len(line) + 1))[:n])
PY
	dev=$(losetup -f --show "$img") || skip "losetup"
	track_loop "$dev"
	printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$dev" - >/dev/null || die "luksFormat"
	# a loop device over a file on this disk: purge would need it rotational
	echo 1 >"/sys/block/${dev#/dev/}/queue/rotational" 2>/dev/null
	before=$(grep -a -c SECRET-PLAINTEXT-LINE "$img")
	[ "$before" -gt 1000000 ] || die "$m: the fixture holds no plaintext ($before)"
	"$DISPOSE" erase -y --progress none -m "$m" --run-dir "$T/r-$m" "$dev" >"$T/out" 2>"$T/err"
	rc=$?
	after=$(grep -a -c SECRET-PLAINTEXT-LINE "$img")
	cat=$(grep -o '"nist_category": *"[a-z]*"' "$T/r-$m/events.jsonl" 2>/dev/null | tail -1)
	case $cat in
	*purge*|*clear*) [ "$after" -eq 0 ] && { ok "$m: $cat, the plaintext overwritten"; continue; }
		die "$m: exit $rc, record $cat, with $after of $before plaintext lines left" \
		    "in the data area: $(head -c 300 "$T/out")" ;;
	esac
	[ "$rc" -ne 0 ] || die "$m: exit 0 with $after plaintext lines left"
	# a refusal or failure about this device, not an unknown method
	grep -q "$dev" "$T/err" "$T/out" || die "$m: exit $rc without naming $dev: $(cat "$T/err")"
	ok "$m: luksFormat over plaintext: exit $rc, $cat, no category claimed"
done
exit 0
