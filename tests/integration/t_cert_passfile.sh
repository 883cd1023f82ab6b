#!/bin/bash
# t_cert_passfile.sh - a --passphrase-file written with CRLF line ends (a
# careless admin's editor): keygen, stock openssl and certify all take its
# first line up to '\n', so the key keygen encrypted with it, and one openssl
# encrypted with it, both sign with that same file (certify cut the line at
# '\r' too: "cannot decrypt the key") (#12 review R2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root

printf 'pass word\r\nsecond line\r\n' >"$T/pass"
chmod 600 "$T/pass"
echo data >"$T/victim"
"$DISPOSE" erase --yes --progress none --method zero --verify last --run-dir "$T/r" "$T/victim" \
	>"$T/erase.out" 2>&1 || die "erase: $(cat "$T/erase.out")"

"$DISPOSE" keygen --passphrase-file "$T/pass" -o "$T/k" >"$T/kg.out" 2>&1 ||
	die "keygen: $(cat "$T/kg.out")"
openssl pkey -in "$T/k.key" -passin "file:$T/pass" -noout 2>/dev/null ||
	die "openssl does not open keygen's key with the same file"
"$DISPOSE" certify --run-dir "$T/r" --key "$T/k.key" --cert "$T/k.crt" --passphrase-file "$T/pass" \
	-o "$T/a.json" >"$T/c.out" 2>&1
rc=$?
[ $rc = 0 ] || die "certify with keygen's CRLF passphrase file: exit $rc: $(cat "$T/c.out")"
recipe "$T/a.json" "$T/k.crt" || die "the recipe rejects the certificate"
ok "keygen's key, encrypted with a CRLF file, signs with the same file"

# a key encrypted by stock openssl with the same file
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -passout "file:$T/pass" \
	-keyout "$T/o.key" -out "$T/o.crt" -days 30 -subj "/CN=openssl signer" \
	-addext "keyUsage=critical,digitalSignature" 2>"$T/o.err" || die "openssl: $(cat "$T/o.err")"
"$DISPOSE" certify --run-dir "$T/r" --key "$T/o.key" --cert "$T/o.crt" --passphrase-file "$T/pass" \
	-o "$T/b.json" >"$T/c2.out" 2>&1
rc=$?
[ $rc = 0 ] || die "certify with openssl's CRLF-encrypted key: exit $rc: $(cat "$T/c2.out")"
recipe "$T/b.json" "$T/o.crt" || die "the recipe rejects the second certificate"
ok "a key openssl encrypted with a CRLF file signs with the same file"

# the wrong line is still wrong: the passphrase without its '\r' does not open it
printf 'pass word\n' >"$T/pass2"
chmod 600 "$T/pass2"
"$DISPOSE" certify --run-dir "$T/r" --key "$T/k.key" --cert "$T/k.crt" --passphrase-file "$T/pass2" \
	-o "$T/c.json" >"$T/c3.out" 2>&1
rc=$?
[ $rc = 2 ] || die "certify with another passphrase: expected exit 2, got $rc: $(cat "$T/c3.out")"
grep -q 'cannot decrypt the key' "$T/c3.out" || die "certify: $(cat "$T/c3.out")"
[ ! -e "$T/c.json" ] && [ ! -e "$T/c.json.p7s" ] || die "certify left files behind"
ok "another passphrase: exit 2, nothing written"
