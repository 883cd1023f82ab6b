#!/bin/bash
# t_cert_schema.sh - certificates of every shape dispose certify writes validate
# against the shipped JSON Schema (profiles/schemas/dispose-certificate-1.schema.json,
# draft 2020-12, python3-jsonschema); a certificate with a key removed, a
# float, an unknown key or a value outside its enum does not.
. "$SRCDIR/tests/integration/lib.sh"
need_root
command -v openssl >/dev/null || skip "needs openssl"
python3 -c 'import jsonschema' 2>/dev/null || skip "needs python3-jsonschema"
SCHEMA=$SRCDIR/profiles/schemas/dispose-certificate-1.schema.json
[ -f "$SCHEMA" ] || die "no shipped schema $SCHEMA"
D=$DISPOSE
K=$T/keys
mkdir -p "$K"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/s.key" -out "$K/s.crt" -days 30 \
	-subj '/CN=schema test signer' -addext keyUsage=critical,digitalSignature 2>/dev/null || die "signer"
E=(erase --yes --progress none)
certify() {	# certify NAME RUNDIR... [-- OPTIONS]
	local name=$1 args=(); shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=(--run-dir "$1"); shift; done
	[ $# -gt 0 ] && shift
	"$D" certify -q "${args[@]}" "$@" --key "$K/s.key" --cert "$K/s.crt" -o "$T/$name.json" \
		2>"$T/err"
	local rc=$?
	[ $rc = 0 ] || [ $rc = 3 ] || die "certify $name: exit $rc: $(cat "$T/err")"
}

# shapes: a device (Clear), a file (none), a tree with names that are not
# UTF-8, a failure report, an archive run with an erase run, every attested field
dev=$(mkloop 4)
"$D" "${E[@]}" --method dod-5220-22m --run-dir "$T/r1" "$dev" >/dev/null 2>&1 || die "erase r1"
certify dev "$T/r1"
head -c 5000 /dev/urandom >"$T/f"
"$D" "${E[@]}" --method random --verify sample --run-dir "$T/r2" "$T/f" >/dev/null 2>&1 || die "erase r2"
certify file "$T/r2"
tree=$T/$'t\xff'
bad=$'n\xfe\x80'
mkdir -p "$tree/d" && echo x >"$tree/$bad" && echo y >"$tree/d/$bad"
"$D" "${E[@]}" --method zero --run-dir "$T/r3" "$tree" >/dev/null 2>&1 || die "erase r3"
certify tree "$T/r3"
dev2=$(mkloop 4)
"$D" "${E[@]}" --method zero --verify none --run-dir "$T/r4" "$dev2" >/dev/null 2>&1 || die "erase r4"
certify fail "$T/r4"
mkdir -p "$T/keep" && echo kept >"$T/keep/k"
"$D" archive create -q --run-dir "$T/ra" -r "$T/keep" --recipient "$K/s.crt" \
	-o "$T/keep.tar.zst.enc" >/dev/null 2>&1 || die "archive"
certify both "$T/ra" "$T/r1" -- --operator "Zoë Operator" --operator-title T --organization O \
	--location L --contact C --verifier V --validator W --media-destination recycling \
	--property-number 42 --classification "CUI // SP-PRVCY" --time 2026-12-06T10:00:00Z

python3 - "$SCHEMA" "$T" <<'PY' || die "schema validation"
import copy, json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
docs = {}
for name in ("dev", "file", "tree", "fail", "both"):
    d = json.load(open("%s/%s.json" % (sys.argv[2], name), encoding="utf-8"))
    errs = sorted(v.iter_errors(d), key=str)
    assert not errs, "%s: %s" % (name, errs[0].message)
    docs[name] = d
assert docs["fail"]["kind"] == "sanitization-failure-report"
assert "path_hex" in docs["tree"]["targets"][0]
assert docs["both"]["backup"]["archives"][0]["recipients"][0]["subject"]

def bad(doc, why):
    assert list(v.iter_errors(doc)), "accepted: " + why

d = docs["both"]
m = copy.deepcopy(d); del m["targets"][0]["nist"]["serial"]; bad(m, "nist.serial removed")
m = copy.deepcopy(d); del m["host"]["machine_id"]; bad(m, "host.machine_id removed")
m = copy.deepcopy(d); del m["summary"]; bad(m, "summary removed")
m = copy.deepcopy(d); m["targets"][0]["bytes_written"] = 1.5; bad(m, "a float")
m = copy.deepcopy(d); m["summary"]["targets"] = 0.5; bad(m, "a float in summary")
m = copy.deepcopy(d); m["targets"][0]["extra"] = 1; bad(m, "an unknown key")
m = copy.deepcopy(d); m["targets"][0]["model_hex"] = "zz"; bad(m, "an unknown _hex sibling")
m = copy.deepcopy(d); m["targets"][0]["path_hex"] = "xyz"; bad(m, "bad hex")
m = copy.deepcopy(d); m["kind"] = "certificate"; bad(m, "kind outside its enum")
m = copy.deepcopy(d); m["targets"][0]["category_achieved"] = "Clear"; bad(m, "category outside its enum")
m = copy.deepcopy(d); m["created"] = "2026-12-06 10:00:00"; bad(m, "created not RFC 3339 UTC")
m = copy.deepcopy(d); m["certificate_id"] = None; bad(m, "certificate_id null")
m = copy.deepcopy(d); m["targets"][0]["bad_ranges"] = [[1]]; bad(m, "a bad range not a pair")
PY
ok "device, file, non-UTF-8 tree, failure report, archive+erase: valid; mutations rejected"
