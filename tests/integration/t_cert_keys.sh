#!/bin/bash
# t_cert_keys.sh - certify --inventory: each target's key_material lists the
# keys of the inventory that lay inside it, with the fingerprint the inventory
# recorded (and openssl computes), sorted by path; a key outside the erased
# tree (a sibling whose name starts the same included) is not listed. Matched
# by path, by an ancestor directory's dev/inode (the inventory scanned the tree
# through a bind mount), and for a block device by the filesystem the key was on.
. "$(dirname "$0")/lib.sh"
need_root
command -v openssl >/dev/null || skip "openssl missing"
command -v ssh-keygen >/dev/null || skip "ssh-keygen missing"
command -v python3 >/dev/null || skip "python3 missing"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/sk.pem" \
	-out "$T/sc.pem" -days 30 -subj /CN=c4-keys-test \
	-addext keyUsage=critical,digitalSignature >/dev/null 2>&1 || die "openssl req"
spki() { openssl pkey -in "$1" -pubout -outform DER | sha256sum | cut -d' ' -f1; }

# key_material JSON TARGET_INDEX: "path<TAB>type<TAB>fingerprint" per key, in document order
key_material() {
	python3 - "$1" "$2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["targets"][int(sys.argv[2])]
for k in t["key_material"]:
    print("%s\t%s\t%s" % (k["path"], k["type"], k["fingerprint"]))
PY
}
# inv_fp INVENTORY PATH: the fingerprint the inventory recorded for PATH
inv_fp() {
	python3 - "$1" "$2" <<'PY'
import json, sys
for k in json.load(open(sys.argv[1]))["keys"]:
    if k["path"] == sys.argv[2]:
        print(k["spki_sha256"] or k["ssh_fingerprint"])
PY
}

# ---- 1. a tree, matched by path ----
D=$T/data
mkdir -p "$D/tree/sub" "$D/tree2" "$D/keep"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/tree/sub/server.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$D/tree/b-rsa.pem" 2>/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$D/tree/sub/id_ed25519" </dev/null || die "ssh-keygen"
rm -f "$D/tree/sub/id_ed25519.pub"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/tree2/other.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$D/keep/outside.pem" 2>/dev/null
echo "not a key" >"$D/tree/notes.txt"
EC=$(spki "$D/tree/sub/server.pem") RSA=$(spki "$D/tree/b-rsa.pem")

"$DISPOSE" inventory --keys --root "$D" -o "$T/inv1.json" >/dev/null 2>"$T/inv1.err" ||
	die "inventory: $(cat "$T/inv1.err")"
SSH=$(inv_fp "$T/inv1.json" "$D/tree/sub/id_ed25519")
[ -n "$SSH" ] || die "the inventory found no ssh key"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/run1" "$D/tree" >"$T/e1" 2>&1 ||
	{ cat "$T/e1"; die "erase tree"; }
"$DISPOSE" certify --run-dir "$T/run1" --inventory "$T/inv1.json" --key "$T/sk.pem" \
	--cert "$T/sc.pem" -o "$T/c1.json" >"$T/c1.out" 2>&1
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 3 ] || { cat "$T/c1.out"; die "certify --inventory: exit $rc"; }
key_material "$T/c1.json" 0 >"$T/km1" || die "key_material: $(cat "$T/c1.json")"
printf '%s\t%s\t%s\n' "$D/tree/b-rsa.pem" pem-pkcs8 "$RSA" \
	"$D/tree/sub/id_ed25519" openssh "$SSH" \
	"$D/tree/sub/server.pem" pem-pkcs8 "$EC" >"$T/want1"
diff "$T/want1" "$T/km1" >&2 || die "tree: key_material differs (want < > got)"
ok "tree: its three keys (PEM RSA, PEM EC, OpenSSH) with their fingerprints, sorted; tree2/ and keep/ not listed"

# byte-identical with --time (the keys' order is deterministic)
for i in 2 3; do
	"$DISPOSE" certify --run-dir "$T/run1" --inventory "$T/inv1.json" --key "$T/sk.pem" \
		--cert "$T/sc.pem" --time 2026-12-06T10:00:00Z -o "$T/same$i.json" >/dev/null 2>&1
done
cmp -s "$T/same2.json" "$T/same3.json" || die "certify --inventory twice: documents differ"
ok "certify --inventory twice with --time: byte-identical"

# a wrong document: refused naming the file
echo '{"schema":"dispose-record/1"}' >"$T/bad.json"
"$DISPOSE" certify --run-dir "$T/run1" --inventory "$T/bad.json" --key "$T/sk.pem" \
	--cert "$T/sc.pem" -o "$T/bad-c.json" >"$T/bad.out" 2>&1
rc=$?
[ "$rc" = 2 ] || die "wrong schema: exit $rc: $(cat "$T/bad.out")"
grep -q "$T/bad.json: not a dispose-inventory/1 document" "$T/bad.out" || die "wrong schema: $(cat "$T/bad.out")"
[ ! -e "$T/bad-c.json" ] || die "wrong schema: a certificate was written"
ok "an inventory of another schema: exit 2 naming it, nothing written"

# ---- 2. a tree the inventory saw through a bind mount: matched by dev/inode ----
mkdir -p "$T/d2/tree/s" "$T/bind"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/d2/tree/s/bound.pem" 2>/dev/null
BOUND=$(spki "$T/d2/tree/s/bound.pem")
mount --bind "$T/d2/tree" "$T/bind" || skip "bind mounts unavailable"
track_mount "$T/bind"
"$DISPOSE" inventory --keys --data --root "$T/bind" -o "$T/inv2.json" >/dev/null 2>&1 || die "inventory 2"
umount "$T/bind" || die "umount"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/run2" "$T/d2/tree" >"$T/e2" 2>&1 ||
	{ cat "$T/e2"; die "erase tree 2"; }
"$DISPOSE" certify --run-dir "$T/run2" --inventory "$T/inv2.json" --key "$T/sk.pem" \
	--cert "$T/sc.pem" -o "$T/c2.json" >/dev/null 2>&1
key_material "$T/c2.json" 0 >"$T/km2" || die "key_material 2"
printf '%s\t%s\t%s\n' "$T/bind/s/bound.pem" pem-pkcs8 "$BOUND" >"$T/want2"
diff "$T/want2" "$T/km2" >&2 || die "bind: key_material differs"
ok "a tree inventoried through a bind mount: its key matched by the directory's dev/inode"

# ---- 3. a block device: the key lay on a filesystem on it ----
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 missing"
dev=$(mkloop 32) || die "mkloop"
mkfs.ext4 -q -F "$dev" >/dev/null 2>&1 || die "mkfs"
mkdir -p "$T/mnt"
mount "$dev" "$T/mnt" || die "mount"
track_mount "$T/mnt"
mkdir "$T/mnt/etc"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/mnt/etc/host.pem" 2>/dev/null
HOST=$(spki "$T/mnt/etc/host.pem")
"$DISPOSE" inventory --keys --data --root "$T/mnt" --root "$D/keep" -o "$T/inv3.json" >/dev/null 2>&1 ||
	die "inventory 3"
umount "$T/mnt" || die "umount"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/run3" "$dev" >"$T/e3" 2>&1 ||
	{ cat "$T/e3"; die "erase $dev"; }
"$DISPOSE" certify --run-dir "$T/run3" --inventory "$T/inv3.json" --key "$T/sk.pem" \
	--cert "$T/sc.pem" -o "$T/c3.json" >/dev/null 2>&1
key_material "$T/c3.json" 0 >"$T/km3" || die "key_material 3"
printf '%s\t%s\t%s\n' "$T/mnt/etc/host.pem" pem-pkcs8 "$HOST" >"$T/want3"
diff "$T/want3" "$T/km3" >&2 || die "block: key_material differs"
ok "a block device: the key of the filesystem on it listed, the key elsewhere not"
