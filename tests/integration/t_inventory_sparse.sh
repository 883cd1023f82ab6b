#!/bin/bash
# t_inventory_sparse.sh - inventory --hash on a 1 TiB sparse file: holes are
# skipped, and its sha256_sparse equals what the recipe in
# dispose-inventory(5) computes with python3; small holes keep plain sha256
. "$SRCDIR/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 not installed"

D=$T/sparse
mkdir -p "$D"
python3 - "$D" <<'PY' || skip "this file system cannot hold a 1 TiB sparse file"
import os, sys
d = sys.argv[1]
def mk(name, size, parts):
    fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.ftruncate(fd, size)
    for off, data in parts:
        os.pwrite(fd, data, off)
    os.close(fd)
# 1 TiB, a few data extents: the first block, one across a block boundary
# in the middle, written zeros (data the file system keeps, zero all the same), the end
mk("huge.img", 1 << 40, [(0, b"head" * 1024), ((512 << 30) + 4000, os.urandom(9000)),
                         ((700 << 30), bytes(65536)), ((1 << 40) - 10, b"0123456789")])
mk("medium.img", 130 << 20, [(100, os.urandom(5000)), ((128 << 20) + 7, b"tail")])
mk("holey.txt", 1 << 20, [(0, b"x" * 10), ((1 << 20) - 10, b"y" * 10)])   # a 1 MiB hole
PY

# the recipe, exactly as the man page prints it
awk '/^\.\\" recipe: sha256_sparse/ { on = 1; next } on && /^\.Bd/ { next } on && /^\.Ed/ { exit } on' \
	"$SRCDIR/man/dispose-inventory.5" | sed 's/\\e/\\/g' >"$T/recipe.py"
[ -s "$T/recipe.py" ] || die "no sha256_sparse recipe in man/dispose-inventory.5"

"$DISPOSE" inventory --data --hash --root "$D" --json >"$T/doc.json" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] || { cat "$T/err"; die "inventory --data --hash exited $rc"; }
ok "inventory --hash over a 1 TiB sparse file finished (exit 0)"

python3 - "$T/doc.json" "$D" "$T/recipe.py" <<'PY' || die "digests differ"
import hashlib, json, subprocess, sys
doc, d, recipe = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
files = {f["path"]: f for f in doc["files"]}
assert doc["errors"] == [] and doc["complete"] is True, doc["errors"]
def by_recipe(p):
    return subprocess.run(["python3", recipe, p], check=True, capture_output=True,
                          text=True).stdout.strip()
def by_definition(p):
    # every byte read: 4096-byte blocks from 0, maximal runs of non-zero blocks
    b = open(p, "rb").read()
    top = hashlib.sha256(b"dispose-sparse-v1 %d\n" % len(b))
    runs, start = [], None
    for o in range(0, len(b), 4096):
        z = not any(b[o:o + 4096])
        if z and start is not None: runs.append((start, o)); start = None
        if not z and start is None: start = o
    if start is not None: runs.append((start, len(b)))
    for s, e in runs:
        top.update(b"%d %d %s\n" % (s, e - s, hashlib.sha256(b[s:e]).hexdigest().encode()))
    return top.hexdigest()
huge, med, small = (files[d + "/" + n] for n in ("huge.img", "medium.img", "holey.txt"))
assert huge["size"] == 1 << 40 and "sha256" not in huge, huge
want = by_recipe(d + "/huge.img")
assert huge["sha256_sparse"] == want, (huge["sha256_sparse"], want)
# the recipe computes the definition (checked where reading every byte is cheap)
assert by_recipe(d + "/medium.img") == by_definition(d + "/medium.img") == med["sha256_sparse"], med
assert "sha256_sparse" not in small, small
assert small["sha256"] == hashlib.sha256(open(d + "/holey.txt", "rb").read()).hexdigest(), small
print("huge.img", want)
PY
ok "sha256_sparse equals the man page's python3 recipe; a 1 MiB hole keeps plain sha256"
exit 0
