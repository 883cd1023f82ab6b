#!/bin/bash
# t_r2_certify_inventory_mismatch.sh - R2: dispose certify --run-dir RUN
# --inventory OTHER on the record of dispose run, whose inventory step_end
# recorded the SHA-256 of the run's own inventory: the certificate states
# that recorded digest (runs[].inventory.sha256) yet carries the key
# fingerprints of OTHER, and dispose verify --run-dir calls it valid. An
# inventory that is not the one the run recorded must be refused (exit 3 or
# 2), or at least not be signed as the run's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
make_signer "$T/signer"
s=$T/srv
make_server "$s"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "t-r2", "description": "r2",
 "inventory": {"roots": ["$s"], "categories": ["data", "keys"], "hash": true, "sysroot": "$s"},
 "retain": [{"name": "records", "paths": ["$s/etc/**"],
	     "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
	     "organization": "Test Org", "legal_hold": false}],
 "erase": [{"name": "data", "paths": ["$s/srv/**", "$s/home/**"], "method": "zero"},
	   {"name": "keys", "keys": ["any"], "method": "zero"}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON
"$DISPOSE" run --policy "$T/p.json" --yes --progress none --run-dir "$T/r" >"$T/out" 2>&1 ||
	die "run: $(cat "$T/out")"
python3 - "$T/r/inventory.json" "$T/other.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in d["keys"]:
    if k.get("spki_sha256"):
        k["spki_sha256"] = "11" * 32
json.dump(d, open(sys.argv[2], "w"))
PY
"$DISPOSE" certify --run-dir "$T/r" --inventory "$T/other.json" --key "$T/signer.key" \
	--cert "$T/signer.crt" -o "$T/c.json" >"$T/out" 2>&1
rc=$?
if [ $rc = 0 ]; then
	grep -q "$(printf '1%.0s' {1..64})" "$T/c.json" &&
		die "signed the fingerprints of another inventory as the run's: $(cat "$T/out")"
else
	[ -e "$T/c.json" ] && die "exit $rc but a certificate was written"
	grep -q '^dispose: ' "$T/out" || die "no error line: $(cat "$T/out")"
fi
ok "an inventory that is not the run's is not signed as the run's"
