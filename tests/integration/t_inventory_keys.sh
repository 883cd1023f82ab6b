#!/bin/bash
# t_inventory_keys.sh - --keys finds generated key material in the same walk as --data
. "$SRCDIR/tests/integration/lib.sh"
[ -e "$SRCDIR/src/inventory/keys.c" ] || skip "key detection (src/inventory/keys.c) not merged yet"
command -v openssl >/dev/null || skip "no openssl"

D=$T/tree
mkdir -p "$D/etc/ssl" "$D/home/u/.ssh" "$D/data"
openssl genpkey -algorithm ed25519 -out "$D/etc/ssl/server.key" 2>/dev/null || die "genpkey"
openssl pkey -in "$D/etc/ssl/server.key" -pubout -out "$D/etc/ssl/server.pub" 2>/dev/null
echo "not a key" >"$D/data/notes.txt"
ln -s "$D/etc/ssl/server.key" "$D/data/link-to-key"
mkfifo "$D/data/fifo"

"$DISPOSE" inventory --data --keys --root "$D" -o "$T/k.json" || die "exit $?"
python3 - "$T/k.json" "$D" <<'PY' || die "keys[] content"
import json, sys
d = json.load(open(sys.argv[1])); root = sys.argv[2]
paths = [k["path"] for k in d["keys"]]
assert root + "/etc/ssl/server.key" in paths, paths
assert root + "/data/link-to-key" not in paths, "followed a symlink to a key"
assert not any(p.endswith(".pub") or p.endswith("notes.txt") for p in paths), paths
assert d["counts"]["keys"] == len(d["keys"]) and len(d["files"]) == d["counts"]["files"]
assert any(f["path"] == root + "/etc/ssl/server.key" for f in d["files"])
PY
# no secret bytes in the document
body=$(sed -n '2,$p' "$D/etc/ssl/server.key" | head -1)
grep -qF "$body" "$T/k.json" && die "key material copied into the document"
ok "keys[] lists the private key, not links, public keys or text"

# --keys alone streams keys without files[]
"$DISPOSE" inventory --keys --root "$D" --json >"$T/k2.json" || die "--keys alone"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert "files" not in d and len(d["keys"]) >= 1
' "$T/k2.json" || die "--keys alone document"
ok "--keys alone"
