#!/bin/bash
# t_r2_pdf_recipe.sh - R2 #15 finding: the PDF's "stock" openssl recipe takes
# the certificate's file name as is, so a name chosen by whoever runs show
# --pdf rewrites the command a reader copies: a certificate signed by a key no
# CA vouches for, named 'c.json.p7s -content c.json -noverify #', gives a PDF
# whose recipe, copied from the page and run beside the genuine c.json and
# c.json.p7s with the auditor's CA.pem, prints "Verification successful"
# (-noverify: the signer is never checked; '#' comments the -CAfile out). The
# recipe a PDF prints must verify against CA.pem or fail, never skip it.
# Fails on main: the copied recipe exits 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v pdftotext >/dev/null || skip "poppler-utils missing"

pki_make || die "test PKI"
echo data >"$T/victim"
"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r" \
	"$T/victim" >"$T/erase.out" 2>&1
# a forger's own key: self-signed, under no CA the auditor trusts
certify_with ss-ec "$T/r" "$T/c.json" || die "certify"
mkdir "$T/a" && cp "$T/c.json" "$T/c.json.p7s" "$T/a/" && cp "$P/root.crt" "$T/a/CA.pem" || die "copy"
(cd "$T/a" && ! recipe c.json "$T/a/CA.pem") || die "premise: the honest recipe accepts the forger's key"
n='c.json.p7s -content c.json -noverify #'
cp "$T/c.json" "$T/$n" && cp "$T/c.json.p7s" "$T/$n.p7s" || die "name"
"$DISPOSE" show --pdf -o "$T/c.pdf" "$T/$n" >"$T/s.out" 2>&1
if [ -s "$T/c.pdf" ]; then
	# the recipe as a reader copies it: its lines on page 1, joined
	pdftotext -raw -f 1 -l 1 "$T/c.pdf" - 2>/dev/null | sed -n '/^openssl cms/,/-purpose any/p' |
		tr '\n' ' ' >"$T/recipe.sh"
	grep -q '^openssl cms -verify ' "$T/recipe.sh" || { cat "$T/recipe.sh"; die "no recipe on page 1"; }
	(cd "$T/a" && bash "$T/recipe.sh" >/dev/null 2>&1) &&
		{ cat "$T/recipe.sh"; die "the PDF's recipe accepts a signer CA.pem does not vouch for"; }
	ok "the recipe printed for '$n' does not skip the CA check"
else
	# refused as a name: one line naming it
	grep -q "^dispose: .*$n" "$T/s.out" || { cat "$T/s.out"; die "no PDF and no error line naming it"; }
	ok "the name is refused: $(head -1 "$T/s.out")"
fi
