#!/bin/bash
# t_r1_key_blocknode.sh - (review R1) an --inventory whose keys[] names a
# block special file outside /dev (mknod $T/s2/node b 7 N: the scratch loop
# device). keys:["any"] makes it a "file" target and the erase writes through
# the node: the whole device is zeroed, exit 0, with none of the device
# checks (in use, mounted, the running system: "/dev/vda" by another name).
# A key target must be a regular file (checked on the open fd) or refused.
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv" "$T/s2" || die "mkdir"
echo data >"$s/srv/f"
dev=$(mkloop 4) || die "mkloop"
python3 -c "open('$dev','r+b').write(b'LOOPMARK' * 524288)" || die "fill"
maj=$(stat -c '%t' "$dev"); min=$(stat -c '%T' "$dev")
mknod "$T/s2/node" b "$((16#$maj))" "$((16#$min))" || die "mknod"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-key-node",
 "inventory": {"roots": ["$s"], "categories": ["data", "keys"], "hash": true},
 "erase": [{"name": "keys", "keys": ["any"], "method": "zero"}],
 "keep_running_system": true}
JSON
"$DISPOSE" inventory -r "$s" --data --keys --hash -J -o "$T/inv.json" >/dev/null 2>&1 ||
	die "inventory"
python3 - "$T/inv.json" "$T/s2/node" <<'PY' || die "edit inventory"
import json, sys
d = json.load(open(sys.argv[1]))
d["keys"] = [{"path": sys.argv[2], "format": "pem-pkcs8", "algorithm": "ec-P-256",
              "bits": 256, "encrypted": False, "spki_sha256": None,
              "ssh_fingerprint": None, "luks_uuid": None, "decoded": False,
              "mode": "0600", "uid": 0}]
json.dump(d, open(sys.argv[1], "w"))
PY
"$DISPOSE" run --policy "$T/p.json" --inventory "$T/inv.json" --yes --progress none \
	--run-dir "$T/run" >"$T/out" 2>&1
rc=$?
n=$(grep -a -o LOOPMARK "$dev" | wc -l)
[ "$n" = 524288 ] || { cat "$T/out"; die "$dev erased through a 'key' block node: $n of 524288 marks left (exit $rc)"; }
ok "$dev untouched (exit $rc)"
