#!/bin/bash
# t_i13_review_resume_volume.sh - (review R1) crypto-luks --then, interrupted in
# the --then passes; before --resume the device is formatted with a NEW LUKS
# volume (another UUID: the disk was reused, or an operator formatted the
# wrong device). The run destroyed volume A; the device now holds volume B,
# which no run was asked to destroy. A resume must refuse (the record names
# volume A, destroyed; the device holds B), as it already does when the
# header was not yet destroyed: exit 4 or 5, volume B untouched and opening.
. "$(dirname "$0")/lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"

SIZE=96	# MiB
fmt() {
	printf "$2" | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$1" - >/dev/null || die "luksFormat"
}
opens() { printf "$2" | cryptsetup open --test-passphrase "$1" --key-file=- 2>/dev/null; }

dev=$(mkloop "$SIZE" "$T/vol.img") || die "mkloop"
fmt "$dev" pw-a
echo 1 >"/sys/block/${dev#/dev/}/queue/rotational" 2>/dev/null
# a loop device reaches clear at most (the medium under its file is not examined): ask for clear
"$DISPOSE" erase -y --progress none -m crypto-luks --category clear --then zero --checkpoint-interval 2M \
	--test-delay-ms 40 --run-dir "$T/r" "$dev" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 400); do
	c=$(grep -c '"event":"checkpoint"' "$T/r/events.jsonl" 2>/dev/null)
	[ "${c:-0}" -ge 2 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] || die "SIGINT: exit $rc, want 130: $(cat "$T/err")"
grep -q '"event":"luks_destroyed"' "$T/r/events.jsonl" || die "volume A not destroyed before the stop"

# the same device (same loop device, same backing file) now holds volume B
fmt "$dev" pw-b
uuid_b=$(cryptsetup luksUUID "$dev")
# ... and its owner's data (ciphertext) in its data area
dd if=/dev/urandom of="$dev" bs=1M seek=16 count=$((SIZE - 16)) oflag=direct status=none || die "fill"
opens "$dev" pw-b || die "fixture: volume B does not open"
sum=$(sha256sum <"$T/vol.img")
"$DISPOSE" erase -y --progress none --resume --run-dir "$T/r" >"$T/out" 2>"$T/err"
rc=$?
opens "$dev" pw-b || die "resume destroyed volume B ($uuid_b), which the run never checked" \
	"or was asked to erase: exit $rc: $(cat "$T/err")"
[ "$(sha256sum <"$T/vol.img")" = "$sum" ] || die "resume wrote over volume B (exit $rc): $(cat "$T/err")"
case $rc in 4|5) ;; *) die "resume on volume B: exit $rc, expected 4 or 5: $(cat "$T/err")" ;; esac
grep -q "^dispose: $dev: " "$T/err" || die "the refusal does not name the device: $(cat "$T/err")"
ok "resume of crypto-luks --then onto a device holding another LUKS volume: refused, nothing written"
