#!/bin/bash
# t_run_resume_ca_signer.sh - dispose run --resume of a finished run whose
# signer is issued by a CA while the policy names no certificate.ca: the
# signer certificate itself is the trust anchor, so the run's valid
# certificate, its redacted copy and their PDFs are kept as they are: the same bytes, nothing moved
# aside (.stale-N), no new signature.
. "$(dirname "$0")/lib.sh"
need_root
command -v openssl >/dev/null || skip "openssl not installed"
srv=$T/srv
mkdir -p "$srv/srv/data" "$srv/etc" || die "mkdir"
printf 'customer data %s\n' "$MARKER" >"$srv/srv/data/a.txt"
echo kept >"$srv/etc/hostname"
# a CA, and the signer's CSR from dispose keygen signed by it
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
	-out "$T/ca.crt" -days 30 -subj "/CN=Test Resume CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	2>"$T/ossl.log" || die "openssl: $(cat "$T/ossl.log")"
"$DISPOSE" keygen --csr --subject "/CN=resume signer/O=Test" -o "$T/signer" >"$T/kg.out" 2>&1 ||
	die "keygen --csr: $(cat "$T/kg.out")"
[ -s "$T/signer.csr" ] && [ -s "$T/signer.key" ] || die "keygen --csr: no $T/signer.csr/.key: $(ls "$T")"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' >"$T/leaf.ext"
openssl x509 -req -in "$T/signer.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
	-days 30 -sha256 -extfile "$T/leaf.ext" -out "$T/signer.crt" 2>>"$T/ossl.log" ||
	die "openssl x509 -req: $(cat "$T/ossl.log")"
openssl verify -CAfile "$T/ca.crt" "$T/signer.crt" >/dev/null 2>&1 || die "setup: signer not issued by the CA"
cat >"$T/policy.json" <<JSON
{
	"schema": "dispose-policy/1",
	"name": "t-resume-ca",
	"description": "a CA-issued signer, no certificate.ca",
	"inventory": {"roots": ["$srv"], "categories": ["data"], "sysroot": "$srv"},
	"erase": [{"name": "data", "paths": ["$srv/srv/**"], "method": "zero", "verify": "last"}],
	"keep_running_system": true,
	"certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt",
			"operator_name": "Test Operator", "organization": "Test Org",
			"media_destination": "recycling", "redact": ["paths"]}
}
JSON
run=$T/run
"$DISPOSE" run --policy "$T/policy.json" --yes --progress none --run-dir "$run" \
	>"$T/out1" 2>"$T/err1" || die "run: exit $?: $(cat "$T/err1")"
[ -s "$run/certificate.json" ] && [ -s "$run/certificate.json.p7s" ] || die "run: no certificate"
[ -s "$run/certificate.redacted.json" ] && [ -s "$run/certificate.redacted.json.p7s" ] ||
	die "run: no redacted copy"
[ ! -e "$srv/srv/data/a.txt" ] || die "run: srv/data/a.txt not erased"
"$DISPOSE" verify --ca "$T/ca.crt" "$run/certificate.json" >"$T/v1" 2>&1 ||
	die "the run's certificate does not verify against the CA: $(cat "$T/v1")"
mkdir "$T/before"
cp -p "$run"/certificate.* "$T/before/" || die "cp"
ls "$run" >"$T/ls1"
sleep 1.1	# a new signature would carry another signingTime

"$DISPOSE" run --resume --run-dir "$run" --yes --progress none >"$T/out2" 2>"$T/err2"
rc=$?
[ $rc = 0 ] || die "resume of the finished run: exit $rc: $(cat "$T/err2")"
stale=$(ls "$run" | grep -F '.stale-')
[ -z "$stale" ] || die "resume moved aside: $stale ($(grep -m2 'not this run' "$T/err2"))"
for f in "$T"/before/*; do
	cmp -s "$f" "$run/${f##*/}" || die "resume changed ${f##*/}: $(grep -m2 'made again' "$T/err2")"
done
ls "$run" | diff "$T/ls1" - >"$T/lsdiff" || true
grep -q '^> certificate' "$T/lsdiff" && die "resume made new certificate files: $(cat "$T/lsdiff")"
grep -q 'made again' "$T/err2" && die "resume says 'made again': $(cat "$T/err2")"
"$DISPOSE" verify --ca "$T/ca.crt" --run-dir "$run" "$run/certificate.json" >"$T/v2" 2>&1 ||
	die "after the resume the certificate does not verify: $(cat "$T/v2")"
ok "resume of a finished run with a CA-issued signer (no certificate.ca) keeps its certificate: same bytes, nothing moved aside"

# the anchor is that signer only: another certificate by the same CA is not ours
mkdir "$T/k2" && "$DISPOSE" keygen --csr --subject "/CN=other signer/O=Test" -o "$T/k2/other" >/dev/null 2>&1 &&
openssl x509 -req -in "$T/k2/other.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
	-days 30 -sha256 -extfile "$T/leaf.ext" -out "$T/k2/other.crt" 2>>"$T/ossl.log" || die "other signer"
cp "$run/certificate.json" "$T/k2/c.json"
openssl cms -sign -binary -outform DER -in "$T/k2/c.json" -signer "$T/k2/other.crt" \
	-inkey "$T/k2/other.key" -md sha256 -out "$run/certificate.json.p7s" 2>>"$T/ossl.log" ||
	die "openssl cms -sign: $(tail -3 "$T/ossl.log")"
"$DISPOSE" run --resume --run-dir "$run" --yes --progress none >"$T/out3" 2>"$T/err3"
[ -e "$run/certificate.json.p7s.stale-1" ] ||
	die "a certificate signed by another signer of the same CA was kept: $(cat "$T/err3")"
"$DISPOSE" verify --ca "$T/ca.crt" "$run/certificate.json" >"$T/v3" 2>&1 || die "remade certificate: $(cat "$T/v3")"
grep -q 'resume signer' "$T/v3" || die "remade certificate not by the policy's signer: $(cat "$T/v3")"
ok "a certificate signed by another signer of the same CA is moved aside and made again"
