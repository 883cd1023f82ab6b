#!/bin/bash
# t_i13_review_reencrypt.sh - (review R1) a LUKS2 volume in the middle of an
# in-place encryption (cryptsetup reencrypt --encrypt, interrupted or only
# initialised: requirement online-reencrypt-v2, "linear" plaintext data
# segments) holds plaintext that no key protects. Destroying its keys erases
# nothing of that plaintext, so crypto-luks (asked for directly, or chosen by
# auto) must refuse it at the check (exit 5, nothing written); it must never
# run and label the device Purge or Clear while the plaintext is left. Since
# R3 #1 auto samples the data area, finds the plaintext and chooses an
# overwrite instead: accepted when no plaintext line is left.
. "$(dirname "$0")/lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"

SIZE=64	# MiB
# a loop device full of plaintext lines, then its in-place encryption initialised only
mkplain() {
	local img=$1 dev
	truncate -s "${SIZE}M" "$img" || return 1
	python3 - "$img" "$SIZE" <<'PY' || return 1
import sys
n = int(sys.argv[2]) << 20
line = b"SECRET-PLAINTEXT-LINE-0123456789\n"
open(sys.argv[1], "r+b").write((line * (n // len(line) + 1))[:n])
PY
	dev=$(losetup -f --show "$img") || return 77
	track_loop "$dev"
	printf pw | cryptsetup reencrypt --encrypt --init-only --type luks2 --reduce-device-size 32M \
		--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --batch-mode "$dev" --key-file=- \
		>/dev/null 2>&1 || return 77
	cryptsetup luksDump "$dev" | grep -q online-reencrypt || return 77
	# a loop device over a file on this disk: purge would need it rotational
	echo 1 >"/sys/block/${dev#/dev/}/queue/rotational" 2>/dev/null
	echo "$dev"
}
plain_left() { grep -a -c SECRET-PLAINTEXT-LINE "$1" || true; }

for m in crypto-luks auto; do
	img=$T/enc-$m.img
	dev=$(mkplain "$img")
	case $? in
	0) ;;
	77) skip "losetup or cryptsetup reencrypt --init-only unavailable" ;;
	*) die "$m: cannot make the fixture" ;;
	esac
	before=$(plain_left "$img")
	[ "$before" -gt 1000000 ] || die "$m: the fixture holds no plaintext ($before)"
	sum=$(sha256sum <"$img")
	"$DISPOSE" erase -y --progress none -m "$m" --run-dir "$T/r-$m" "$dev" >"$T/out" 2>"$T/err"
	rc=$?
	after=$(plain_left "$img")
	# auto sees the plaintext in the data area (R3 #1): it chooses an overwrite, never crypto-luks
	if [ "$m" = auto ] && [ "$rc" -eq 0 ] && [ "$after" -eq 0 ] &&
	   grep -q '"technique": *"overwrite"' "$T/r-$m/events.jsonl" &&
	   ! grep -q '"technique": *"crypto-luks"' "$T/r-$m/events.jsonl"; then
		ok "auto: a LUKS2 volume mid-encryption overwritten (not crypto-luks), no plaintext left"
		continue
	fi
	if [ "$rc" -eq 0 ]; then
		cat=$(grep -o '"nist_category": *"[a-z]*"' "$T/r-$m/events.jsonl" | tail -1)
		die "$m: a volume mid-encryption was erased (exit 0, $cat) with $after of" \
		    "$before plaintext lines left on the device: $(cat "$T/err")"
	fi
	[ "$rc" -eq 5 ] || die "$m: exit $rc, expected 5 (unsupported): $(cat "$T/err")"
	[ "$(sha256sum <"$img")" = "$sum" ] || die "$m: refused, but the device was written"
	grep -q "^dispose: $dev: " "$T/err" || die "$m: the refusal does not name the device: $(cat "$T/err")"
	ok "$m: a LUKS2 volume mid-encryption refused at the check, nothing written"
done
