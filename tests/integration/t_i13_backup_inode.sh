#!/bin/bash
# t_i13_backup_inode.sh - (R3 #5) a LUKS header backup erased in the same run
# is matched to its target by device and inode, never by the path string: a
# tree named relatively (cd W; ... -m zero backups) erases the backup first,
# and crypto-luks then finds it erased (header_backups erased_in_run true, no
# "survives" caveat), as with an absolute name. A crypto-luks method of
# category clear: on a loop device purge may be out of reach whatever the
# backups (the loop rule); the label is clear or purge, never for the backup.
. "$(dirname "$0")/lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"
dev=$(mkloop 32 "$T/vol.img") || die "mkloop"
sed 's/"category": "purge"/"category": "clear"/' "$SRCDIR/profiles/methods/crypto-luks.json" \
	>"$T/luks-clear.json" || die "method"
for how in relative absolute; do
	printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$dev" - >/dev/null || die "luksFormat"
	rm -rf "$T/w"; mkdir -p "$T/w/backups"
	cryptsetup luksHeaderBackup "$dev" --header-backup-file "$T/w/backups/vol.hdr" || die "backup"
	echo data >"$T/w/backups/other.txt"
	"$DISPOSE" inventory --keys --root "$T/w/backups" -o "$T/inv.json" >/dev/null 2>"$T/inv.err" ||
		die "inventory: $(cat "$T/inv.err")"
	tree=backups
	[ "$how" = absolute ] && tree="$T/w/backups"
	(cd "$T/w" && "$DISPOSE" erase -y --progress none --inventory "$T/inv.json" \
		--run-dir "$T/r-$how" -m "$T/luks-clear.json" "$dev" -m zero "$tree") \
		>"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 0 ] || die "$how: exit $rc: $(cat "$T/err")"
	[ ! -e "$T/w/backups/vol.hdr" ] || die "$how: the backup is still there"
	cryptsetup isLuks "$dev" 2>/dev/null && die "$how: the volume's header is still there"
	end=$(grep '"event": *"target_end"' "$T/r-$how/events.jsonl" | grep crypto-luks | tail -1)
	[ -n "$end" ] || die "$how: no crypto-luks target_end"
	echo "$end" | grep -q '"erased_in_run": *true' ||
		die "$how: the backup erased in this run is not counted erased: $end"
	echo "$end" | grep -q 'LUKS header backup [^"]* survives' && die "$how: a surviving backup named: $end"
	echo "$end" | grep -Eq '"nist_category": *"(clear|purge)"' || die "$how: no category: $end"
	ok "$how tree name: backup erased first and counted erased"
done
exit 0
