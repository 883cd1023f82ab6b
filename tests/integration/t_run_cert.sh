#!/bin/bash
# t_run_cert.sh - the certificate of a dispose run: one document from the one
# record with every archive (two retain rules: two archives, each verified)
# and every target, the run's policy, inventory and plan digests equal to the
# files' (sha256sum), valid against the shipped JSON Schema, shown by
# dispose show, and verified with the run directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
server_and_signer
files_policy t-cert 'two retain rules, files erased' <<JSON
		{"name": "config", "paths": ["$srv/etc/**"], "retain_until": "7y",
		 "series": "T-1", "authority": "DA-T-1", "organization": "Test Org",
		 "legal_hold": false},
		{"name": "records", "paths": ["$srv/srv/records/**", "$srv/var/log/**"],
		 "retain_until": "2040-12-31", "series": "T-2", "authority": "DA-T-2",
		 "organization": "Test Org", "legal_hold": false}
JSON
files_run
cert=$T/run/certificate.json
[ -f "$cert" ] && [ -f "$cert.p7s" ] || die "no certificate"

sha() { sha256sum "$1" | cut -d' ' -f1; }
python3 - "$cert" "$(sha "$T/policy.json")" "$(sha "$T/run/inventory.json")" \
	"$(sha "$T/run/plan.json")" <<'PY' || die "certificate not as expected"
import json, sys
c = json.load(open(sys.argv[1]))
pol, inv, plan = sys.argv[2:5]
assert c["kind"] == "certificate-of-sanitization", c["kind"]
assert len(c["runs"]) == 1, c["runs"]
r = c["runs"][0]
assert r["command"] == "run", r["command"]
assert r["policy"] == {"name": "t-cert", "sha256": pol}, r.get("policy")
assert r["inventory"] == {"sha256": inv}, r.get("inventory")
assert r["plan"] == {"sha256": plan}, r.get("plan")
arcs = c["backup"]["archives"]
assert len(arcs) == 2 and all(a["verified"] and a["run"] == 0 for a in arcs), arcs
assert c["backup"]["backed_up"] == "yes"
assert c["targets"] and all(t["run"] == 0 and t["result"] == "success" for t in c["targets"])
assert c["summary"]["targets"] == len(c["targets"])
PY
ok "one certificate: two archives, the targets, the policy, inventory and plan digests"

if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 - "$SRCDIR/profiles/schemas/dispose-certificate-1.schema.json" "$cert" <<'PY' ||
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
errs = sorted(v.iter_errors(json.load(open(sys.argv[2]))), key=str)
assert not errs, errs[0].message
PY
		die "the shipped JSON Schema rejects the run's certificate"
	ok "valid against the shipped JSON Schema"
fi

"$DISPOSE" show "$cert" >"$T/show" 2>&1 || die "dispose show: $(cat "$T/show")"
grep -q "^Policy: *t-cert$" "$T/show" || die "show: no policy name"
grep -q "^Policy SHA-256: *$(sha "$T/policy.json")$" "$T/show" || die "show: no policy digest"
grep -q "^Plan SHA-256: *$(sha "$T/run/plan.json")$" "$T/show" || die "show: no plan digest"
"$DISPOSE" verify --ca "$T/signer.crt" --run-dir "$T/run" "$cert" >"$T/v" 2>&1 ||
	die "dispose verify --run-dir: $(cat "$T/v")"
ok "dispose show names the policy and plan; dispose verify --run-dir passes"
