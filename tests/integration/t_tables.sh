#!/bin/bash
# t_tables.sh - tables the lsblk way (archive status, inventory's device table):
# --json parsed by python3, --raw, --columns, --noheadings; a long name keeps
# the columns aligned, a name that is not UTF-8 is json.h's \xHH text (its
# bytes in <key>_hex with --json), never raw bytes; the default inventory is
# a summary of one screen while -o FILE holds every item.
. "$SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
D=$DISPOSE
export LC_ALL=C.UTF-8
FF=$'\xff'

LONG=$(printf 'l%.0s' $(seq 150)).tar.zst
BAD="b${FF}d.tar.zst"

# ---- inventory: a summary of one screen, the full list in -o FILE ----
mkdir -p "$T/r/many" "$T/r/big"
(cd "$T/r/many" && seq 1 4998 | xargs touch) || die "make files"
head -c 300000 /dev/zero >"$T/r/big/$LONG" || die "long file"
head -c 200000 /dev/zero >"$T/r/big/$BAD" || die "non-UTF-8 file"
$D inventory --software --data --keys --root "$T/r" >"$T/sum.txt" 2>"$T/sum.err" ||
	die "summary: exit $? $(cat "$T/sum.err")"
n=$(wc -l <"$T/sum.txt")
[ "$n" -le 40 ] || die "summary of 5000 files: $n lines"
grep -q '^data: *5000 files' "$T/sum.txt" || die "summary counts: $(cat "$T/sum.txt")"
grep -q '{' "$T/sum.txt" && die "summary printed JSON"
grep -q "^full list: .*--json.*-o FILE" "$T/sum.txt" || die "no pointer to the full list"
sed -n '/^largest files:/{n;p}' "$T/sum.txt" | grep -qF "$T/r/big/$LONG" ||
	die "largest file not first: $(cat "$T/sum.txt")"
LC_ALL=C grep -q "$FF" "$T/sum.txt" && die "summary printed a raw invalid byte"
grep -qF "$T/r/big/b\\xffd.tar.zst" "$T/sum.txt" || die "summary: no \\xff text: $(cat "$T/sum.txt")"
$D inventory --data --root "$T/r" -o "$T/inv.json" || die "-o FILE"
python3 - "$T/inv.json" <<'PY' || die "-o FILE does not hold every file"
import json, sys
d = json.load(open(sys.argv[1]))
files = [f for f in d["files"] if f["type"] == "file"]
assert len(files) == 5000, len(files)
assert any(f.get("path_hex", "").endswith("62ff642e7461722e7a7374") for f in files)
PY
ok "inventory: summary of $n lines for 5000 files, -o FILE holds all 5000"
# table options without a device table are a mistake, not ignored
expect_exit 2 $D inventory --data --root "$T/r" --columns NAME
expect_exit 2 $D inventory --devices -o "$T/x.json" --raw
[ ! -e "$T/x.json" ] || die "-o FILE written despite a usage error"

# ---- inventory: the device table (a loop device with two partitions) ----
if [ "$(id -u)" != 0 ] || ! command -v sfdisk >/dev/null; then
	echo "skip: device table: needs root and sfdisk"
	exit 0
fi
truncate -s 32M "$T/disk.img"
printf 'label: gpt\n,8M\n,8M\n' | sfdisk -q "$T/disk.img" >/dev/null || die "sfdisk"
L=$(losetup -f --show -P "$T/disk.img") || die "losetup"
track_loop "$L"
part_nodes "$L" 1 2 || die "partition nodes"
$D inventory --devices >"$T/dev.txt" 2>"$T/dev.err" || true
grep -q "^NAME  *SIZE " "$T/dev.txt" || die "device table heading: $(cat "$T/dev.txt")"
grep -q "^$L  *32.0 MiB gpt " "$T/dev.txt" || die "device row: $(cat "$T/dev.txt")"
grep -q "^├─${L}p1  *8.0 MiB" "$T/dev.txt" && grep -q "^└─${L}p2  *8.0 MiB" "$T/dev.txt" ||
	die "partitions not under their disk: $(cat "$T/dev.txt")"
$D inventory --devices --raw --noheadings --columns NAME,SIZE,TYPE >"$T/dev.raw" 2>/dev/null || true
grep -qx "$L 33554432 gpt" "$T/dev.raw" && grep -qx "${L}p1 8388608 " "$T/dev.raw" ||
	die "device --raw: $(cat "$T/dev.raw")"
$D inventory --devices -J >"$T/dev.json" 2>/dev/null || true
python3 - "$T/dev.json" "$T/dev.raw" "$L" <<'PY' || die "device -J and --raw disagree"
import json, sys
d = json.load(open(sys.argv[1]))
raw = {l.split(" ")[0]: l.split(" ")[1] for l in open(sys.argv[2]).read().splitlines()}
dev = [x for x in d["devices"] if x["path"] == sys.argv[3]]
assert len(dev) == 1, dev
for x in [dev[0]] + dev[0]["partitions"]:
    assert raw[x["path"]] == str(x["size"]), (x["path"], x["size"])
assert len(dev[0]["partitions"]) == 2
PY
expect_exit 2 $D inventory --devices -J --raw
ok "inventory device table: tree, --raw, --columns, the same sizes as -J"
