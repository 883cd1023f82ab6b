#!/bin/bash
# t_i13_rereview_backup_relpath.sh - (review R3) a LUKS header backup that is
# itself erased in the same run (a tree target) counts as erased only when the
# run's record shows it overwritten: the record names files by the path as
# given, the inventory by absolute path. Name the tree relatively (the usual
# `dispose erase ... -m zero backups`) and the check passes, the tree (and the
# backup) is erased first, then crypto-luks refuses at run time, exit 5
# ("backup ... survives; nothing written") though the record itself says the
# backup was overwritten and removed. A check-time pass followed by a run-time
# refusal after another target was destroyed; with an absolute path the same
# run gives Purge. Wanted: the same outcome whichever way the tree is named.
. "$(dirname "$0")/lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"
dev=$(mkloop 32 "$T/vol.img") || die "mkloop"
printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 "$dev" - >/dev/null || die "luksFormat"
echo 1 >"/sys/block/${dev#/dev/}/queue/rotational" 2>/dev/null
mkdir -p "$T/w/backups"
cryptsetup luksHeaderBackup "$dev" --header-backup-file "$T/w/backups/vol.hdr" || die "luksHeaderBackup"
echo data >"$T/w/backups/other.txt"
"$DISPOSE" inventory --keys --root "$T/w/backups" -o "$T/inv.json" >/dev/null 2>"$T/inv.err" ||
	die "inventory: $(cat "$T/inv.err")"
grep -q "$(cryptsetup luksUUID "$dev")" "$T/inv.json" || die "the inventory did not find the backup"
for j in 1 2; do
	[ "$j" = 1 ] || {
		printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
			--pbkdf-force-iterations 1000 "$dev" - >/dev/null || die "luksFormat"
		rm -rf "$T/w/backups"; mkdir -p "$T/w/backups"
		cryptsetup luksHeaderBackup "$dev" --header-backup-file "$T/w/backups/vol.hdr" || die "backup"
		"$DISPOSE" inventory --keys --root "$T/w/backups" -o "$T/inv.json" >/dev/null 2>&1 ||
			die "inventory"
	}
	(cd "$T/w" && "$DISPOSE" erase -y --progress none --jobs "$j" --inventory "$T/inv.json" \
		--run-dir "$T/r$j" -m crypto-luks "$dev" -m zero backups) >"$T/out" 2>"$T/err"
	rc=$?
	[ -e "$T/w/backups/vol.hdr" ] && { [ "$rc" = 4 ] || [ "$rc" = 5 ]; } &&
		grep -q "$dev" "$T/err" && {
		ok "--jobs $j: refused before anything was written (exit $rc)"; continue; }
	[ "$rc" = 0 ] || die "--jobs $j, tree named relatively: exit $rc, backup file there: $([ -e "$T/w/backups/vol.hdr" ] && echo yes || echo no)" \
		"$(cat "$T/err")"
	cat=$(grep -o '"nist_category": *"[a-z]*"' "$T/r$j/events.jsonl" | tail -1)
	case $cat in *purge*) ;; *) die "--jobs $j: backup erased in the run, crypto-luks got $cat" ;; esac
	ok "--jobs $j: backup erased first, crypto-luks $cat"
done
exit 0
