#!/bin/bash
# t_i13_review_backup_link.sh - (review R1) an inventory's LUKS header backup
# inside a directory tree that is a target of the same run, the backup file
# having another hard link outside the tree. The tree erase (without
# --erase-shared-inodes) only removes that name: the header backup survives
# under its other name, and with it the passphrase still opens the volume.
# crypto-luks must then not claim Purge: the backup is not erased. Either the
# run refuses before writing (exit 5), or the volume ends at most Clear,
# naming the surviving backup; a Purge label here is a false certificate.
. "$(dirname "$0")/lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"

dev=$(mkloop 32 "$T/vol.img") || die "mkloop"
printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 "$dev" - >/dev/null || die "luksFormat"
echo 1 >"/sys/block/${dev#/dev/}/queue/rotational" 2>/dev/null
uuid=$(cryptsetup luksUUID "$dev")
mkdir -p "$T/tree" "$T/keep"
cryptsetup luksHeaderBackup "$dev" --header-backup-file "$T/tree/vol.hdr" || die "luksHeaderBackup"
ln "$T/tree/vol.hdr" "$T/keep/vol-copy.hdr" || die "ln"
echo data >"$T/tree/other.txt"
"$DISPOSE" inventory --keys --root "$T/tree" -o "$T/inv.json" >/dev/null 2>"$T/inv.err" ||
	die "inventory: $(cat "$T/inv.err")"
grep -q "$uuid" "$T/inv.json" || die "the inventory did not find the header backup"

"$DISPOSE" erase -y --progress none --inventory "$T/inv.json" --run-dir "$T/r" \
	-m zero "$T/tree" -m crypto-luks "$dev" >"$T/out" 2>"$T/err"
rc=$?
# the header backup survives under its other name, whatever the run said
cryptsetup luksDump "$T/keep/vol-copy.hdr" 2>/dev/null | grep -q "$uuid" ||
	die "fixture: the other hard link no longer holds the header (rc $rc)"
cat=$(python3 - "$T/r/events.jsonl" "$dev" <<'PY'
import json, sys
try:
    ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
except OSError:
    print("none"); sys.exit()
ids = [e["target"] for e in ev if e["event"] == "target" and e.get("path") == sys.argv[2]]
ends = [e for e in ev if e["event"] == "target_end" and ids and e["target"] == ids[0]]
print(ends[-1].get("nist_category", "none") if ends else "none")
PY
)
[ "$cat" != purge ] || die "crypto-luks labelled Purge while its header backup" \
	"$T/keep/vol-copy.hdr (the tree's vol.hdr, only unlinked) survives: exit $rc: $(cat "$T/err")"
if [ "$rc" -eq 5 ]; then
	# refused at the check: nothing written, the tree and the volume as they were
	[ -e "$T/tree/other.txt" ] || die "refused (exit 5), but the tree was erased"
	printf pw | cryptsetup open --test-passphrase "$dev" --key-file=- 2>/dev/null ||
		die "refused (exit 5), but the volume was destroyed"
elif [ "$cat" = clear ]; then
	grep -q "vol.*hdr.*survives" "$T/err" || die "clear, but the surviving backup is not named: $(cat "$T/err")"
else
	die "exit $rc, category $cat: expected a refusal (exit 5) or Clear naming the backup: $(cat "$T/err")"
fi
ok "a header backup with a hard link outside the erased tree does not count as erased (exit $rc, $cat)"
