#!/bin/bash
# t_archive_recipients.sh - an encrypted archive's record names each recipient by
# certificate identity (subject, issuer, serial, SHA-256 of the DER), exactly as
# stock openssl prints them, beside the paths given; the readback key is not one.
. "$SRCDIR/tests/integration/lib.sh"
command -v openssl >/dev/null || skip "needs openssl"
D=$DISPOSE
S=$T/src K=$T/keys
mkdir -p "$S" "$K" "$T/out"
printf 'retained record\n' >"$S/record.txt"

# an EC recipient with a UTF-8, comma-holding subject, self-signed
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/rec.key" \
	-out "$K/rec.crt" -days 30 -utf8 -subj '/CN=Records, Archive é/O=Example Org' 2>/dev/null ||
	die "ec cert"
# an RSA recipient issued by a CA: issuer differs from subject, serial chosen
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/ca.key" -out "$K/ca.crt" -days 30 \
	-subj '/CN=Test CA/O=Example Org' 2>/dev/null || die "ca"
openssl req -new -newkey rsa:2048 -nodes -keyout "$K/esc.key" -out "$K/esc.csr" \
	-subj '/CN=escrow/OU=Legal' 2>/dev/null || die "esc csr"
openssl x509 -req -in "$K/esc.csr" -CA "$K/ca.crt" -CAkey "$K/ca.key" -set_serial 0x00ABCDEF0123 \
	-days 30 -out "$K/esc.crt" 2>/dev/null || die "esc cert"
# the second recipient given in DER
openssl x509 -in "$K/esc.crt" -outform DER -out "$K/esc.der" || die "der"

# check RUN ARCHIVE CERT...: the archive's archive_created holds recipient_certificates,
# one per certificate in order, each equal to what openssl x509 prints for it
check() {
	local run=$1 arc=$2; shift 2
	local exp=$T/expect.json c
	echo '[' >"$exp"
	for c in "$@"; do
		local inf=PEM; [ "${c##*.}" = der ] && inf=DER
		python3 - "$inf" "$c" \
			"$(openssl x509 -inform $inf -in "$c" -noout -subject)" \
			"$(openssl x509 -inform $inf -in "$c" -noout -issuer)" \
			"$(openssl x509 -inform $inf -in "$c" -noout -serial)" \
			"$(openssl x509 -inform $inf -in "$c" -noout -fingerprint -sha256)" \
			"$(openssl x509 -inform $inf -in "$c" -outform DER | sha256sum | cut -c1-64)" >>"$exp" <<'PY' || die "expect $c"
import json, sys
inf, path, subj, iss, ser, fp, dersha = sys.argv[1:]
assert subj.startswith("subject=") and iss.startswith("issuer=") and ser.startswith("serial=")
sha = fp.split("=", 1)[1].replace(":", "").lower()
assert sha == dersha, (sha, dersha)
print(json.dumps({"subject": subj[8:], "issuer": iss[7:], "serial": ser[7:], "sha256": sha}) + ",")
PY
	done
	echo 'null]' >>"$exp"
	python3 - "$run/events.jsonl" "$arc" "$exp" "$@" <<'PY' || die "record of $arc"
import json, os, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
arc, exp, certs = sys.argv[2], json.load(open(sys.argv[3]))[:-1], sys.argv[4:]
c = [e for e in ev if e["event"] == "archive_created" and e["archive"] == os.path.realpath(arc)]
assert len(c) == 1, "no archive_created of %s" % arc
c = c[0]
# what was recorded before stays: the paths as given
assert c["recipients"] == certs, c["recipients"]
got = c.get("recipient_certificates")
assert got is not None, "no recipient_certificates in archive_created: %s" % sorted(c)
assert got == exp, "recorded %s\nopenssl %s" % (json.dumps(got, indent=1), json.dumps(exp, indent=1))
for r in got:
    assert list(r) == ["subject", "issuer", "serial", "sha256"], list(r)
print("ok", [r["subject"] for r in got])
PY
}

A=$T/out/two.tar.zst.enc
expect_exit 0 $D archive create --run-dir "$T/run" --root "$S" --recipient "$K/rec.crt" \
	--recipient "$K/esc.der" -o "$A" >/dev/null
check "$T/run" "$A" "$K/rec.crt" "$K/esc.der"
# the issuer is the CA and the serial the one set, not the subject repeated
python3 - "$T/run/events.jsonl" <<'PY' || die "issuer/serial"
import json, sys
c = [json.loads(l) for l in open(sys.argv[1]) if '"archive_created"' in l][0]
r = c["recipient_certificates"]
assert r[1]["issuer"] == "CN = Test CA, O = Example Org", r[1]
assert r[1]["subject"] == "CN = escrow, OU = Legal", r[1]
assert r[1]["serial"] == "ABCDEF0123", r[1]
assert r[0]["subject"] == r[0]["issuer"] == 'CN = "Records, Archive \\C3\\A9", O = Example Org', r[0]
PY
ok "two recipients (EC PEM, RSA DER from a CA): identities as openssl prints them, readback key not listed"

# the record still serves verify: nothing it reads changed
expect_exit 0 $D archive verify "$A" --key "$K/esc.key" --cert "$K/esc.crt" --run-dir "$T/run" >/dev/null
ok "archive verify --run-dir accepts the record"

# with --key/--cert (no readback key): the one recipient, in the record
B=$T/out/one.tar.zst.enc
expect_exit 0 $D archive create --run-dir "$T/run2" --root "$S" --recipient "$K/rec.crt" \
	--key "$K/rec.key" --cert "$K/rec.crt" -o "$B" >/dev/null
check "$T/run2" "$B" "$K/rec.crt"
ok "one recipient read back with its own key"

# a plain archive records no recipients at all
C=$T/out/plain.tar.zst
expect_exit 0 $D archive create --run-dir "$T/run3" --root "$S" -o "$C" >/dev/null
python3 - "$T/run3/events.jsonl" <<'PY' || die "plain archive"
import json, sys
c = [json.loads(l) for l in open(sys.argv[1]) if '"archive_created"' in l][0]
assert c["encrypted"] is False and "recipients" not in c and "recipient_certificates" not in c, c
PY
ok "a plain archive names no recipients"
