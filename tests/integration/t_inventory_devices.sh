#!/bin/bash
# t_inventory_devices.sh - `dispose inventory --devices --json` agrees with blkid
# on loop devices holding ext4 (labelled, mounted), LUKS2, swap and nothing.
# run alone: lists every block device (another test's loop devices come and go)
. "$SRCDIR/tests/integration/lib.sh"
need_root
help=$("$DISPOSE" inventory --help 2>&1) || skip "inventory --help fails"
case $help in *"not implemented"*) skip "inventory not implemented yet" ;; esac
command -v blkid >/dev/null || skip "no blkid"

img() { truncate -s "$2" "$T/$1.img" && echo "$T/$1.img"; }
attach() { local d; d=$(losetup -f --show "$1") || die "losetup $1"; track_loop "$d"; echo "$d"; }

i=$(img ext4 16M) && mkfs.ext4 -q -L it-label "$i" || die "mkfs.ext4"
ext4=$(attach "$i")
i=$(img luks 32M)
echo -n pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
	--pbkdf-force-iterations 1000 "$i" - || die "luksFormat"
luks=$(attach "$i")
i=$(img swap 16M) && mkswap -q -L it-swap "$i" >/dev/null || die "mkswap"
swap=$(attach "$i")
empty=$(attach "$(img empty 8M)")
mkdir -p "$T/mnt" && mount -o ro "$ext4" "$T/mnt" || die "mount"
track_mount "$T/mnt"

"$DISPOSE" inventory --devices --json >"$T/inv.json" 2>"$T/err" ||
	die "inventory exited $? ($(head -3 "$T/err"))"

check() {	# DEV: type/uuid/label as blkid's low-level probe sees them
	local dev=$1 tag key want got
	for tag in TYPE UUID LABEL; do
		key=${tag,,}
		want=$(blkid -p -o value -s "$tag" "$dev" 2>/dev/null)
		got=$(python3 - "$T/inv.json" "$dev" "$key" <<'PY'
import json, sys
doc, dev, key = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
def walk(o):
    if isinstance(o, dict):
        if o.get("path") == dev and "partitions" in o:
            yield o
        for v in o.values():
            yield from walk(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v)
found = list(walk(doc))
if len(found) != 1:
    sys.exit("%s: found %d times" % (dev, len(found)))
v = found[0].get(key, "MISSING")
print("" if v is None else v)
PY
) || die "$dev: not in the inventory"
		[ "$got" = "$want" ] || die "$dev: $key is '$got', blkid says '$want'"
	done
	ok "$dev: type/uuid/label match blkid"
}
check "$ext4"; check "$luks"; check "$swap"; check "$empty"

python3 - "$T/inv.json" "$ext4" "$T/mnt" "$luks" "$swap" <<'PY' || die "fields"
import json, sys
doc = json.load(open(sys.argv[1]))
ext4, mnt, luks, swap = sys.argv[2:6]
def walk(o):	# device objects wherever the document puts them
    if isinstance(o, dict):
        if "path" in o and "partitions" in o:
            yield o
        for v in o.values():
            yield from walk(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v)
devs = {d["path"]: d for d in walk(doc)}
e = devs[ext4]
assert e["type"] == "ext4" and e["label"] == "it-label", e
assert mnt in e["mountpoints"], e["mountpoints"]
assert e["holds_root"] is False and e["swap_active"] is False
assert e["size"] == 16 << 20 and e["logical_sector"] == 512
assert devs[luks]["type"] == "crypto_LUKS", devs[luks]
assert devs[swap]["type"] == "swap" and devs[swap]["swap_active"] is False
PY
ok "mountpoints, sizes and flags"

# a label and a backing file name that are not UTF-8 keep the document valid UTF-8
i="$T/lat"$'\xe9'".img"
truncate -s 8M "$i" && mkfs.ext4 -q "$i" && tune2fs -L $'bad\xff\xfelbl' "$i" >/dev/null || die "mkfs bad label"
bad=$(attach "$i")
"$DISPOSE" inventory --devices --json >"$T/inv2.json" || die "inventory with a bad label"
python3 - "$T/inv2.json" "$bad" <<'PY' || die "not valid UTF-8 JSON, or label/backing file lost"
import json, sys
doc = json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "strict"))
d = [x for x in doc["devices"] if x["path"] == sys.argv[2]][0]
assert d["label"] == "bad\ufffd\ufffdlbl", d["label"]
assert d["backing_file"].endswith("/lat\ufffd.img"), d["backing_file"]
PY
ok "non-UTF-8 label and backing file"

# a second loop device over the mounted ext4 image is the same medium: in_use
# says so, as erase refuses it
alias=$(losetup -f --show "$(losetup -nO BACK-FILE "$ext4")") || die "alias loop"
track_loop "$alias"
"$DISPOSE" inventory --devices --json >"$T/inv3.json" || die "inventory with an alias"
python3 - "$T/inv3.json" "$alias" "$ext4" <<'PY' || die "alias of a mounted device not in use"
import json, sys
doc = json.load(open(sys.argv[1]))
d = [x for x in doc["devices"] if x["path"] == sys.argv[2]][0]
assert d["in_use"] and "mounted" in d["in_use"], d["in_use"]
PY
ok "an alias of a mounted device is in use"
