#!/bin/bash
# t_luks_destroy.sh - dispose erase -m crypto-luks through the CLI on LUKS1 and
# LUKS2 volumes on loop devices: the passphrase no longer opens them,
# luksDump and blkid find no header, no 4 KiB block of the old header and
# keyslot area survives anywhere, the data area is untouched; a header
# backup an inventory finds defeats Purge (exit 5 before anything is
# written; with --category clear: Clear, the backup named); flash reaches
# Clear at most; an open volume is refused; --then zero leaves zeros. A loop
# device reaches Clear at most (its medium is a file: the medium under it is
# not examined), so each run here asks for clear; Purge is covered by
# tests/unit/test_erase_luks.c with a fake non-loop rotational device.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"
command -v blkid >/dev/null || skip "no blkid"

SIZE=32	# MiB
# luks VER IMG -> a loop device over a new LUKS volume (passphrase pw) whose data area is random
luks() {
	local img=$2 dev
	dev=$(mkloop "$SIZE" "$img") || die "mkloop"
	printf pw | cryptsetup luksFormat --batch-mode --type "luks$1" --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$dev" - >/dev/null || die "luksFormat"
	dd if=/dev/urandom of="$dev" bs=1M seek=16 count=$((SIZE - 16)) oflag=direct status=none ||
		die "fill"
	# rotational, as a disk would be: still clear at most, a loop device
	echo 1 >"/sys/block/${dev#/dev/}/queue/rotational" 2>/dev/null
	echo "$dev"
}
opens() { printf pw | cryptsetup open --test-passphrase "$1" --key-file=- 2>/dev/null; }
sha() { sha256sum <"$1" | cut -d' ' -f1; }
# want CODE WHAT CMD...: run CMD (stdout to $T/out, stderr to $T/err), expect exit CODE
want() {
	local code=$1 what=$2 rc
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" -eq "$code" ] || die "$what: exit $rc, expected $code: $(cat "$T/err")"
}
# the record's last target_end for t1, as JSON
end_of() {
	python3 - "$1/events.jsonl" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
print(json.dumps([e for e in ev if e["event"] == "target_end" and e["target"] == "t1"][-1]))
PY
}
# jq-free field access: field JSON PATH.TO.KEY
field() {
	python3 -c 'import json,sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if not isinstance(v, (dict, list, bool)) else json.dumps(v))' "$1" "$2"
}

# ---- LUKS1 and LUKS2: destroyed, proven gone, clear (a loop device) ----
for ver in 1 2; do
	img=$T/luks$ver.img
	dev=$(luks $ver "$img")
	uuid=$(cryptsetup luksUUID "$dev")
	opens "$dev" || die "luks$ver: the passphrase does not open the fresh volume"
	cp "$img" "$T/copy$ver.img"
	"$DISPOSE" erase -y --progress none -m crypto-luks --category clear --run-dir "$T/r$ver" "$dev" \
		>"$T/out$ver" 2>"$T/err$ver" || die "luks$ver: erase exit $?: $(cat "$T/err$ver")"
	opens "$dev" && die "luks$ver: the passphrase still opens it"
	cryptsetup luksDump "$dev" >/dev/null 2>&1 && die "luks$ver: luksDump finds a header"
	[ -z "$(blkid -p -o value -s TYPE "$dev")" ] || die "luks$ver: blkid: $(blkid -p "$dev")"
	check_chain "$T/r$ver"
	e=$(end_of "$T/r$ver")
	[ "$(field "$e" status)" = success ] || die "luks$ver: status: $e"
	[ "$(field "$e" technique)" = crypto-luks ] || die "luks$ver: technique: $e"
	[ "$(field "$e" category_requested)" = clear ] || die "luks$ver: requested: $e"
	[ "$(field "$e" nist_category)" = clear ] || die "luks$ver: category: $e"
	[ "$(field "$e" category_reason)" = "a loop device: its medium is a file; the medium under it was not examined" ] ||
		die "luks$ver: category reason: $e"
	# the sample: 64 blocks after the header, each ciphertext (random here) or zeros (LUKS1's below 16 MiB)
	[ $(($(field "$e" data_sample.ciphertext_like) + $(field "$e" data_sample.zeros))) = 64 ] &&
		[ "$(field "$e" data_sample.ciphertext_like)" -ge 32 ] || die "luks$ver: data sample: $e"
	[ "$(field "$e" luks.volume.uuid)" = "$uuid" ] || die "luks$ver: uuid: $e"
	[ "$(field "$e" luks.outcome)" = ok ] || die "luks$ver: outcome: $e"
	hend=$(field "$e" luks.volume.header_area_length)
	[ "$(field "$e" luks.volume.header_area_sha256)" = "$(head -c "$hend" "$T/copy$ver.img" | sha256sum | cut -d' ' -f1)" ] ||
		die "luks$ver: the recorded header digest is not the old header's"
	# the order: the header recorded (synced) before it was destroyed
	[ "$(grep -o '"event":"[a-z_]*"' "$T/r$ver/events.jsonl" | grep -E 'target|luks_' | cut -d'"' -f4 | tr '\n' ' ')" = \
	  "target luks_header luks_destroyed target_end " ] || die "luks$ver: events: $(cat "$T/r$ver/events.jsonl")"
	# bytes: no non-zero 4 KiB block of the old header area anywhere; the data area as it was
	python3 - "$T/copy$ver.img" "$img" "$hend" <<'PY' || die "luks$ver: old header bytes survive"
import sys
old = open(sys.argv[1], "rb").read()
now = open(sys.argv[2], "rb").read()
end = int(sys.argv[3])
assert len(old) == len(now)
blocks = {now[i:i + 4096] for i in range(0, len(now), 4096)}
for b in range(0, end, 4096):
    blk = old[b:b + 4096]
    if blk.count(0) != 4096 and blk in blocks:
        sys.exit("old header block at %d survives" % b)
assert old[end:] == now[end:], "data area changed"
PY
	ok "luks$ver: destroyed and proven gone, clear (a loop device), data area untouched"
done

# ---- a header backup elsewhere, found by an inventory, defeats purge ----
dev=$(luks 2 "$T/bk.img")
uuid=$(cryptsetup luksUUID "$dev")
mkdir -p "$T/backups"
cryptsetup luksHeaderBackup "$dev" --header-backup-file "$T/backups/vol.hdr" || die "luksHeaderBackup"
"$DISPOSE" inventory --keys --root "$T/backups" -o "$T/inv.json" >/dev/null 2>"$T/inv.err" ||
	die "inventory: $(cat "$T/inv.err")"
before=$(sha "$dev")
want 5 "backup" "$DISPOSE" erase -y --progress none -m crypto-luks --inventory "$T/inv.json" \
	--run-dir "$T/rb" "$dev"
grep -q "^dispose: $dev: .*$T/backups/vol.hdr" "$T/err" || die "backup: not named: $(cat "$T/err")"
grep -q -- "--category clear" "$T/err" || die "backup: what to do is not said: $(cat "$T/err")"
[ "$(sha "$dev")" = "$before" ] || die "backup: the device was written"
opens "$dev" || die "backup: the volume no longer opens"
"$DISPOSE" erase -y --progress none -m crypto-luks --category clear --inventory "$T/inv.json" \
	--run-dir "$T/rc" "$dev" >"$T/out" 2>"$T/err" || die "backup clear: exit $?: $(cat "$T/err")"
e=$(end_of "$T/rc")
[ "$(field "$e" status)" = success ] || die "backup clear: $e"
[ "$(field "$e" category_requested)" = clear ] || die "backup clear: requested: $e"
[ "$(field "$e" nist_category)" = clear ] || die "backup clear: category: $e"
[ "$(field "$e" header_backups.0.path)" = "$T/backups/vol.hdr" ] || die "backup clear: backups: $e"
[ "$(field "$e" header_backups.0.uuid)" = "$uuid" ] || die "backup clear: backup uuid: $e"
field "$e" caveats | grep -q "LUKS header backup $T/backups/vol.hdr has this volume's UUID and survives" ||
	die "backup clear: caveat: $e"
grep -q "$T/backups/vol.hdr" "$T/err" || die "backup clear: the verdict does not name the backup: $(cat "$T/err")"
opens "$dev" && die "backup clear: still opens"
# the backup still restores the volume: that is why it defeats purge
cryptsetup luksHeaderRestore --batch-mode "$dev" --header-backup-file "$T/backups/vol.hdr" &&
	opens "$dev" || die "backup: restoring the header does not bring the volume back"
ok "a header backup an inventory finds: purge refused (exit 5, nothing written); clear names it"

# the backup a target of the same run: erased first, then clear with no backup caveat (a
# loop device: clear at most; --category would refuse the file, so a crypto-luks method of category clear)
sed 's/"category": "purge"/"category": "clear"/' "$SRCDIR/profiles/methods/crypto-luks.json" \
	>"$T/crypto-luks-clear.json" || die "method file"
"$DISPOSE" erase -y --progress none --inventory "$T/inv.json" --run-dir "$T/rp" \
	-m zero "$T/backups/vol.hdr" -m "$T/crypto-luks-clear.json" "$dev" >"$T/out" 2>"$T/err" ||
	die "backup in the run: exit $?: $(cat "$T/err")"
[ -e "$T/backups/vol.hdr" ] && die "backup in the run: the backup file is still there"
e=$(python3 - "$T/rp/events.jsonl" "$dev" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ids = {e["target"]: e["path"] for e in ev if e["event"] == "target"}
t = [i for i, p in ids.items() if p == sys.argv[2]][0]
print(json.dumps([e for e in ev if e["event"] == "target_end" and e["target"] == t][-1]))
PY
)
[ "$(field "$e" nist_category)" = clear ] || die "backup in the run: category: $e"
[ "$(field "$e" header_backups.0.erased_in_run)" = true ] || die "backup in the run: backups: $e"
field "$e" caveats | grep -q "vol.hdr has this volume's UUID and survives" &&
	die "backup in the run: still said to survive: $e"
opens "$dev" && die "backup in the run: still opens"
ok "the backup named as a target of the same run: erased first, not a survivor"

# ---- flash: clear at most ----
dev=$(luks 2 "$T/flash.img")
echo 0 >"/sys/block/${dev#/dev/}/queue/rotational" 2>/dev/null ||
	skip "cannot mark a loop device non-rotational"
before=$(sha "$dev")
want 5 "flash" "$DISPOSE" erase -y --progress none -m crypto-luks --run-dir "$T/rf" "$dev"
grep -q "^dispose: $dev: .*flash" "$T/err" || die "flash: $(cat "$T/err")"
[ "$(sha "$dev")" = "$before" ] || die "flash: the device was written"
"$DISPOSE" erase -y --progress none -m crypto-luks --category clear --run-dir "$T/rf2" "$dev" \
	>"$T/out" 2>"$T/err" || die "flash clear: exit $?: $(cat "$T/err")"
e=$(end_of "$T/rf2")
[ "$(field "$e" nist_category)" = clear ] || die "flash clear: $e"
field "$e" caveats | grep -q "flash spare area: old key material may survive outside the LBA space" ||
	die "flash clear: caveat: $e"
opens "$dev" && die "flash clear: still opens"
ok "flash: purge refused (exit 5, nothing written), clear with the spare-area caveat"

# ---- an open volume (a device holds it) is refused ----
dev=$(luks 2 "$T/held.img")
upper=$(losetup -f --show "$dev") || die "losetup over $dev"
track_loop "$upper"
before=$(sha "$dev")
want 4 "held" "$DISPOSE" erase -y --progress none -m crypto-luks --run-dir "$T/rh" "$dev"
grep -q "^dispose: $dev" "$T/err" || die "held: $(cat "$T/err")"
[ "$(sha "$dev")" = "$before" ] || die "held: the device was written"
losetup -d "$upper" && sed -i "\#^$upper\$#d" "$T/.loops"	# cleanup must not detach its next owner
opens "$dev" || die "held: the volume no longer opens"
ok "an open volume is refused (exit 4), nothing written"

# ---- --then zero: every byte zero afterwards, one target in the record ----
"$DISPOSE" erase -y --progress none -m crypto-luks --category clear --then zero --run-dir "$T/rt" "$dev" \
	>"$T/out" 2>"$T/err" || die "then: exit $?: $(cat "$T/err")"
cmp -s -n $((SIZE << 20)) "$dev" /dev/zero || die "then: not every byte is zero"
e=$(end_of "$T/rt")
[ "$(field "$e" status)" = success ] || die "then: $e"
[ "$(field "$e" nist_category)" = clear ] || die "then: category: $e"
[ "$(field "$e" then.method)" = zero ] || die "then: method: $e"
[ "$(field "$e" then.bytes_verified)" = $((SIZE << 20)) ] || die "then: verified: $e"
[ "$(grep -c '"event":"target_end"' "$T/rt/events.jsonl")" = 1 ] || die "then: more than one target_end"
[ "$(grep -c '"event":"target"' "$T/rt/events.jsonl")" = 1 ] || die "then: more than one target"
check_last_pass "$dev" "$T/rt" t1
ok "--then zero: the whole device zero, verified, under the one target"

# ---- interrupted in the --then passes, resumed: never destroyed twice, finished ----
dev=$(luks 2 "$T/resume.img")
"$DISPOSE" erase -y --progress none -m crypto-luks --category clear --then zero --checkpoint-interval 2M \
	--test-delay-ms 40 --run-dir "$T/rr" "$dev" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 400); do
	c=$(grep -c '"event":"checkpoint"' "$T/rr/events.jsonl" 2>/dev/null)
	[ "${c:-0}" -ge 2 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] || die "resume: SIGINT: exit $rc, want 130: $(cat "$T/err")"
e=$(end_of "$T/rr")
[ "$(field "$e" status)" = interrupted ] || die "resume: first end: $e"
[ "$(field "$e" luks.outcome)" = ok ] || die "resume: first end: destroy: $e"
cmp -s -n $((SIZE << 20)) "$dev" /dev/zero && die "resume: all zero before the resume; slow it down"
"$DISPOSE" erase -y --progress none --resume --run-dir "$T/rr" >"$T/out" 2>"$T/err" ||
	die "resume: exit $?: $(cat "$T/err")"
cmp -s -n $((SIZE << 20)) "$dev" /dev/zero || die "resume: not every byte is zero"
e=$(end_of "$T/rr")
[ "$(field "$e" status)" = success ] || die "resume: $e"
[ "$(field "$e" nist_category)" = clear ] || die "resume: category: $e"
[ "$(field "$e" then.status)" = success ] || die "resume: then: $e"
[ "$(grep -c '"event":"luks_destroyed"' "$T/rr/events.jsonl")" = 1 ] || die "resume: destroyed twice"
[ "$(grep -c '"event":"luks_header"' "$T/rr/events.jsonl")" = 1 ] || die "resume: header recorded twice"
grep -q '"event":"target_resumed"' "$T/rr/events.jsonl" || die "resume: no target_resumed"
check_chain "$T/rr"
check_last_pass "$dev" "$T/rr" t1
ok "interrupted in --then, resumed: the header destroyed once, the passes finished, clear"
