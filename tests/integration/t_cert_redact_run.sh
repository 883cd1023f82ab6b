#!/bin/bash
# t_cert_redact_run.sh - the policy's "certificate": {"redact": [...]} (#15): dispose
# run writes certificate.json and certificate.redacted.json (each with its .p7s),
# both verify (the copy as the redacted copy of the full one), verify --original
# matches them, and the copy names no path of the run (the server's files, the
# key material found, the run directory) nor this host; a "redact" that is not a
# non-empty array of serials, host, paths (each once) is refused, exit 2, named.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
H=$(hostname)
GW=; [ ${#H} -ge 4 ] || GW=-w
srv=$T/srv
make_server "$srv"
make_signer "$T/signer"
# policy FILE REDACT: erase the server's data and keys; certificate.redact = REDACT
policy() {
	cat >"$1" <<JSON
{
	"schema": "dispose-policy/1",
	"name": "t-redact",
	"inventory": {"roots": ["$srv"], "categories": ["data", "keys"], "hash": true,
		      "sysroot": "$srv"},
	"erase": [
		{"name": "data", "paths": ["$srv/srv/**", "$srv/home/**"], "method": "zero",
		 "verify": "last"},
		{"name": "keys", "keys": ["any"], "method": "zero", "verify": "last"}
	],
	"keep_running_system": true,
	"certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "redact": $2}
}
JSON
}

# strict parsing: each refused before anything is done
n=0
for bad in '[]' '["serial"]' '["paths", "paths"]' '"paths"' '[1]'; do
	n=$((n + 1))
	policy "$T/bad$n.json" "$bad"
	"$DISPOSE" run --policy "$T/bad$n.json" --yes --progress none --run-dir "$T/bad-run$n" \
		>"$T/bad$n.out" 2>&1
	rc=$?
	[ $rc = 2 ] && grep -q "certificate.redact" "$T/bad$n.out" ||
		die "redact $bad: exit $rc: $(cat "$T/bad$n.out")"
	[ ! -e "$T/bad-run$n/certificate.json" ] || die "redact $bad: a certificate"
done
ok "certificate.redact: [], an unknown word, a repeated word, not an array, not a string: exit 2, named"

policy "$T/policy.json" '["serials", "host", "paths"]'
"$DISPOSE" run --policy "$T/policy.json" --yes --progress none --run-dir "$T/run" \
	>"$T/out" 2>"$T/err" || { cat "$T/out" "$T/err"; die "run failed"; }
c=$T/run/certificate.json
r=$T/run/certificate.redacted.json
for f in "$c" "$c.p7s" "$r" "$r.p7s"; do
	[ -s "$f" ] || die "$f not written"
done
"$DISPOSE" verify --ca "$T/signer.crt" "$c" "$r" >"$T/v.out" 2>&1 || die "verify: $(cat "$T/v.out")"
grep -qF "$r: valid: certificate-of-sanitization" "$T/v.out" &&
	grep -qF "(redacted copy of " "$T/v.out" && grep -qF "(full certificate; redacted copy " "$T/v.out" ||
	die "verify lines: $(cat "$T/v.out")"
"$DISPOSE" verify --ca "$T/signer.crt" --original "$c" "$r" >"$T/o.out" 2>&1 ||
	die "verify --original: $(cat "$T/o.out")"
grep -q "values match$" "$T/o.out" || die "--original: $(cat "$T/o.out")"
python3 - "$c" >"$T/values" <<'PY' || die "values"
import json, sys
d = json.load(open(sys.argv[1]))
v = [d["host"]["hostname"], d["runs"][0]["run_dir"]]
for t in d["targets"]:
    v.append(t["path"])
    v += [k["path"] for k in t["key_material"]]
assert any(t["key_material"] for t in d["targets"]), "no key material: the test is vacuous"
print("\n".join(v))
PY
while IFS= read -r v; do
	! grep -qF $GW -- "$v" "$r" || die "'$v' is in the redacted copy"
done <"$T/values"
! grep -qF -- "$T" "$r" || die "a path of the test in the copy: $(grep -nF -- "$T" "$r" | head -3)"
ok "dispose run with certificate.redact: certificate.redacted.json verifies, matches --original, holds no path or hostname"

# a resume that finds the certificate without its copy makes the copy again: the same bytes
cp "$r" "$T/copy-before.json"
rm -f "$r" "$r.p7s"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out2" 2>&1 ||
	die "resume: $(cat "$T/out2")"
cmp -s "$r" "$T/copy-before.json" || die "the copy made again differs"
[ -s "$r.p7s" ] || die "no signature for the copy made again"
"$DISPOSE" verify --ca "$T/signer.crt" --original "$c" "$r" >"$T/o2.out" 2>&1 ||
	die "verify --original after resume: $(cat "$T/o2.out")"
ok "resume: a lost redacted copy is made again from the certificate (same bytes, verifies)"
