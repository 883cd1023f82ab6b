#!/bin/bash
# t_certify_chain.sh - certify embeds only the signer's own chain: a --chain
# (or a second certificate in --cert's file) that is not an issuer on the way
# up from the signer is refused (exit 2, naming the file and the certificate,
# nothing written), since verify rejects every signature carrying one; the
# intermediate, with or without its root, is accepted and verifies. A signer
# with CA:TRUE is accepted, as verify accepts it.
. "$(dirname "$0")/lib.sh"
need_root
. "$(dirname "$0")/cert_lib.sh"
pki_make || die "pki: $(tail -5 "$P/openssl.log")"
cert_erase_runs || die "erase runs"

# refused LABEL WANT SIGNER CERTFILE CHAIN: exit 2, the line, no output files
refused() {
	local out=$T/$1.json
	"$DISPOSE" certify --run-dir "$T/r-ok" --key "$P/$3.key" --cert "$4" ${5:+--chain "$5"} \
		-o "$out" >"$T/$1.out" 2>"$T/$1.err"
	rc=$?
	[ "$rc" = 2 ] || die "$1: exit $rc (want 2): $(cat "$T/$1.out" "$T/$1.err")"
	[ "$(cat "$T/$1.err")" = "$2" ] || die "$1: $(cat "$T/$1.err")"
	[ ! -e "$out" ] && [ ! -e "$out.p7s" ] || die "$1: wrote a certificate"
}
# accepted LABEL SIGNER CHAIN: certify, then verify --ca root exit 0
accepted() {
	certify_with "$2" "$T/r-ok" "$T/$1.json" ${3:+--chain "$3"} || die "$1: certify"
	verify_out --ca "$P/root.crt" "$T/$1.json"
	[ "$vrc" = 0 ] || die "$1: verify: exit $vrc: $(cat "$T/v.out" "$T/v.err")"
}

accepted good ec "$P/int.crt"
cat "$P/int.crt" "$P/root.crt" >"$T/int-root.pem"
accepted with-root ec "$T/int-root.pem"
ok "the intermediate, alone or with its root: certified, verify exit 0"

signer="CN = ec signer, O = Test"
msg() { echo "dispose: $1: certificate $2 is not in the chain of the signer $3 (verify would reject every certificate signed so)"; }
refused other "$(msg "$P/other.crt" "CN = Some Other CA" "$signer")" ec "$P/ec.crt" "$P/other.crt"
cat "$P/int.crt" "$P/other.crt" >"$T/int-other.pem"
refused int-other "$(msg "$T/int-other.pem" "CN = Some Other CA" "$signer")" ec "$P/ec.crt" "$T/int-other.pem"
cat "$P/ec.crt" "$P/rsa.crt" >"$T/ec-rsa.pem"
refused in-cert "$(msg "$T/ec-rsa.pem" "CN = rsa signer, O = Test" "$signer")" ec "$T/ec-rsa.pem" ""
refused self-signed "$(msg "$P/int.crt" "CN = Test Intermediate CA" "CN = self-signed ec")" \
	ss-ec "$P/ss-ec.crt" "$P/int.crt"
ok "a --chain or --cert certificate outside the signer's chain: exit 2, named, nothing written"

# verify's rule decides CA:TRUE: it accepts such a signer, so certify does too
openssl x509 -in "$P/ss-ec.crt" -noout -text | grep -q "CA:TRUE" || die "ss-ec is not CA:TRUE"
certify_with ss-ec "$T/r-ok" "$T/ca-signer.json" || die "CA:TRUE signer: certify"
verify_out --ca "$P/ss-ec.crt" "$T/ca-signer.json"
[ "$vrc" = 0 ] || die "CA:TRUE signer: verify exit $vrc: $(cat "$T/v.out")"
ok "a self-signed CA:TRUE signer with digitalSignature: certified and valid, as verify decides"
