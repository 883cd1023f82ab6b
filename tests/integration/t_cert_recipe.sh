#!/bin/bash
# t_cert_recipe.sh - the stock auditor recipe (openssl cms -verify -binary
# -inform DER ... -CAfile CA -purpose any) and dispose verify agree: over a
# matrix of certificates, everything dispose verify finds valid the recipe
# accepts, everything the recipe rejects dispose rejects, and where dispose
# is stricter (key usage, signingTime, consistency, failure report) the row
# names the rule and dispose's reason says it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"

pki_make || { cat "$P/openssl.log"; die "test PKI"; }
cert_erase_runs || die "erase runs"
C=$T/c
mkdir -p "$C"
certify_with ss-ec "$T/r-ok" "$C/ss-ec.json" || die "certify ss-ec"
certify_with ss-rsa "$T/r-ok" "$C/ss-rsa.json" || die "certify ss-rsa"
certify_with ec "$T/r-ok" "$C/ec.json" --chain "$P/chain.pem" || die "certify ec"
certify_with rsa "$T/r-ok" "$C/rsa.json" --chain "$P/chain.pem" || die "certify rsa"
certify_with ec "$T/r-ok" "$C/ec-nochain.json" || die "certify ec without chain"
certify_with ec "$T/r-fail" "$C/fail.json" --chain "$P/chain.pem" || die "certify r-fail"
mk() { cp "$C/$1.json" "$C/$2.json"; }   # a copy of the document, to be signed otherwise
mk ec stock;    stock_sign ec "$C/stock.json" "$P/chain.pem" || die "stock sign"
mk ec expired;  stock_sign expired "$C/expired.json" "$P/chain.pem" || die "sign expired"
mk ec nods;     stock_sign nods "$C/nods.json" "$P/chain.pem" || die "sign nods"
mk ec noku;     stock_sign noku "$C/noku.json" "$P/chain.pem" || die "sign noku"
mk ec noattr
openssl cms -sign -binary -noattr -in "$C/noattr.json" -signer "$P/ec.crt" -inkey "$P/ec.key" -md sha256 \
	-certfile "$P/chain.pem" -outform DER -out "$C/noattr.json.p7s" 2>>"$P/openssl.log" || die "sign noattr"
mk ec pem
openssl cms -sign -binary -in "$C/pem.json" -signer "$P/ec.crt" -inkey "$P/ec.key" -md sha256 \
	-certfile "$P/chain.pem" -outform PEM -out "$C/pem.json.p7s" 2>>"$P/openssl.log" || die "sign pem"
mk ec tdoc;  cp "$C/ec.json.p7s" "$C/tdoc.json.p7s"
sed -i '0,/"created": "2/s//"created": "1/' "$C/tdoc.json"
cmp -s "$C/ec.json" "$C/tdoc.json" && die "tdoc unchanged"
mk ec tsig;  cp "$C/ec.json.p7s" "$C/tsig.json.p7s"
python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-5]^=1; open(p,"wb").write(b)' \
	"$C/tsig.json.p7s"
python3 - "$C/fail.json" "$C/crafted.json" <<'PY' || die "craft"
import sys
s = open(sys.argv[1], encoding="utf-8").read()
s = s.replace('"kind": "sanitization-failure-report"', '"kind": "certificate-of-sanitization"', 1)
a = s.index('"failures": ['); b = s.index(']', a)
open(sys.argv[2], "w", encoding="utf-8").write(s[:a] + '"failures": [\n    ]' + s[b + 1:])
PY
stock_sign ec "$C/crafted.json" "$P/chain.pem" || die "sign crafted"

# name  CA  dispose-outcome  stricter-rule (what dispose's reason must say when the recipe accepts)
matrix="
ss-ec      ss-ec.crt  valid          -
ss-rsa     ss-rsa.crt valid          -
ec         root.crt   valid          -
rsa        root.crt   valid          -
stock      root.crt   valid          -
ec         other.crt  untrusted      -
ec         int.crt    untrusted      -
ss-ec      root.crt   untrusted      -
ec-nochain root.crt   untrusted      -
expired    root.crt   invalid        -
tdoc       root.crt   invalid        -
tsig       root.crt   invalid        -
pem        root.crt   invalid        -
nods       root.crt   invalid        keyUsage lacks digitalSignature
noku       root.crt   invalid        no keyUsage extension
noattr     root.crt   invalid        no signed attributes
crafted    root.crt   invalid        kind: certificate-of-sanitization, but target
fail       root.crt   failure-report valid as signed, but a sanitization failure report
"
n=0
while read -r name ca want rule; do
	[ -n "$name" ] || continue
	n=$((n + 1))
	"$DISPOSE" verify --json --ca "$P/$ca" "$C/$name.json" >"$T/m.json" 2>"$T/m.err"
	drc=$?
	got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificates"][0]["outcome"])' "$T/m.json") ||
		{ cat "$T/m.err"; die "$name: no JSON"; }
	reason=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificates"][0]["reason"])' "$T/m.json")
	recipe "$C/$name.json" "$P/$ca"
	rrc=$?
	[ "$got" = "$want" ] || die "$name --ca $ca: dispose says $got ($reason), expected $want"
	if [ "$got" = valid ]; then
		[ "$drc" = 0 ] || die "$name: valid but exit $drc"
		[ "$rrc" = 0 ] || die "$name --ca $ca: dispose valid, the stock recipe rejects it"
	else
		[ "$drc" = 3 ] || die "$name: $got but exit $drc"
		if [ "$rrc" = 0 ]; then
			[ "$rule" != - ] || die "$name --ca $ca: the recipe accepts what dispose rejects ($reason), and no rule is named"
			case $reason in *"$rule"*) ;; *) die "$name: reason '$reason' does not name the rule '$rule'";; esac
			echo "stricter than the recipe: $name ($rule)"
		else
			[ "$rule" = - ] || die "$name: the recipe rejects it too; the row should not name a rule"
		fi
	fi
done <<<"$matrix"
[ "$n" = 18 ] || die "matrix rows: $n"
ok "stock recipe and dispose verify agree on $n certificates; stricter only by named rules"
