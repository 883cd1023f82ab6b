#!/bin/bash
# t_inventory_walk.sh - the data walk: symlinks not followed, sha256, mounts, errors[]
. "$SRCDIR/tests/integration/lib.sh"

D=$T/tree
mkdir -p "$D/a/b" "$D/outside" "$D/mnt"
printf 'hello\n' >"$D/a/one.txt"
head -c 100000 /dev/urandom >"$D/a/b/random.bin"
: >"$D/a/empty"
mkdir -p "$T/elsewhere"
echo secret-outside >"$T/elsewhere/should-not-appear"
ln -s "$T/elsewhere" "$D/a/link-out"
ln -s loop1 "$D/loop2"
ln -s loop2 "$D/loop1"
mkfifo "$D/a/fifo"
printf 'caf\xe9\n' >"$D/latin1-"$'\xe9'

"$DISPOSE" inventory --data --hash --root "$D" --json >"$T/doc.json"
rc=$?
[ $rc -eq 0 ] || die "exit $rc"
python3 -m json.tool "$T/doc.json" >/dev/null || die "not valid JSON"

python3 - "$T/doc.json" "$D" <<'PY' || die "walk checks"
import json, sys, hashlib, os
d = json.load(open(sys.argv[1])); root = sys.argv[2]
files = {f["path"]: f for f in d["files"]}
assert d["errors"] == [], d["errors"]
assert "software" not in d and "keys" not in d
assert not any("should-not-appear" in p for p in files), "followed a symlink"
assert files[root + "/a/link-out"]["type"] == "symlink"
assert files[root + "/a/link-out"]["target"].endswith("/elsewhere")
assert files[root + "/loop1"]["type"] == "symlink"
assert files[root + "/a/fifo"]["type"] == "fifo" and "sha256" not in files[root + "/a/fifo"]
for p, f in files.items():
    if f["type"] != "file":
        continue
    if "path_hex" in f:
        p = bytes.fromhex(f["path_hex"]).decode("latin-1").encode("latin-1")
    st = os.lstat(p)
    assert f["size"] == st.st_size and f["ino"] == st.st_ino and f["dev"] == st.st_dev, p
    assert f["nlink"] == st.st_nlink and f["uid"] == st.st_uid and f["gid"] == st.st_gid
    assert int(f["mode"], 8) == st.st_mode & 0o7777
    assert f["sha256"] == hashlib.sha256(open(p, "rb").read()).hexdigest(), p
lossy = [f for f in d["files"] if "path_hex" in f]
assert len(lossy) == 1 and lossy[0]["path"].endswith("latin1-\ufffd"), lossy
assert d["counts"]["files"] == len(d["files"]) and d["complete"] is True
PY
ok "symlinks and loops listed, not followed; stat fields match"

# sha256 against sha256sum, byte for byte
for f in a/one.txt a/b/random.bin a/empty; do
	want=$(sha256sum "$D/$f" | cut -d' ' -f1)
	grep -q "\"path\":\"$D/$f\",[^}]*\"sha256\":\"$want\"" "$T/doc.json" ||
		die "$f: sha256 differs from sha256sum ($want)"
done
ok "sha256 equals sha256sum"

# a mount inside the tree is not crossed, unless it is a root itself
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m none "$D/mnt" 2>/dev/null; then
	track_mount "$D/mnt"
	echo inside >"$D/mnt/on-tmpfs"
	"$DISPOSE" inventory --data --root "$D" -o "$T/m.json" || die "mount walk failed"
	grep -q '"path":"'"$D"'/mnt"' "$T/m.json" || die "mount point itself not listed"
	grep -q on-tmpfs "$T/m.json" && die "walk crossed into the tmpfs mount"
	"$DISPOSE" inventory --data --root "$D" --root "$D/mnt" -o "$T/m2.json" ||
		die "two-root walk failed"
	[ "$(grep -o '"path":"'"$D"'/mnt/on-tmpfs"' "$T/m2.json" | wc -l)" -eq 1 ] ||
		die "a mount given as a root was not walked exactly once"
	[ "$(grep -o '"path":"'"$D"'/mnt"' "$T/m2.json" | wc -l)" -eq 1 ] ||
		die "the mount root was listed twice"
	ok "mount point not crossed; walked once when it is a root"

	# a file bind-mounted over one in the tree is a mount point too: listed, never read
	ssh-keygen -q -t ed25519 -N '' -f "$D/mnt/secret" >/dev/null 2>&1 ||
		printf -- '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIHx1Hc6q3Vg1m3J1nqI1yD0+0v1h2HfWJz5b3o2o0o0o\n-----END PRIVATE KEY-----\n' >"$D/mnt/secret"
	: >"$D/over"
	mount --bind "$D/mnt/secret" "$D/over" || die "bind mount a file"
	track_mount "$D/over"
	"$DISPOSE" inventory --data --keys --hash --root "$D" -o "$T/fb.json" || die "file mount walk failed"
	"$DISPOSE" inventory --keys --root "$D" -o "$T/fb2.json" || die "file mount keys walk failed"
	umount "$D/over"
	python3 - "$T/fb.json" "$T/fb2.json" "$D/over" <<'PY' || die "a file mount point was read"
import json, sys
d, k, over = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
f = [x for x in d["files"] if x["path"] == over]
assert len(f) == 1 and "sha256" not in f[0], f
assert not [x for x in d["keys"] + k["keys"] if x["path"] == over], "key read through the mount"
PY
	ok "a file mount point is listed, not read"
else
	echo "note: tmpfs mount not possible here, mount check skipped"
fi

# a root that does not exist: a missing input, exit 2 before any scan, no document written
"$DISPOSE" inventory --data --root "$T/no-such-dir" -o "$T/e.json" 2>"$T/e.err"
rc=$?
[ $rc -eq 2 ] || die "missing root: exit $rc, want 2"
[ ! -e "$T/e.json" ] || die "missing root: a document was written"
[ "$(wc -l <"$T/e.err")" -eq 1 ] || die "missing root: not one line: $(cat "$T/e.err")"
grep -q "^dispose: $T/no-such-dir: " "$T/e.err" || die "missing root: message does not name it: $(cat "$T/e.err")"
ok "missing root: one line naming it, exit 2, no document"

# one good root and one missing: the same (nothing is scanned with a named root absent)
"$DISPOSE" inventory --data --root "$D" --root "$T/no-such-dir" -o "$T/p.json" 2>"$T/p.err"
rc=$?
[ $rc -eq 2 ] || die "partial: exit $rc, want 2"
[ ! -e "$T/p.json" ] || die "partial: a document was written"
ok "one root missing: exit 2, no document"

# --keys walks regular files only and runs in one walk with --data
"$DISPOSE" inventory --data --keys --root "$D" -o "$T/k.json" || die "--data --keys failed"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d["keys"], list) and len(d["files"]) > 5 and d["counts"]["keys"] == len(d["keys"])
' "$T/k.json" || die "--data --keys document"
ok "--data --keys"

# read-only: nothing in the tree changed (mtimes, contents)
before=$(cd "$D" && find . -printf '%p %T@ %s\n' 2>/dev/null | sort | md5sum)
"$DISPOSE" inventory --data --keys --hash --root "$D" -o /dev/null || die "run to /dev/null"
after=$(cd "$D" && find . -printf '%p %T@ %s\n' 2>/dev/null | sort | md5sum)
[ "$before" = "$after" ] || die "the walk changed the tree"
# access times are evidence too: none changes, the root's included
find "$D" -xdev -print0 >"$T/all.lst"
python3 - "$T/all.lst" set <<'PY' || die "setting atimes"
import os, sys
for p in open(sys.argv[1], "rb").read().split(b"\0")[:-1]:
    st = os.lstat(p)
    os.utime(p, ns=(1577836800 * 10**9, st.st_mtime_ns), follow_symlinks=False)
PY
"$DISPOSE" inventory --data --keys --hash --root "$D" -o /dev/null || die "atime run"
python3 - "$T/all.lst" <<'PY' || die "the walk changed access times"
import os, sys
bad = [p for p in open(sys.argv[1], "rb").read().split(b"\0")[:-1]
       if not os.path.islink(p) and os.lstat(p).st_atime != 1577836800]
assert not bad, bad
PY
ok "read-only"

# as an ordinary user: permission errors are listed, the rest is scanned, exit 0
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	P=$T/np
	mkdir -p "$P/closed" && echo s >"$P/closed/x" && echo secret >"$P/private" && echo pub >"$P/public"
	chmod 700 "$P/closed"; chmod 600 "$P/private"; chmod 755 "$T" "$P"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$DISPOSE" inventory --data --keys --hash --root "$P" --json >"$T/np.json" 2>"$T/np.err"
	rc=$?
	[ $rc -eq 0 ] || die "non-root walk: exit $rc ($(cat "$T/np.err"))"
	python3 - "$T/np.json" "$P" <<'PY' || die "non-root walk document"
import json, sys
d, P = json.load(open(sys.argv[1])), sys.argv[2]
errs = {e["path"]: e["reason"] for e in d["errors"]}
assert "permission denied" in errs.get(P + "/closed", ""), errs
assert "permission denied" in errs.get(P + "/private", ""), errs
files = {f["path"]: f for f in d["files"]}
assert "sha256" not in files[P + "/private"] and "sha256" in files[P + "/public"], files
assert d["complete"] is False
PY
	ok "non-root: permission errors listed, exit 0"
fi
