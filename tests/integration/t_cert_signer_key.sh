#!/bin/bash
# t_cert_signer_key.sh - verify refuses a signer the issue does not allow,
# though the stock recipe accepts its signature: an RSA key under 2048 bits,
# an EC key on a curve other than P-256 (P-384, secp256k1), a CA certificate
# (CA:TRUE, issued by another CA) signing as an end entity; each named, exit 3;
# in one batch the good certificate stays valid and only it; certify refuses
# each of these signers before signing (exit 2, no file).
. "$SRCDIR/tests/integration/lib.sh"
need_root
command -v openssl >/dev/null || skip "needs openssl"
. "$SRCDIR/tests/integration/cert_lib.sh"
P=$T/pki
pki_make || die "pki"
cert_erase_runs || die "erase runs"
certify_with ec "$T/r-ok" "$T/good.json" --chain "$P/chain.pem" || die "certify"

# issued NAME KEYARGS EXT: a certificate for NAME issued by the intermediate
issued() {
	openssl req -new $2 -nodes -keyout "$P/$1.key" -out "$P/$1.csr" -subj "/CN=$1" \
		2>>"$P/openssl.log" &&
	printf '%s\n' "$3" >"$P/$1.ext" &&
	openssl x509 -req -in "$P/$1.csr" -CA "$P/int.crt" -CAkey "$P/int.key" -CAcreateserial \
		-days 30 -extfile "$P/$1.ext" -out "$P/$1.crt" 2>>"$P/openssl.log"
}
LEAF='keyUsage=critical,digitalSignature
basicConstraints=critical,CA:FALSE'
issued rsa1024 "-newkey rsa:1024" "$LEAF" || die "rsa1024"
issued p384 "-newkey ec -pkeyopt ec_paramgen_curve:P-384" "$LEAF" || die "p384"
issued k256 "-newkey ec -pkeyopt ec_paramgen_curve:secp256k1" "$LEAF" || die "k256"
issued subca "-newkey ec -pkeyopt ec_paramgen_curve:P-256" \
	'keyUsage=critical,digitalSignature,keyCertSign
basicConstraints=critical,CA:TRUE' || die "subca"

declare -A why=(
	[rsa1024]="its RSA key is shorter than 2048 bits"
	[p384]="its EC key is not on the P-256 curve"
	[k256]="its EC key is not on the P-256 curve"
	[subca]="it is a CA certificate (basicConstraints CA:TRUE), not an end entity"
)
files=("$T/good.json")
for s in rsa1024 p384 k256 subca; do
	cp "$T/good.json" "$T/$s.json"
	stock_sign "$s" "$T/$s.json" "$P/chain.pem" || die "stock sign $s"
	recipe "$T/$s.json" "$P/root.crt" || die "$s: the recipe rejects it (test setup)"
	verify_out --ca "$P/root.crt" "$T/$s.json"
	[ $vrc = 3 ] || die "$s: verify exit $vrc: $(cat "$T/v.out" "$T/v.err")"
	grep -qxF "$T/$s.json: invalid: signer certificate: ${why[$s]}" "$T/v.out" ||
		die "$s: $(cat "$T/v.out")"
	files+=("$T/$s.json")
done
ok "weak RSA, other curves and a CA signing as an end entity: invalid, named (the recipe accepts them)"

verify_out --ca "$P/root.crt" "${files[@]}"
[ $vrc = 3 ] || die "batch: exit $vrc"
[ "$(grep -c ': valid: ' "$T/v.out")" = 1 ] && grep -q "^$T/good.json: valid: " "$T/v.out" ||
	die "batch: $(cat "$T/v.out")"
[ "$(grep -c ': invalid: signer certificate: ' "$T/v.out")" = 4 ] || die "batch: $(cat "$T/v.out")"
ok "in one batch the good certificate is valid and the four others invalid"

# certify refuses the same signers up front: exit 2, one line naming why, no file
for s in rsa1024 p384 k256 subca; do
	"$DISPOSE" certify --run-dir "$T/r-ok" --key "$P/$s.key" --cert "$P/$s.crt" \
		--chain "$P/chain.pem" -o "$T/c-$s.json" >"$T/c.out" 2>"$T/c.err"
	rc=$?
	[ $rc = 2 ] || die "certify $s: exit $rc: $(cat "$T/c.out" "$T/c.err")"
	grep -qxF "dispose: $P/$s.crt: certificate cannot sign certificates: ${why[$s]}" "$T/c.err" ||
		die "certify $s: $(cat "$T/c.err")"
	[ ! -e "$T/c-$s.json" ] && [ ! -e "$T/c-$s.json.p7s" ] || die "certify $s: a file was left"
done
ok "certify refuses the same signers before signing (exit 2, no file)"
