#!/bin/bash
# t_pdf_certify.sh - dispose certify ... -o NAME.json --pdf NAME.pdf: writes the
# signed JSON, its .p7s and the PDF ("NAME.pdf: written from NAME.json"), and
# the PDF verifies against the JSON (verify --pdf, exit 0; its text names the
# certificate id and the digest of the JSON); a failure report gets its PDF
# too (exit 3 as before); an existing NAME.pdf is a usage error before
# anything is written (exit 2, no JSON); a PDF that cannot be written is
# exit 1 with one line and the signed JSON stays (it still verifies).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
command -v pdftotext >/dev/null || skip "poppler-utils missing"

pki_make || die "test PKI"
cert_erase_runs || die "erase runs"
cfy() { # RUNDIR OUT [args]: dispose certify, output in OUT.out, exit code in $crc
	local r=$1 out=$2
	shift 2
	"$DISPOSE" certify --run-dir "$r" --key "$P/ec.key" --cert "$P/ec.crt" \
		--chain "$P/chain.pem" -o "$out" "$@" >"$out.out" 2>&1
	crc=$?
}

cfy "$T/r-ok" "$T/c.json" --pdf "$T/c.pdf"
[ "$crc" = 0 ] || { cat "$T/c.json.out"; die "certify --pdf: exit $crc"; }
[ -s "$T/c.json" ] && [ -s "$T/c.json.p7s" ] && [ -s "$T/c.pdf" ] || die "not all three files"
grep -qxF "$T/c.pdf: written from $T/c.json" "$T/c.json.out" ||
	{ cat "$T/c.json.out"; die "no 'written from' line"; }
[ "$(head -c 5 "$T/c.pdf")" = "%PDF-" ] || die "c.pdf: not a PDF"
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificate_id"])' "$T/c.json")
sha=$(sha256sum "$T/c.json" | cut -d' ' -f1)
pdftotext "$T/c.pdf" - 2>/dev/null | tr -d ' \n' >"$T/c.txt"
grep -qF "$id" "$T/c.txt" && grep -qF "$sha" "$T/c.txt" || die "the PDF's text lacks the id or digest"
verify_out --ca "$P/root.crt" --pdf "$T/c.pdf" "$T/c.json"
[ "$vrc" = 0 ] || { cat "$T/v.out" "$T/v.err"; die "verify --pdf: exit $vrc"; }
grep -qxF "$T/c.pdf: renders $T/c.json ($id, sha256 $sha)" "$T/v.out" ||
	{ cat "$T/v.out"; die "verify --pdf: no 'renders' line"; }
ok "certify --pdf: JSON, .p7s and PDF written; the PDF renders the JSON"

cfy "$T/r-fail" "$T/f.json" --pdf "$T/f.pdf"
[ "$crc" = 3 ] || { cat "$T/f.json.out"; die "failure report: exit $crc, want 3"; }
[ -s "$T/f.pdf" ] || die "no PDF of the failure report"
pdftotext "$T/f.pdf" - 2>/dev/null | grep -q "Sanitization Failure Report" ||
	die "the failure report's PDF is not titled as one"
verify_out --ca "$P/root.crt" --pdf "$T/f.pdf" "$T/f.json"
grep -q "^$T/f.pdf: renders $T/f.json " "$T/v.out" || { cat "$T/v.out"; die "f.pdf does not render"; }
ok "a failure report: exit 3, its PDF written and rendering it"

# an existing PDF: refused before anything is written
sum0=$(sha256sum <"$T/c.pdf")
cfy "$T/r-ok" "$T/d.json" --pdf "$T/c.pdf"
[ "$(sha256sum <"$T/c.pdf")" = "$sum0" ] || die "c.pdf changed"
[ "$crc" = 2 ] || { cat "$T/d.json.out"; die "existing PDF: exit $crc, want 2"; }
[ ! -e "$T/d.json" ] && [ ! -e "$T/d.json.p7s" ] || die "existing PDF: the JSON was written"
grep -q "^dispose: --pdf: $T/c.pdf: exists" "$T/d.json.out" || { cat "$T/d.json.out"; die "not said"; }
ok "an existing NAME.pdf: exit 2, nothing written"

# a PDF that cannot be written: exit 1, one line, the JSON stays and verifies
cfy "$T/r-ok" "$T/e.json" --pdf "$T/no-such-dir/e.pdf"
[ "$crc" = 1 ] || { cat "$T/e.json.out"; die "unwritable PDF: exit $crc, want 1"; }
[ -s "$T/e.json" ] && [ -s "$T/e.json.p7s" ] || die "unwritable PDF: the JSON is gone"
[ "$(grep -c '^dispose: ' "$T/e.json.out")" = 1 ] &&
	grep -q "^dispose: .*e.pdf.*($T/e.json is written)" "$T/e.json.out" ||
	{ cat "$T/e.json.out"; die "unwritable PDF: not one line naming both"; }
verify_out --ca "$P/root.crt" "$T/e.json"
[ "$vrc" = 0 ] || { cat "$T/v.out"; die "the kept JSON does not verify"; }
ok "a PDF that cannot be written: exit 1, the signed JSON stays and verifies"
