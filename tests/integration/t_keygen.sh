#!/bin/bash
# t_keygen.sh - dispose keygen: EC P-256 and RSA 3072 keys (PKCS#8, 0600, created new,
# optionally encrypted), a self-signed signing certificate or a CSR that stock openssl
# accepts, every refusal leaving nothing behind, and a pair that signs CMS.
. "$SRCDIR/tests/integration/lib.sh"
command -v openssl >/dev/null || skip "needs openssl"
D=$DISPOSE
cd "$T" || die "cd"

# no file of the prefix may exist after a refused call
none_left() { local f; for f in "$1".key "$1".crt "$1".csr; do
	[ -e "$f" ] || [ -L "$f" ] && die "$2: $f left behind"; done; return 0; }
days_between() { echo $(( ($(date -d "$(openssl x509 -in "$1" -noout -enddate | cut -d= -f2)" +%s) -
	$(date -d "$(openssl x509 -in "$1" -noout -startdate | cut -d= -f2)" +%s)) / 86400 )); }

# --- EC P-256, the defaults -----------------------------------------------------------
umask 000	# the modes are exact whatever the umask
$D keygen -o ec >out.ec 2>err.ec; rc=$?
[ $rc -eq 0 ] || die "keygen (ec): exit $rc: $(cat err.ec)"
[ -s err.ec ] && die "keygen (ec) wrote to stderr: $(cat err.ec)"
[ "$(stat -c %a ec.key)" = 600 ] || die "ec.key mode $(stat -c %a ec.key)"
[ "$(stat -c %a ec.crt)" = 644 ] || die "ec.crt mode $(stat -c %a ec.crt)"
umask 022
[ "$(head -1 ec.key)" = "-----BEGIN PRIVATE KEY-----" ] || die "ec.key is not PKCS#8: $(head -1 ec.key)"
openssl pkey -in ec.key -noout -text 2>/dev/null | grep -q 'NIST CURVE: P-256' || die "ec.key not P-256"
openssl x509 -in ec.crt -noout -text >ec.txt || die "ec.crt does not parse"
grep -q 'Version: 3 (0x2)' ec.txt || die "not X.509 v3"
grep -q 'Signature Algorithm: ecdsa-with-SHA256' ec.txt || die "not SHA-256: $(grep 'Signature Alg' ec.txt)"
grep -A1 'X509v3 Key Usage: critical' ec.txt | grep -qx ' *Digital Signature' ||
	die "keyUsage not critical digitalSignature only: $(grep -A1 'Key Usage' ec.txt)"
grep -A1 'X509v3 Basic Constraints: critical' ec.txt | grep -qx ' *CA:FALSE' || die "not CA:FALSE, critical"
grep -q 'X509v3 Subject Key Identifier' ec.txt && grep -q 'X509v3 Authority Key Identifier' ec.txt ||
	die "no SKI/AKI"
[ "$(openssl x509 -in ec.crt -noout -subject)" = "subject=CN = $(hostname | cut -c1-49) dispose signer" ] ||
	die "default subject: $(openssl x509 -in ec.crt -noout -subject)"
[ "$(openssl x509 -in ec.crt -noout -issuer | cut -d= -f2-)" = "$(openssl x509 -in ec.crt -noout -subject | cut -d= -f2-)" ] ||
	die "not self-issued"
openssl verify -CAfile ec.crt -partial_chain ec.crt >/dev/null 2>&1 || die "self-signature does not verify"
[ "$(days_between ec.crt)" = 825 ] || die "default validity $(days_between ec.crt) days, not 825"
# notBefore is now (within a minute)
nb=$(date -d "$(openssl x509 -in ec.crt -noout -startdate | cut -d= -f2)" +%s)
[ $(( $(date +%s) - nb )) -lt 60 ] && [ $(( nb - $(date +%s) )) -lt 60 ] || die "notBefore is not now"
# serial: positive, at most 159 bits (20 octets, high bit clear), random
s1=$(openssl x509 -in ec.crt -noout -serial | cut -d= -f2)
[ ${#s1} -le 40 ] && [[ $s1 =~ ^[0-7]?[0-9A-F]+$ ]] || die "serial $s1 not positive 159-bit"
[ ${#s1} -ge 20 ] || die "serial $s1 suspiciously short"
# key and certificate are a pair
[ "$(openssl pkey -in ec.key -pubout)" = "$(openssl x509 -in ec.crt -noout -pubkey)" ] || die "ec key/cert not a pair"
# output: the files, the subject and the fingerprint openssl prints
grep -q '^key: *ec\.key' out.ec && grep -q '^certificate: *ec\.crt' out.ec || die "output: $(cat out.ec)"
grep -qx "subject: *$(openssl x509 -in ec.crt -noout -subject | cut -d= -f2-)" out.ec || die "subject not printed: $(cat out.ec)"
grep -qx "$(openssl x509 -in ec.crt -noout -fingerprint -sha256)" out.ec || die "fingerprint not as openssl prints it: $(cat out.ec)"
ok "ec-p256: PKCS#8 0600 key, v3 self-signed cert (critical digitalSignature, CA:FALSE, 825 days), fingerprint"

# --- RSA 3072, subject with escapes and UTF-8, --days -------------------------------------
expect_exit 0 $D keygen --type rsa-3072 --subject '/CN=Disposal \/ Signer é/O=Example+Co/OU=IT/OU=Sec' \
	--days 10 -q -o rsa >out.rsa
[ -s out.rsa ] && die "-q printed: $(cat out.rsa)"
[ "$(stat -c %a rsa.key)" = 600 ] || die "rsa.key mode"
openssl pkey -in rsa.key -noout -text 2>/dev/null | grep -q 'Private-Key: (3072 bit' || die "rsa.key not RSA 3072"
openssl x509 -in rsa.crt -noout -text | grep -q 'Signature Algorithm: sha256WithRSAEncryption' || die "rsa: not SHA-256"
[ "$(openssl x509 -in rsa.crt -noout -subject -nameopt utf8,sep_comma_plus)" = \
  "subject=CN=Disposal / Signer é,O=Example+Co,OU=IT,OU=Sec" ] ||
	die "rsa subject: $(openssl x509 -in rsa.crt -noout -subject -nameopt utf8,sep_comma_plus)"
openssl asn1parse -in rsa.crt | grep -q 'UTF8STRING *:Disposal / Signer' || die "CN not a UTF8String"
[ "$(days_between rsa.crt)" = 10 ] || die "--days 10 gave $(days_between rsa.crt) days"
expect_exit 0 $D keygen --days 36500 -q -o long
[ "$(days_between long.crt)" = 36500 ] || die "--days 36500 gave $(days_between long.crt)"
ok "rsa-3072, escaped UTF-8 subject, --days 10 and 36500"

# --- never replace anything -----------------------------------------------------------------
printf 'keep me\n' >old.key
$D keygen -o old >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] || die "existing .key: exit $rc"
grep -qx 'dispose: old.key: exists (never replaced)' err || die "existing .key message: $(cat err)"
[ "$(cat old.key)" = "keep me" ] || die "existing .key changed"
[ -e old.crt ] && die "old.crt made although the key was refused"
# an existing certificate: refused, and the key this call made is removed again
printf 'cert\n' >oc.crt
$D keygen -o oc >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] || die "existing .crt: exit $rc"
grep -qx 'dispose: oc.crt: exists (never replaced)' err || die "existing .crt message: $(cat err)"
[ "$(cat oc.crt)" = cert ] || die "existing .crt changed"
[ -e oc.key ] && die "oc.key left behind"
# a symlink (to an existing file, and dangling) is refused, its target untouched
printf 'target\n' >target
ln -s target sl.key
ln -s nowhere dl.key
ln -s target sc.crt
for p in sl dl sc; do
	$D keygen -o $p >/dev/null 2>err; rc=$?
	[ $rc -eq 2 ] || die "symlink $p: exit $rc"
	grep -q "^dispose: $p\.\(key\|crt\): is a symbolic link (never replaced)$" err || die "symlink $p: $(cat err)"
done
[ "$(cat target)" = target ] || die "symlink target changed"
[ -e nowhere ] && die "dangling symlink's target created"
[ -L sl.key ] && [ -L dl.key ] && [ -L sc.crt ] || die "a symlink was replaced"
[ -e sl.crt ] || [ -e dl.crt ] || [ -e sc.key ] && die "files left after a symlink refusal"
# a prefix in a directory that does not exist
$D keygen -o nodir/x >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] || die "missing directory: exit $rc"
grep -q '^dispose: nodir/x.key: No such file or directory$' err || die "missing directory: $(cat err)"
ok "an existing file or symlink is refused (exit 2, named, untouched, nothing left)"

# --- encrypted key -------------------------------------------------------------------------
umask 077
printf 'correct horse\nsecond line\n' >pw
printf '\n' >empty.pw
printf 'x\n' >open.pw
umask 022
chmod 644 open.pw
expect_exit 0 $D keygen --passphrase-file pw -q -o enc
[ "$(head -1 enc.key)" = "-----BEGIN ENCRYPTED PRIVATE KEY-----" ] || die "not encrypted PKCS#8"
openssl asn1parse -in enc.key | grep -q ':aes-256-cbc' || die "not AES-256-CBC"
openssl pkey -in enc.key -passin file:pw -noout 2>/dev/null || die "the passphrase does not open enc.key"
openssl pkey -in enc.key -passin 'pass:correct horse' -noout 2>/dev/null || die "first line is not the passphrase"
openssl pkey -in enc.key -passin pass:wrong -noout 2>/dev/null && die "a wrong passphrase opens enc.key"
openssl pkey -in enc.key -passin pass: -noout 2>/dev/null && die "no passphrase opens enc.key"
[ "$(openssl pkey -in enc.key -passin file:pw -pubout)" = "$(openssl x509 -in enc.crt -noout -pubkey)" ] ||
	die "enc key/cert not a pair"
$D keygen --passphrase-file empty.pw -o e2 >/dev/null 2>err; rc=$?
[ $rc -eq 2 ] || die "empty passphrase: exit $rc"
grep -qx 'dispose: empty.pw: empty passphrase' err || die "empty passphrase: $(cat err)"
none_left e2 "empty passphrase"
$D keygen --passphrase-file open.pw -o e3 >/dev/null 2>err; rc=$?
[ $rc -eq 4 ] || die "group/other-readable passphrase file: exit $rc"
grep -q '^dispose: open.pw: group or others may read it' err || die "readable passphrase file: $(cat err)"
none_left e3 "readable passphrase file"
expect_exit 2 $D keygen --passphrase-file missing.pw -o e4 2>/dev/null
none_left e4 "missing passphrase file"
ok "--passphrase-file: AES-256-CBC PKCS#8 that openssl opens only with the passphrase; refusals"

# --- CSR -------------------------------------------------------------------------------------
expect_exit 0 $D keygen --csr --subject /CN=req/O=Org -o req >out.req
[ -e req.crt ] && die "--csr wrote a certificate"
[ "$(stat -c %a req.key)" = 600 ] || die "req.key mode"
openssl req -in req.csr -verify -noout 2>&1 | grep -q 'verify OK' || die "CSR does not verify"
openssl req -in req.csr -noout -text >req.txt
grep -q 'Subject: CN = req, O = Org' req.txt || die "CSR subject: $(grep Subject: req.txt)"
grep -A1 'X509v3 Key Usage: critical' req.txt | grep -qx ' *Digital Signature' || die "CSR: no keyUsage request"
[ "$(openssl pkey -in req.key -pubout)" = "$(openssl req -in req.csr -noout -pubkey)" ] || die "CSR key mismatch"
grep -q '^request: *req\.csr' out.req || die "CSR output: $(cat out.req)"
expect_exit 2 $D keygen --csr --days 5 -o req2 2>/dev/null
none_left req2 "--csr --days"
ok "--csr: a signed request with keyUsage digitalSignature"

# --- usage errors: one line, exit 2, nothing made ----------------------------------------------
bad() {	# bad NAME ARGS...: exit 2, one "dispose: " line and the hint, nothing left
	local n=$1; shift
	$D keygen "$@" >out 2>err; local rc=$?
	[ $rc -eq 2 ] || die "$n: exit $rc ($*)"
	[ "$(head -1 err | cut -c1-9)" = "dispose: " ] && [ "$(wc -l <err)" -le 2 ] || die "$n: $(cat err)"
	[ -s out ] && die "$n: printed $(cat out)"
	none_left bad "$n"
}
bad "no slash" --subject CN=x -o bad
bad "empty subject" --subject '' -o bad
bad "empty value" --subject /CN= -o bad
bad "no =" --subject /CN -o bad
bad "unknown key" --subject /XYZ=1 -o bad
bad "empty attribute" --subject //CN=x -o bad
bad "trailing slash" --subject /CN=x/ -o bad
bad "bad escape" --subject '/CN=a\q' -o bad
bad "not UTF-8" --subject "$(printf '/CN=\xff')" -o bad
bad "control char" --subject "$(printf '/CN=a\tb')" -o bad
bad "country too long" --subject /C=USA -o bad
bad "CN too long" --subject "/CN=$(printf '%065d' 0)" -o bad
bad "bad type" --type ed25519 -o bad
bad "empty type" --type '' -o bad
bad "days 0" --days 0 -o bad
bad "days 36501" --days 36501 -o bad
bad "days word" --days ten -o bad
bad "no -o"
bad "stray arg" -o bad extra
$D keygen --subject /XYZ=1 -o bad 2>err
grep -qx 'dispose: --subject: XYZ: unknown attribute' err || die "unknown key message: $(cat err)"
$D keygen --type ed25519 -o bad 2>err
grep -qx 'dispose: --type: ed25519: expected ec-p256 or rsa-3072' err || die "type message: $(cat err)"
ok "bad subject, type, days, missing -o: exit 2, one line, nothing made"

# --- the pair signs and verifies CMS with stock openssl ---------------------------------------------
printf 'disposal certificate\n' >doc.json
for k in ec rsa; do
	openssl cms -sign -binary -in doc.json -signer $k.crt -inkey $k.key -outform DER \
		-out $k.p7s -md sha256 2>err || die "$k: cms -sign: $(cat err)"
	openssl cms -verify -binary -inform DER -in $k.p7s -content doc.json -CAfile $k.crt \
		-purpose any -out /dev/null 2>err || die "$k: cms -verify: $(cat err)"
	grep -q 'Verification successful' err || die "$k: $(cat err)"
	printf 'tampered\n' >>doc.json
	openssl cms -verify -binary -inform DER -in $k.p7s -content doc.json -CAfile $k.crt \
		-purpose any -out /dev/null 2>/dev/null && die "$k: tampered content verifies"
	printf 'disposal certificate\n' >doc.json
done
openssl cms -sign -binary -in doc.json -signer enc.crt -inkey enc.key -passin file:pw -outform DER \
	-out enc.p7s 2>/dev/null || die "encrypted key: cms -sign"
openssl cms -verify -binary -inform DER -in enc.p7s -content doc.json -CAfile enc.crt -purpose any \
	-out /dev/null 2>/dev/null || die "encrypted key: cms -verify"
# another key's certificate is no trust anchor for it
openssl cms -verify -binary -inform DER -in ec.p7s -content doc.json -CAfile rsa.crt -purpose any \
	-out /dev/null 2>/dev/null && die "ec signature verifies against the rsa certificate"
ok "keys and certificates sign and verify CMS (the auditor's recipe)"
