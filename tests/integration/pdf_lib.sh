# pdf_lib.sh - shared steps of the PDF certificate tests (sourced after lib.sh
# and cert_lib.sh): a failure report and its genuine PDF, and the script that
# edits a PDF by an incremental update (what a PDF editor's "save" appends).

# pdf_failure_report: $T/c.json, a failure report (a file erased, not verified)
# certified by $P/ec with the chain, and $T/c.pdf, show --pdf of it
pdf_failure_report() {
	pki_make || die "test PKI"
	echo data >"$T/victim"
	"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r-fail" \
		"$T/victim" >"$T/erase.out" 2>&1
	certify_with ec "$T/r-fail" "$T/c.json" --chain "$P/chain.pem" || die "certify"
	"$DISPOSE" show --pdf -o "$T/c.pdf" "$T/c.json" >"$T/s.out" 2>&1 || { cat "$T/s.out"; die "show --pdf"; }
}

# pdf_genuine_ok: $T/c.pdf renders $T/c.json; its text in $T/c.txt, page 1 in $T/c.ppm
pdf_genuine_ok() {
	verify_out --ca "$P/root.crt" --pdf "$T/c.pdf" "$T/c.json"
	grep -q "^$T/c.pdf: renders $T/c.json " "$T/v.out" || { cat "$T/v.out" "$T/v.err"; die "the genuine PDF is not accepted"; }
	pdftotext "$T/c.pdf" "$T/c.txt" 2>/dev/null && pdftoppm -r 50 -f 1 -l 1 "$T/c.pdf" >"$T/c.ppm" 2>/dev/null ||
		die "pdftotext/pdftoppm of the genuine PDF"
	ok "the genuine PDF of the failure report renders it"
}

# pdf_tamper_py FILE: writes the python3 script FILE (run as FILE SRC DST MODE):
# the edit of each MODE, read from stdin, sets new[N] = the body of object N
# (obj(n): object n's body; size, root, info, p1: the next free object number,
# the catalog, the info dictionary, page 1); DST is SRC with an incremental
# update writing each new[N]
pdf_tamper_py() {
	{
		cat <<'PY'
import re, sys, zlib
src, dst, mode = sys.argv[1:4]
b = open(src, "rb").read()
def obj(n):
    m = re.search(rb"(?:^|\n)%d 0 obj\s*" % n, b)
    return b[m.end():b.find(b"endobj", m.end())]
size = int(re.findall(rb"/Size (\d+)", b)[-1])
root = int(re.findall(rb"/Root (\d+) 0 R", b)[-1])
info = int(re.findall(rb"/Info (\d+) 0 R", b)[-1])
prev = int(re.findall(rb"startxref\s+(\d+)", b)[-1])
p1 = int(re.search(rb"/Kids \[\s*(\d+) 0 R", b).group(1))
new = {}
PY
		cat
		cat <<'PY'
out = bytearray(b)
offs = {}
for n in sorted(new):
    offs[n] = len(out)
    out += b"%d 0 obj\n" % n + new[n].rstrip() + b"\nendobj\n"
x = len(out)
out += b"xref\n" + b"".join(b"%d 1\n%010d 00000 n \n" % (n, offs[n]) for n in sorted(offs))
out += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
    size, root, info, prev, x)
open(dst, "wb").write(out)
PY
	} >"$1"
}

# pdf_refused M WHAT: verify --pdf refuses $T/M.pdf (a line "does not render
# $T/c.json", exit 3); WHAT names such a PDF in the message when it is accepted
pdf_refused() {
	verify_out --ca "$P/root.crt" --pdf "$T/$1.pdf" "$T/c.json"
	grep -q "^$T/$1.pdf: renders " "$T/v.out" &&
		{ cat "$T/v.out"; die "$1: $2 is said to render it"; }
	grep -q "^$T/$1.pdf: does not render $T/c.json: " "$T/v.out" ||
		{ cat "$T/v.out" "$T/v.err"; die "$1: no 'does not render' line"; }
	[ "$vrc" = 3 ] || die "$1: exit $vrc, want 3"
}
