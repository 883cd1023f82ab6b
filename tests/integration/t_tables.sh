#!/bin/bash
# t_tables.sh - tables the lsblk way (archive status, inventory's device table):
# --json parsed by python3, --raw, --columns, --noheadings; a long name keeps
# the columns aligned, a name that is not UTF-8 is json.h's \xHH text (its
# bytes in <key>_hex with --json), never raw bytes; the default inventory is
# a summary of one screen while -o FILE holds every item.
. "$SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
command -v zstd >/dev/null || skip "needs zstd"
D=$DISPOSE
export LC_ALL=C.UTF-8
FF=$'\xff'

# ---- archive status ----
mkdir -p "$T/src" "$T/st"
echo hello >"$T/src/f"
$D archive create --run-dir "$T/run" --root "$T/src" --retain-until 2001-01-01 --series OLD \
	-o "$T/st/a.tar.zst" >/dev/null 2>"$T/create.err" || die "create: $(cat "$T/create.err")"
# status reads NAME.bag-info.txt beside NAME: copies under other names are archives to it
LONG=$(printf 'l%.0s' $(seq 150)).tar.zst
BAD="b${FF}d.tar.zst"
for n in "$LONG" "$BAD"; do
	cp "$T/st/a.tar.zst" "$T/st/$n" && cp "$T/st/a.tar.zst.bag-info.txt" "$T/st/$n.bag-info.txt" ||
		die "copy $n"
done

$D archive status -J "$T/st" >"$T/st.json" 2>"$T/st.err" || die "status -J: exit $? $(cat "$T/st.err")"
python3 - "$T/st.json" "$T/st" <<'PY' || die "status -J: $(cat "$T/st.json")"
import json, sys
d = json.load(open(sys.argv[1]))
st = sys.argv[2]
rows = d["archives"]
assert len(rows) == 3, rows
want = {"archive", "series", "retain_until", "hold", "encrypted", "status"}
for r in rows:
    assert want <= set(r), r
    assert r["series"] == "OLD" and r["retain_until"] == "2001-01-01", r
    assert r["hold"] is False and r["status"] == "eligible", r
names = {bytes.fromhex(r["archive_hex"]) if "archive_hex" in r else r["archive"].encode() for r in rows}
exp = {(st + "/" + n).encode() for n in ("a.tar.zst", "l" * 150 + ".tar.zst")}
exp.add(st.encode() + b"/b\xffd.tar.zst")
assert names == exp, names
bad = [r for r in rows if "archive_hex" in r]
assert len(bad) == 1 and bad[0]["archive"] == st + "/b\\xffd.tar.zst", bad
PY
ok "archive status -J: every row, the non-UTF-8 name's bytes in archive_hex"

$D archive status "$T/st" >"$T/st.txt" 2>"$T/st.err" || die "status: exit $? $(cat "$T/st.err")"
LC_ALL=C grep -q "$FF" "$T/st.txt" && die "status printed a raw invalid byte: $(cat -v "$T/st.txt")"
grep -qF "$T/st/b\\xffd.tar.zst " "$T/st.txt" || die "status: no \\xff text: $(cat -v "$T/st.txt")"
python3 - "$T/st.txt" <<'PY' || die "status misaligned: $(cat "$T/st.txt")"
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == 4, lines
col = lines[0].index("STATUS")
for l in lines[1:]:
    assert l[col:].rstrip() == "eligible", (col, l)
    assert l.index(" 2001-01-01 ") + 1 == lines[0].index("RETAIN-UNTIL"), l
PY
ok "archive status table: a 150-character name keeps the columns aligned"

$D archive status --raw "$T/st" >"$T/st.raw" || die "status --raw"
LC_ALL=C grep -q "$FF" "$T/st.raw" && die "--raw printed a raw invalid byte"
python3 - "$T/st.raw" <<'PY' || die "status --raw: $(cat -v "$T/st.raw")"
import sys
lines = open(sys.argv[1], "rb").read().decode("ascii").splitlines()
assert lines[0].split() == ["ARCHIVE", "SERIES", "RETAIN-UNTIL", "HOLD", "ENCRYPTED", "STATUS"], lines[0]
assert len(lines) == 4
for l in lines[1:]:
    f = l.split(" ")
    assert len(f) == 6 and f[1:] == ["OLD", "2001-01-01", "no", "no", "eligible"], f
# raw keeps libsmartcols' encoding over json.h's text: the backslash is \x5c
assert any(l.split(" ")[0].endswith("/b\\x5cxffd.tar.zst") for l in lines), lines
PY
$D archive status --raw --noheadings --columns STATUS,archive "$T/st" >"$T/st.sel" ||
	die "status --columns"
[ "$(wc -l <"$T/st.sel")" = 3 ] || die "--noheadings: $(cat "$T/st.sel")"
awk 'NF != 2 || $1 != "eligible" { exit 1 }' "$T/st.sel" || die "--columns STATUS,archive: $(cat "$T/st.sel")"
$D archive status --columns +BYTES,files -J "$T/st" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["archives"]:
    assert r["files"] == 1 and r["bytes"] == 6 and "status" in r, r
' || die "--columns +BYTES,files -J"
$D archive status --columns NOPE "$T/st" >"$T/o" 2>"$T/e"
rc=$?
[ $rc -eq 2 ] || die "--columns NOPE: exit $rc"
[ ! -s "$T/o" ] || die "--columns NOPE printed: $(cat "$T/o")"
grep -qx "dispose: --columns: NOPE: unknown column" "$T/e" || die "--columns NOPE: $(cat "$T/e")"
ok "archive status --raw, --noheadings, --columns (unknown: exit 2, nothing printed)"

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
