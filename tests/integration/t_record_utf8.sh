#!/bin/bash
# t_record_utf8.sh - erase files and a tree whose names are not UTF-8 and hold
# newlines, quotes and backslashes: every line of events.jsonl is strict UTF-8
# and parses as JSON, the chain verifies, and each original name is recovered
# byte for byte from the record (dispose-record(5): <key>_hex), compared with
# the names os.listdir gave before the erase. Archive create's record too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 missing"
command -v python3 >/dev/null || skip "python3 missing"
dev=$(mkloop 32 "$T/fs.img") || die "mkloop"
mkfs.ext4 -q -F "$dev" || die "mkfs"
mkdir "$T/mnt"
mount "$dev" "$T/mnt" || skip "cannot mount ext4"
track_mount "$T/mnt"
M=$T/mnt

f1=$M/$'latin1-\xe9-\xff.bin'
f2=$M/$'a\nb'
f3=$M/'q"uote\'
tree=$M/$'tree-\xfe'
mkdir -p "$tree/"$'sub\\dir-\xc3'
for f in "$f1" "$f2" "$f3" "$tree/"$'x\xe9\ny' "$tree/"$'sub\\dir-\xc3/'$'b"\x01\x7f.bin' \
	"$tree/plain.txt"; do
	fill_marker "$f" 1
done
sync

# the names as bytes, before anything is erased
python3 - "$M" >"$T/names.hex" <<'PY' || die "listdir"
import os, sys
root = os.fsencode(sys.argv[1])
for d, dirs, files in os.walk(root):
    if d == root:
        dirs.remove(b"lost+found")
    for n in dirs + files:
        print(os.path.join(d, n).hex())
PY
[ "$(wc -l <"$T/names.hex")" -ge 8 ] || die "expected 8 names, got $(wc -l <"$T/names.hex")"

"$DISPOSE" erase --yes --progress none --run-dir "$T/r1" "$f1" "$f2" "$f3" "$tree" \
	>"$T/out" 2>&1 || { cat "$T/out"; die "erase failed"; }
[ ! -e "$f1" ] && [ ! -e "$f2" ] && [ ! -e "$f3" ] && [ ! -e "$tree" ] || die "not removed"
[ "$(count_marker "$T/fs.img")" = 0 ] || die "marker left on the image"

# strict: every line UTF-8 and JSON; the names recovered exactly
# check_record DIR: events.jsonl and any other *.jsonl of DIR (archive item lists)
check_record() {
	python3 - "$1" "$T/names.hex" <<'PY'
import glob, json, os, sys
d, names = sys.argv[1], sys.argv[2]
expect = [bytes.fromhex(l.strip()) for l in open(names) if l.strip()]
found = set()

def exact(obj, key):
    """the exact bytes of obj[key]: <key>_hex when present (dispose-record(5))"""
    if key + "_hex" in obj:
        b = bytes.fromhex(obj[key + "_hex"])
        text = obj[key]
        # the readable text is the escape of those bytes
        assert "\\x" in text, ("escaped text", text)
        return b
    return obj[key].encode("utf-8")

def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if isinstance(v, str) and not k.endswith("_hex"):
                found.add(exact(o, k))
            elif isinstance(v, dict) and set(v) == {"text", "hex"}:
                found.add(bytes.fromhex(v["hex"]))
            else:
                walk(v)
    elif isinstance(o, list):
        for v in o:
            if isinstance(v, dict) and set(v) == {"text", "hex"}:
                found.add(bytes.fromhex(v["hex"]))
            elif isinstance(v, str):
                found.add(v.encode("utf-8"))
            else:
                walk(v)

lines = 0
for path in sorted(glob.glob(os.path.join(d, "*.jsonl"))):
    raw = open(path, "rb").read()
    assert raw.endswith(b"\n"), ("torn last line", path)
    for n, line in enumerate(raw.split(b"\n")[:-1], 1):
        text = line.decode("utf-8", errors="strict")      # raises on a bad byte
        ev = json.loads(text)
        assert isinstance(ev, dict), (path, n)
        if path.endswith("/events.jsonl"):
            assert ev["seq"] == n, n
        walk(ev)
        lines += 1
missing = [e for e in expect if e not in found]
assert not missing, ("names not recoverable from the record", missing)
print("lines", lines, "names", len(expect))
PY
}
check_record "$T/r1" || die "record of the erase"
check_chain "$T/r1"
ok "erase: every record line strict UTF-8 JSON, every name recovered byte for byte"

# dispose-record(5)'s auditor recipes, as the page prints them, on this record
if command -v mandoc >/dev/null && command -v jq >/dev/null; then
	mandoc -Tascii "$SRCDIR/man/dispose-record.5" | col -b >"$T/man.txt"
	python3 - "$T/man.txt" "$T/ex" <<'PY' || die "examples not found in dispose-record.5"
import sys
t = open(sys.argv[1]).read()
ex = t[t.index("EXAMPLES"):t.index("SEE ALSO")]
blocks, cur = [], []
for line in ex.split("\n"):
    if line.startswith("\t"):
        cur.append(line.expandtabs(8)[11:])
    elif cur:
        blocks.append("\n".join(cur)); cur = []
assert len(blocks) == 3, len(blocks)
for i, b in enumerate(blocks):
    open("%s%d.sh" % (sys.argv[2], i), "w").write(b + "\n")
PY
	head=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read().rstrip(b"\n").split(b"\n")[-1]).hexdigest())' "$T/r1/events.jsonl")
	for i in 0 1; do
		sed "s|RUN/|$T/r1/|" "$T/ex$i.sh" >"$T/run$i.sh"
		bash "$T/run$i.sh" >"$T/exout" 2>&1 || die "recipe $i failed: $(cat "$T/exout")"
		grep -q "head $head" "$T/exout" || die "recipe $i: wrong head: $(cat "$T/exout")"
	done
	mkdir "$T/bad"
	sed '3s/"seq":3,/"seq":3 ,/' "$T/r1/events.jsonl" >"$T/bad/events.jsonl"
	sed "s|RUN/|$T/bad/|" "$T/ex0.sh" >"$T/bad0.sh"
	sed "s|RUN/|$T/bad/|" "$T/ex1.sh" >"$T/bad1.sh"
	bash "$T/bad0.sh" >/dev/null 2>&1 && die "python recipe took an edited record"
	bash "$T/bad1.sh" 2>&1 | grep -q "broken at line 4" || die "jq recipe took an edited record"
	# the names recipe gives the exact bytes of each removed file
	sed "s|RUN/|$T/r1/|; s/| xargs.*//" "$T/ex2.sh" >"$T/names.sh"
	bash "$T/names.sh" | python3 -c 'import sys,os; got=set(sys.stdin.buffer.read().split(b"\0")[:-1]); want={os.fsencode(a) for a in sys.argv[1:]}; assert want <= got, (want - got)' "$f1" "$f2" "$f3" ||
		die "names recipe"
	ok "dispose-record(5) recipes: chain head, edit caught, exact names"
fi

# argv of run_start keeps the exact bytes too
python3 - "$T/r1/events.jsonl" "$f1" <<'PY' || die "argv bytes"
import json, os, sys
ev = json.loads(open(sys.argv[1], "rb").readline())
want = os.fsencode(sys.argv[2])
got = []
for a in ev["argv"]:
    got.append(bytes.fromhex(a["hex"]) if isinstance(a, dict) else a.encode())
assert want in got, got
PY
ok "run_start argv exact"

# an interrupted erase of such a file resumes under its exact name
f4=$M/$'slow-\xe9\n.bin'
fill_marker "$f4" 16
sync
printf '%s' "$f4" | od -An -tx1 | tr -d ' \n' >"$T/names.hex"
echo >>"$T/names.hex"
"$DISPOSE" erase --yes --progress none --method dod-5220-22m --checkpoint-interval 4M \
	--test-delay-ms 40 --run-dir "$T/r3" "$f4" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 300); do
	grep -q '"event":"checkpoint"' "$T/r3/events.jsonl" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
kill -s INT "$pid"
wait "$pid"
rc=$?
[ $rc = 130 ] || die "interrupt: expected exit 130, got $rc ($(cat "$T/err"))"
[ -e "$f4" ] || die "interrupted file already gone"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r3" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "resume of a file whose name is not UTF-8 failed"; }
[ ! -e "$f4" ] || die "resumed file not removed"
[ "$(count_marker "$T/fs.img")" = 0 ] || die "marker left after the resume"
events "$T/r3" run_resumed >/dev/null || die "no run_resumed"
check_record "$T/r3" || die "record of the resumed erase"
check_chain "$T/r3"
ok "interrupted erase of a name not UTF-8 resumed from the record"

# archive create of a tree with such names: its record is clean as well
src=$T/src-$'\xe4'
mkdir -p "$src"
printf 'kept\n' >"$src/"$'r\xe9cord\n1.txt'
python3 - "$src" >"$T/names.hex" <<'PY'
import os, sys
root = os.fsencode(sys.argv[1])
for n in os.listdir(root):
    print(os.path.join(root, n).hex())
PY
"$DISPOSE" archive create --root "$src" --retain-until 2099-12-31 --run-dir "$T/r2" \
	-o "$T/arc.tar.zst" >"$T/out" 2>&1 || { cat "$T/out"; die "archive create failed"; }
check_record "$T/r2" || die "record of archive create"
check_chain "$T/r2"
ok "archive create: record strict UTF-8 JSON, names recovered"
