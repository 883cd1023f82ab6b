#!/bin/bash
# t_i13_rereview_backup_uuid.sh - (review R3) a LUKS header backup defeats Purge
# only when its UUID equals the volume's. The UUID is a label: `cryptsetup
# luksUUID --uuid NEW backup.hdr` (or a cloned disk given a fresh UUID, as
# cloning tools do) keeps every keyslot, so the backup still yields the same
# volume key from the passphrase and decrypts the data area. The inventory
# given with --inventory lists that backup (format luks, its new luks_uuid);
# crypto-luks ignores it and records Purge while it survives.
# Wanted: a backup whose key material is the volume's (same keyslot areas /
# same volume key digest) counts as this volume's backup whatever its UUID:
# --category purge refused at the check (exit 5, nothing written), or Clear
# naming the backup.
. "$(dirname "$0")/lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"
dev=$(mkloop 32 "$T/vol.img") || die "mkloop"
printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 "$dev" - >/dev/null || die "luksFormat"
echo 1 >"/sys/block/${dev#/dev/}/queue/rotational" 2>/dev/null
mkdir -p "$T/keep"
cryptsetup luksHeaderBackup "$dev" --header-backup-file "$T/keep/vol.hdr" || die "luksHeaderBackup"
cryptsetup luksUUID -q --uuid 11111111-2222-3333-4444-555555555555 "$T/keep/vol.hdr" ||
	skip "cannot change a header file's UUID"
vk() { printf pw | cryptsetup luksDump --dump-volume-key --batch-mode --key-file=- "$@" 2>/dev/null |
	sed -n '/^MK dump:/,$p' | tr -d ' \t\n'; }
key=$(vk "$dev")
[ -n "$key" ] && [ "$key" = "$(vk "$T/keep/vol.hdr")" ] ||
	skip "cannot compare volume keys (luksDump --dump-volume-key)"
"$DISPOSE" inventory --keys --root "$T/keep" -o "$T/inv.json" >/dev/null 2>"$T/inv.err" ||
	die "inventory: $(cat "$T/inv.err")"
grep -q 11111111-2222-3333-4444-555555555555 "$T/inv.json" || die "inventory did not list the backup"
sum=$(sha256sum <"$T/vol.img")
"$DISPOSE" erase -y --progress none --inventory "$T/inv.json" -m crypto-luks --run-dir "$T/r" \
	"$dev" >"$T/out" 2>"$T/err"
rc=$?
grep -q "$dev" "$T/err" "$T/out" || die "exit $rc without naming $dev: $(cat "$T/err")"
cat=$(grep -o '"nist_category": *"[a-z]*"' "$T/r/events.jsonl" 2>/dev/null | tail -1)
case $cat in
*purge*)
	[ "$(vk "$T/keep/vol.hdr")" = "$key" ] || die "fixture: the backup changed"
	die "Purge recorded (exit $rc) while $T/keep/vol.hdr (UUID changed) still yields the" \
	    "volume key from the passphrase" ;;
esac
if [ "$rc" = 5 ]; then
	[ "$(sha256sum <"$T/vol.img")" = "$sum" ] || die "refused, but the volume was written"
else
	grep -q "keep/vol.hdr" "$T/err" || die "exit $rc, $cat: the surviving backup is not named"
fi
ok "a backup with another UUID but this volume's keyslots defeats Purge (exit $rc, $cat)"
exit 0
