#!/bin/bash
# t_r2_cert_inventory_tamper.sh - R2: the certify step (after run_end: a
# crash between run_end and the certificate, here the certificate removed)
# reads RUN_DIR/inventory.json as it is, not as the inventory step recorded
# it (step_end sha256): key fingerprints edited in it after the run are
# signed into a certificate that dispose verify --run-dir calls valid. The
# certificate must carry the inventory the run recorded, or none at all.
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
rm -f "$T/r/certificate.json" "$T/r/certificate.json.p7s"
python3 - "$T/r/inventory.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = 0
for k in d["keys"]:
    if k.get("spki_sha256"):
        k["spki_sha256"] = "00" * 32
        n += 1
assert n >= 2, n
json.dump(d, open(sys.argv[1], "w"))
PY
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/r" >"$T/out" 2>&1
rc=$?
[ -e "$T/r/certificate.json" ] || { ok "no certificate from a changed inventory (exit $rc)"; exit 0; }
python3 - "$T/r/certificate.json" "$T/r/events.jsonl" <<'PY' || die "certificate signed from an edited inventory.json (exit $rc)"
import json, sys
c = json.load(open(sys.argv[1]))
evs = [json.loads(l) for l in open(sys.argv[2])]
rec = [e["sha256"] for e in evs if e["event"] == "step_end" and e["step"] == "inventory"][0]
s = json.dumps(c)
assert "00" * 32 not in s, "a forged fingerprint is in the certificate"
assert c["runs"][0]["inventory"]["sha256"] == rec, \
    ("inventory sha256 in the certificate", c["runs"][0]["inventory"]["sha256"], "recorded", rec)
PY
ok "the certificate carries the inventory the run recorded"
