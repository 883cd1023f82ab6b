#!/bin/bash
# t_cert_redact.sh - dispose certify --redact serials,host,paths (#15): the full
# certificate (with the salt) and a second signed certificate, the redacted copy,
# in which no serial (DMI serials through the test builds' DISPOSE_TEST_DMI_DIR,
# the archive recipient's X.509 serial), host name (this machine's, the DMI vendor
# and product, the machine id) or path (the loop device, its backing file, the run
# directories, the archive) is left anywhere; python3 recomputes the tokens
# sha256(salt || value); both verify (exit 0) and say which is which; verify
# --original proves the correspondence and refuses (exit 3) a copy with one
# re-signed wrong token and another certificate's full document; a failure
# report is redacted the same way; an unknown word is a usage error (exit 2);
# a failure leaves no file; malformed tokens and a token in a field "fields"
# does not list make the copy invalid. Loop devices have no medium serial: the
# serial-bearing fields are the DMI ones (test hook) and the recipient's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
D=$DISPOSE
H=$(hostname)
# a name shorter than 4 bytes is hidden where it is a whole value (dispose-certificate(5)):
# grep it as a word then
GW=; [ ${#H} -ge 4 ] || GW=-w
cd "$T" || die "cd"
selfsigned s '/CN=redact test signer' -addext keyUsage=critical,digitalSignature || die "signer"
selfsigned rec '/CN=records escrow/O=Example Org' || die "recipient"
SIGN=(--key "$T/s.key" --cert "$T/s.crt")
# s_sign FILE: FILE.p7s, FILE signed by s with the openssl CLI (dispose's checks bypassed)
s_sign() {
	openssl cms -sign -binary -in "$1" -signer "$T/s.crt" -inkey "$T/s.key" -md sha256 \
		-outform DER -out "$1.p7s" 2>/dev/null
}

# the values to hide: paths under a directory named after this host
W=$T/work-$H
mkdir -p "$W/keep" "$T/dmi" && echo retained >"$W/keep/a.txt"
printf 'Redact Vendor Inc\n' >"$T/dmi/sys_vendor"
printf 'Redact Box 9000\n' >"$T/dmi/product_name"
printf 'SN-RDX-000471\n' >"$T/dmi/product_serial"
printf '4c4c4544-0042-3510-8052-b4c04f4e3432\n' >"$T/dmi/product_uuid"
printf 'BOARD-RDX-77\n' >"$T/dmi/board_serial"
printf '0123456789abcdef0123456789abcdef\n' >"$T/machine-id"
export DISPOSE_TEST_DMI_DIR=$T/dmi DISPOSE_TEST_MACHINE_ID=$T/machine-id

"$D" archive create -q --run-dir "$W/ra" -r "$W/keep" --recipient "$T/rec.crt" \
	-o "$W/keep.tar.zst.enc" >/dev/null 2>"$T/err" || die "archive: $(cat "$T/err")"
dev=$(mkloop 4 "$W/disk-$H.img") || die "mkloop"
"$D" erase --yes --progress none --method zero --verify last --run-dir "$W/re" "$dev" \
	>"$T/e.out" 2>&1 || die "erase: $(cat "$T/e.out")"

# 1. certify --redact: four files, two lines
out=$("$D" certify --run-dir "$W/ra" --run-dir "$W/re" "${SIGN[@]}" --redact serials,host,paths \
	-o "$T/c.json" 2>"$T/err")
rc=$?
[ $rc = 0 ] || die "certify --redact: exit $rc: $(cat "$T/err") $out"
for f in c.json c.json.p7s c.redacted.json c.redacted.json.p7s; do
	[ -s "$T/$f" ] || die "$f not written"
done
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificate_id"])' "$T/c.json")
cid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificate_id"])' \
	"$T/c.redacted.json")
[[ $out == *"$T/c.redacted.json: redacted copy $cid of $id (serials, host, paths)"* ]] ||
	die "certify line: $out"
ok "certify --redact writes NAME.json and NAME.redacted.json, each with its .p7s"

# 2. both verify, each saying what it is; -J has "redacted"
"$D" verify --ca "$T/s.crt" "$T/c.json" "$T/c.redacted.json" >"$T/v.out" 2>&1 ||
	die "verify: $(cat "$T/v.out")"
grep -qF "$T/c.json: valid: certificate-of-sanitization $id, " "$T/v.out" &&
	grep -qF "(full certificate; redacted copy $cid)" "$T/v.out" || die "full line: $(cat "$T/v.out")"
grep -qF "$T/c.redacted.json: valid: certificate-of-sanitization $cid, " "$T/v.out" &&
	grep -qF "(redacted copy of $id: serials, host, paths)" "$T/v.out" ||
	die "copy line: $(cat "$T/v.out")"
"$D" verify -J --ca "$T/s.crt" "$T/c.redacted.json" >"$T/vj.out" 2>&1 || die "verify -J"
python3 - "$T/vj.out" "$id" <<'PY' || die "verify -J: $(cat "$T/vj.out")"
import json, sys
c, = json.load(open(sys.argv[1]))["certificates"]
r = c["redacted"]
assert c["outcome"] == "valid" and r["copy"] is True and r["original_id"] == sys.argv[2], r
assert r["fields"] == ["serials", "host", "paths"] and len(r["original_sha256"]) == 64, r
PY
recipe() {
	openssl cms -verify -binary -inform DER -in "$1.p7s" -content "$1" -CAfile "$T/s.crt" \
		-purpose any -out /dev/null 2>/dev/null
}
recipe "$T/c.redacted.json" || die "stock openssl rejects the copy"
# the shipped JSON Schema knows both documents
if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 - "$SRCDIR/profiles/schemas/dispose-certificate-1.schema.json" "$T/c.json" \
		"$T/c.redacted.json" <<'PY' || die "JSON Schema"
import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
for p in sys.argv[2:]:
    jsonschema.validate(json.load(open(p)), s)
d = json.load(open(sys.argv[3]))
d["redaction"] = {"salt": "0" * 64, "fields": ["host"], "redacted_copy": d["certificate_id"]}
try:
    jsonschema.validate(d, s)
except jsonschema.ValidationError:
    pass
else:
    raise SystemExit("a document with both members passes the schema")
PY
fi
ok "both verify (exit 0): full certificate / redacted copy of ID: serials, host, paths; -J; openssl; JSON Schema"

# 3. no plain value anywhere in the copy (each is in the full certificate)
rser=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["backup"]["archives"][0]["recipients"][0]["serial"])' "$T/c.json")
[ -n "$rser" ] && [ "$rser" != None ] || die "no recipient serial in the full certificate"
for v in "$H" "Redact Vendor Inc" "Redact Box 9000" SN-RDX-000471 4c4c4544-0042-3510-8052-b4c04f4e3432 \
	BOARD-RDX-77 0123456789abcdef0123456789abcdef "$rser" "$dev" "$W/disk-$H.img" "$W/ra" "$W/re" \
	"$W/keep.tar.zst.enc" "$T"; do
	grep -qF -- "$v" "$T/c.json" || die "'$v' is not in the full certificate: the test is vacuous"
	! grep -qF $GW -- "$v" "$T/c.redacted.json" || die "'$v' is in the redacted copy: $(grep -nF -- "$v" "$T/c.redacted.json")"
done
! grep -q '"salt"' "$T/c.redacted.json" || die "the salt is in the copy"
"$D" show "$T/c.redacted.json" >"$T/show.out" 2>&1
grep -q "^REDACTED COPY of certificate $id: serials, host, paths" "$T/show.out" || die "show: $(head "$T/show.out")"
! grep -qF $GW -- "$H" "$T/show.out" || die "show prints the hostname"
ok "no serial, hostname or path in the copy (grep), nor in dispose show, which marks it"

# 4. the tokens are sha256(salt || value) of the full certificate's values
python3 - "$T/c.json" "$T/c.redacted.json" "$H" "$dev" <<'PY' || die "tokens"
import hashlib, json, sys
full, copy = (json.load(open(p)) for p in sys.argv[1:3])
host, dev = sys.argv[3], sys.argv[4]
salt = bytes.fromhex(full["redaction"]["salt"])
tok = lambda v: "redacted:" + hashlib.sha256(salt + v.encode()).hexdigest()
assert full["host"]["hostname"] == host
assert copy["host"]["hostname"] == tok(host), copy["host"]
assert copy["runs"][1]["host"] == tok(host)
assert copy["host"]["dmi"]["product_serial"] == tok("SN-RDX-000471")
s = full["backup"]["archives"][0]["recipients"][0]["serial"]
assert copy["backup"]["archives"][0]["recipients"][0]["serial"] == tok(s)
assert full["targets"][0]["path"] == dev and copy["targets"][0]["path"] == tok(dev)
b = full["targets"][0]["identity"]["backing_file"]
assert copy["targets"][0]["identity"]["backing_file"] == tok(b)
assert copy["redacted"] == {"fields": ["serials", "host", "paths"], "original_id": full["certificate_id"],
                            "original_sha256": hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest(),
                            "scheme": "sha256(salt || value)"}, copy["redacted"]
assert full["redaction"]["redacted_copy"] == copy["certificate_id"]
# everything else is the full certificate's
for k in ("kind", "created", "summary", "attested", "tool"):
    assert copy[k] == full[k], k
PY
ok "python3: tokens are sha256(salt || value) for the hostname, a DMI serial, the recipient serial, a path"

# 5. verify --original
"$D" verify --ca "$T/s.crt" --original "$T/c.json" "$T/c.redacted.json" >"$T/o.out" 2>&1 ||
	die "verify --original: exit $?: $(cat "$T/o.out")"
grep -qE "^$T/c.redacted.json: redacted copy of $T/c.json: [0-9]+ values match$" "$T/o.out" ||
	die "--original line: $(cat "$T/o.out")"
# a copy whose one token is wrong, re-signed by the same key: valid alone, not the copy
# the hostname's token replaced in the canonical bytes
python3 - "$T/c.redacted.json" "$T/t.json" <<'PY' || die "tamper (canonical)"
import sys
a = open(sys.argv[1]).read()
import json, hashlib
d = json.loads(a)
old = d["host"]["hostname"]
new = "redacted:" + hashlib.sha256(b"another host").hexdigest()
assert a.count(old) >= 1
open(sys.argv[2], "w").write(a.replace('"hostname": "%s"' % old, '"hostname": "%s"' % new, 1))
PY
s_sign "$T/t.json" || die "openssl cms -sign"
"$D" verify --ca "$T/s.crt" "$T/t.json" >"$T/t.out" 2>&1 || die "tampered copy alone: $(cat "$T/t.out")"
"$D" verify --ca "$T/s.crt" --original "$T/c.json" "$T/t.json" >"$T/o2.out" 2>&1
rc=$?
[ $rc = 3 ] || die "--original with a wrong token: exit $rc: $(cat "$T/o2.out")"
grep -qF "$T/t.json: not the redacted copy of $T/c.json: \$.host.hostname: differs" "$T/o2.out" ||
	die "--original names the field: $(cat "$T/o2.out")"
# another certificate's full document
"$D" certify -q --run-dir "$W/re" "${SIGN[@]}" --redact serials,host,paths -o "$T/c2.json" \
	2>"$T/err" || die "certify c2: $(cat "$T/err")"
"$D" verify --ca "$T/s.crt" --original "$T/c2.json" "$T/c.redacted.json" >"$T/o3.out" 2>&1
rc=$?
[ $rc = 3 ] || die "--original with another full certificate: exit $rc: $(cat "$T/o3.out")"
grep -qF "not the redacted copy of $T/c2.json: \$.redacted.original_id" "$T/o3.out" ||
	die "--original, other: $(cat "$T/o3.out")"
ok "verify --original: N values match; exit 3 for a re-signed wrong token (\$.host.hostname) and another certificate"

# a copy names no medium: --device refuses it (exit 4); the full certificate re-reads it
"$D" verify --ca "$T/s.crt" --device "$dev" "$T/c.redacted.json" >"$T/d.out" 2>&1
rc=$?
[ $rc = 4 ] && grep -qF "a redacted copy names no medium" "$T/d.out" || die "--device copy: exit $rc: $(cat "$T/d.out")"
"$D" verify --ca "$T/s.crt" --device "$dev" "$T/c.json" >"$T/d.out" 2>&1 || die "--device full: $(cat "$T/d.out")"
ok "verify --device: refused with the copy (exit 4), re-read with the full certificate"

# 6. malformed tokens, and a token in a field the copy's fields do not list: invalid
python3 - "$T/c.redacted.json" "$T/m.json" <<'PY' || die "malformed"
import sys
a = open(sys.argv[1]).read()
i = a.index('"redacted:') + len('"redacted:')
open(sys.argv[2], "w").write(a[:i] + a[i:i + 64].upper() + a[i + 64:])
PY
s_sign "$T/m.json" || die "sign m"
"$D" verify --ca "$T/s.crt" "$T/m.json" >"$T/m.out" 2>&1
rc=$?
[ $rc = 3 ] && grep -q "invalid: certificate: .*malformed redaction token" "$T/m.out" ||
	die "malformed token: exit $rc: $(cat "$T/m.out")"
"$D" certify -q --run-dir "$W/re" "${SIGN[@]}" --redact serials -o "$T/s1.json" 2>"$T/err" ||
	die "certify --redact serials: $(cat "$T/err")"
grep -qF "$dev" "$T/s1.redacted.json" || die "--redact serials hid the path"
python3 - "$T/s1.redacted.json" "$T/u.json" "$dev" <<'PY' || die "unlisted"
import sys
a = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(a.replace('"path": "%s"' % sys.argv[3], '"path": "redacted:' + "ab" * 32 + '"', 1))
PY
s_sign "$T/u.json" || die "sign u"
"$D" verify --ca "$T/s.crt" "$T/u.json" >"$T/u.out" 2>&1
rc=$?
[ $rc = 3 ] && grep -qF 'targets[0].path: a redaction token, but redacted.fields does not list paths' "$T/u.out" ||
	die "token in an unlisted field: exit $rc: $(cat "$T/u.out")"
ok "a malformed token, and a path token in a copy of serials only: invalid (exit 3)"

# 7. a failure report is redacted the same way (its failure lines name the path)
echo data >"$W/victim-$H"
"$D" erase --yes --progress none --method zero --verify none --run-dir "$W/rf" "$W/victim-$H" \
	>"$T/ef.out" 2>&1
"$D" certify --run-dir "$W/rf" "${SIGN[@]}" --redact paths,host -o "$T/f.json" >"$T/f.out" 2>&1
rc=$?
[ $rc = 3 ] || die "certify a failure report: exit $rc: $(cat "$T/f.out")"
grep -qF "$W/victim-$H: " "$T/f.json" || die "the full report names no path in its failures"
! grep -qF -- "$T" "$T/f.redacted.json" || die "a path in the redacted report: $(grep -nF -- "$T" "$T/f.redacted.json")"
! grep -qF $GW -- "$H" "$T/f.redacted.json" || die "the hostname in the redacted report"
"$D" verify --ca "$T/s.crt" "$T/f.redacted.json" >"$T/fv.out" 2>&1
rc=$?
[ $rc = 3 ] && grep -q "failure report: valid as signed, but a sanitization failure report: t1 redacted:[0-9a-f]\{64\}: .*(redacted copy of " "$T/fv.out" ||
	die "redacted failure report: exit $rc: $(cat "$T/fv.out")"
"$D" verify --ca "$T/s.crt" --original "$T/f.json" "$T/f.redacted.json" >"$T/fo.out" 2>&1
grep -q "f.redacted.json: redacted copy of .*f.json: [0-9]* values match" "$T/fo.out" ||
	die "--original of a failure report: $(cat "$T/fo.out")"
ok "a failure report: redacted the same way (failure lines too), verified as a redacted failure report"

# 8. usage: an unknown word; a failure leaves none of the four files
"$D" certify --run-dir "$W/re" "${SIGN[@]}" --redact serials,hostname -o "$T/x.json" >"$T/x.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "hostname" "$T/x.out" || die "unknown word: exit $rc: $(cat "$T/x.out")"
[ ! -e "$T/x.json" ] && [ ! -e "$T/x.redacted.json" ] || die "files written on a usage error"
echo keep >"$T/y.redacted.json"
"$D" certify --run-dir "$W/re" "${SIGN[@]}" --redact host -o "$T/y.json" >"$T/y.out" 2>&1
rc=$?
[ $rc = 2 ] || die "existing copy: exit $rc: $(cat "$T/y.out")"
[ ! -e "$T/y.json" ] && [ ! -e "$T/y.json.p7s" ] && [ ! -e "$T/y.redacted.json.p7s" ] ||
	die "a failed certify left files: $(ls "$T"/y.*)"
[ "$(cat "$T/y.redacted.json")" = keep ] || die "the existing file was replaced"
"$D" certify --run-dir "$W/re" "${SIGN[@]}" --redact host --redacted-output "$T/z-copy.json" \
	-o "$T/z.json" >/dev/null 2>&1 || die "--redacted-output"
[ -s "$T/z-copy.json" ] && [ -s "$T/z-copy.json.p7s" ] && [ ! -e "$T/z.redacted.json" ] ||
	die "--redacted-output not used"
ok "--redact unknown word: exit 2 naming it; an existing copy: exit 2, nothing written; --redacted-output"

# 9. the PDF of the copy (when the renderer is there): still no plain value
if "$D" show --pdf -o "$T/c.redacted.pdf" "$T/c.redacted.json" >/dev/null 2>&1 &&
	command -v pdftotext >/dev/null; then
	pdftotext "$T/c.redacted.pdf" "$T/c.redacted.txt" || die "pdftotext"
	for v in "$H" SN-RDX-000471 "$rser" "$dev" "$T"; do
		! grep -qF -- "$v" "$T/c.redacted.txt" || die "'$v' in the copy's PDF"
	done
	ok "the copy's PDF (pdftotext): no serial, hostname or path"
fi
exit 0
