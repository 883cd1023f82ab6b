#!/bin/bash
# t_pdf_pages_cap.sh - R2 #15 finding F4: show --pdf wrote a PDF of any
# length (12480 pages, 177 MB for a 60 MB certificate) that verify --pdf
# (64 MiB at most) could never check. The PDF now stops at a page bound
# (1500; a test build lowers it with DISPOSE_TEST_PDF_PAGES_MAX, else the test
# draws 1500 pages), the last page saying from where on the certificate is not
# shown and that the signed JSON holds it; the bounded PDF verifies. 30 files
# erased (30 targets, a page each) with the bound at 12: exactly 12 pages.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v pdfinfo >/dev/null && command -v pdftotext >/dev/null || skip "poppler-utils missing"

pki_make || die "test PKI"
mkdir "$T/f"
for i in $(seq 1 30); do echo "data $i" >"$T/f/file$i"; done
"$DISPOSE" erase --yes --progress none --method zero --verify last --run-dir "$T/r" \
	"$T"/f/file* >"$T/erase.out" 2>&1 || { cat "$T/erase.out"; die "erase"; }
certify_with ec "$T/r" "$T/c.json" --chain "$P/chain.pem" || die "certify"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["targets"]))' "$T/c.json")
[ "$n" = 30 ] || die "premise: $n targets, want 30"

export DISPOSE_TEST_PDF_PAGES_MAX=12
"$DISPOSE" show --pdf -o "$T/c.pdf" "$T/c.json" >"$T/s.out" 2>&1 || { cat "$T/s.out"; die "show --pdf"; }
pages=$(pdfinfo "$T/c.pdf" | awk '/^Pages:/{print $2}')
[ "$pages" = 12 ] || die "$pages pages, want 12 (the bound)"
pdftotext -f 12 -l 12 "$T/c.pdf" - | tr '\n' ' ' >"$T/last.txt"
grep -q "the rest of the certificate, from target [0-9]* of 30 on, is not shown: a PDF shows at most 12 pages; the signed JSON holds all of it" "$T/last.txt" ||
	{ cat "$T/last.txt"; die "no note on the last page"; }
grep -q "Page 12 of 12" "$T/last.txt" || die "the footer does not say page 12 of 12"
pdftotext -f 1 -l 11 "$T/c.pdf" - | grep -q "rest of the certificate" && die "the note before the last page"
ok "30 targets, bound 12: 12 pages, the last says from where on the JSON holds the rest"

verify_out --ca "$P/root.crt" --pdf "$T/c.pdf" "$T/c.json"
[ "$vrc" = 0 ] || { cat "$T/v.out" "$T/v.err"; die "the bounded PDF: exit $vrc"; }
ok "the bounded PDF verifies"
unset DISPOSE_TEST_PDF_PAGES_MAX
"$DISPOSE" show --pdf -o "$T/full.pdf" "$T/c.json" >"$T/s2.out" 2>&1 || { cat "$T/s2.out"; die "show --pdf (no bound)"; }
full=$(pdfinfo "$T/full.pdf" | awk '/^Pages:/{print $2}')
[ "$full" -gt 30 ] || die "premise: the whole certificate takes $full pages"
pdftotext "$T/full.pdf" - | grep -q "rest of the certificate" && die "a note in the whole PDF"
ok "under the real bound: all $full pages, no note"
