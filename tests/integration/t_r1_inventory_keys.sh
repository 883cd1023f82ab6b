#!/bin/bash
# t_r1_inventory_keys.sh - (review R1) dispose run --inventory FILE with an
# inventory (stale, from another machine, or edited) whose keys[] names a file
# that is no key and lies outside the policy's roots. "keys": ["any"] must
# erase key material the inventory found under the roots and that is still
# that key when erased; it erased payroll.db, which nobody named.
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv" "$T/out" || die "mkdir"
echo data >"$s/srv/f"
echo "PAYROLL DATABASE" >"$T/out/payroll.db"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-inv-keys",
 "inventory": {"roots": ["$s"], "categories": ["data", "keys"], "hash": true},
 "erase": [{"name": "keys", "keys": ["any"], "method": "zero"}],
 "keep_running_system": true}
JSON
"$DISPOSE" inventory -r "$s" --data --keys --hash -J -o "$T/inv.json" >/dev/null 2>&1 ||
	die "inventory"
python3 - "$T/inv.json" "$T/out/payroll.db" <<'PY' || die "edit inventory"
import json, sys
d = json.load(open(sys.argv[1]))
d["keys"] = [{"path": sys.argv[2], "format": "pem-pkcs8", "algorithm": "ec-P-256",
              "bits": 256, "encrypted": False, "spki_sha256": None,
              "ssh_fingerprint": None, "luks_uuid": None, "decoded": False,
              "mode": "0600", "uid": 0}]
json.dump(d, open(sys.argv[1], "w"))
PY
"$DISPOSE" run --policy "$T/p.json" --inventory "$T/inv.json" --yes --progress none \
	--run-dir "$T/run" >"$T/out.txt" 2>&1
rc=$?
[ "$(cat "$T/out/payroll.db" 2>/dev/null)" = "PAYROLL DATABASE" ] ||
	{ cat "$T/out.txt"; die "payroll.db (no key, outside the roots) was erased (exit $rc)"; }
ok "payroll.db untouched (exit $rc)"
