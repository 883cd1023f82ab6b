#!/bin/bash
# t_erase_auto.sh - --method auto on a plain loop device, a LUKS2 volume on
# a loop device and a file: --dry-run names the method chosen and why and
# writes nothing; the erase runs the chosen method (nist-clear, crypto-luks,
# nist-clear) and the record says which and why (auto_reason), with the
# overwrite's technique and category asked for; a loop device is not an ATA
# drive, so no hidden area is recorded and its HPA/DCO caveat stays.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "cryptsetup missing"
UUID=1234abcd-0000-4000-8000-00000000d15e

plain=$(mkloop 8)
fill_marker "$plain" 8
img=$T/luks.img
truncate -s 24M "$img" || die "truncate"
printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 --uuid "$UUID" "$img" - >/dev/null || die "luksFormat"
luks=$(losetup -f --show "$img") || skip "losetup unavailable"
track_loop "$luks"
mkdir -p "$T/d"
f=$T/d/f.bin
fill_marker "$f" 1
sync
before=$(count_marker "$plain")

want_plain="no device sanitize (loop device): overwrite with verification"
if [ "$(cat "/sys/block/$(basename "$luks")/queue/rotational")" = 1 ]; then
	want_luks="LUKS2 volume $UUID on a rotational medium"
else
	want_luks="LUKS2 volume $UUID on flash: Clear, old key material may survive in the spare area; no device sanitize (loop device)"
fi
want_file="a file: overwrite"

# 1. the dry run says what auto chose and why, and writes nothing
"$DISPOSE" erase --dry-run --method auto "$plain" "$luks" "$f" >"$T/dry.out" 2>"$T/dry.err" ||
	die "dry run: exit $?: $(cat "$T/dry.err")"
for w in "$want_plain" "$want_luks" "$want_file"; do
	grep -qF -- "$w" "$T/dry.out" "$T/dry.err" || die "dry run does not say '$w': $(cat "$T/dry.out" "$T/dry.err")"
done
[ "$(count_marker "$plain")" = "$before" ] && [ "$before" -gt 0 ] || die "dry run wrote $plain"
cryptsetup isLuks "$luks" || die "dry run: the LUKS header is gone"
ok "auto --dry-run: the choice and its reason per target, nothing written"

# 2. the erase runs the chosen methods and records why
"$DISPOSE" erase --yes --progress none --method auto --run-dir "$T/r" "$plain" "$luks" "$f" \
	>"$T/out" 2>"$T/err" || die "erase: exit $?: $(cat "$T/err")"
check_chain "$T/r"
python3 - "$T/r/events.jsonl" "$plain" "$luks" "$f" "$want_plain" "$want_luks" "$want_file" <<'PY' ||
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
plain, luks, f, wp, wl, wf = sys.argv[2:8]
tid = {e["path"]: e["target"] for e in evs if e["event"] == "target"}
def ev(name, path):
    return [e for e in evs if e["event"] == name and e["target"] == tid[path]][-1]
t, end = ev("target", plain), ev("target_end", plain)
assert t["method"]["name"] == "nist-clear" and t["auto_reason"] == wp, t
assert t["technique"] == "overwrite" and t["category_requested"] == "clear", t
assert "hidden" not in t and "hidden" not in end, end
assert end["status"] == "success" and end["nist_category"] == "clear", end
assert end["technique"] == "overwrite", end
assert "host protected area / device configuration overlay not examined: the overwrite covers " \
       "the size the kernel reports" in end["caveats"], end
t = ev("target", luks)
assert t["method"]["name"] == "crypto-luks" and t["auto_reason"] == wl, t
assert ev("target_end", luks)["status"] == "success", ev("target_end", luks)
t = ev("target", f)
assert t["method"]["name"] == "nist-clear" and t["auto_reason"] == wf, t
PY
	die "record: $(cat "$T/err")"
[ "$(count_marker "$plain")" = 0 ] || die "$plain: the marker survived"
[ ! -e "$f" ] || die "$f: still there"
cryptsetup isLuks "$luks" 2>/dev/null && die "$luks: the LUKS header survived"
ok "auto: nist-clear on a loop device, crypto-luks on a LUKS2 volume, nist-clear on a file, each with its reason in the record"
