#!/bin/bash
# t_r2_pdf_lies.sh - R2 #15 finding: verify --pdf compares the PDF's extracted
# text only, so a PDF that SHOWS something else passes. A failure report's
# PDF is edited by an incremental update (what a PDF editor's "save" appends):
# (a) page 1's content stream: the title's glyphs read "Certificate of
# Sanitization" inside a Span whose /ActualText is the old title (text
# extraction still reads "Sanitization Failure Report") and the red banner
# painted white; (b) a second content stream on page 1: a white box over the
# banner (vector only, no text). Each renders differently (pdftoppm) while its
# text is unchanged (pdftotext); verify --pdf must refuse each ("does not
# render"). Fails on main: both are said to "render" the certificate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/pdf_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || skip "poppler-utils missing"

pdf_failure_report
grep -q '"sanitization-failure-report"' "$T/c.json" || die "not a failure report"

pdf_tamper_py "$T/tamper.py" <<'PY'
def stream(n):
    o = obj(n)
    return zlib.decompress(o[re.search(rb"stream\r?\n", o).end():o.rfind(b"endstream")])
def sbody(d):
    z = zlib.compress(d)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(z) + z + b"\nendstream"
c1 = int(re.search(rb"/Contents (\d+) 0 R", obj(p1)).group(1))
if mode == "look":
    t = stream(c1)
    # the title's glyph run
    m = [m for m in re.finditer(rb"\[\(S\)[^\]]*\]TJ", t)
         if b"".join(re.findall(rb"\(([^)]*)\)", m.group(0))) == b"Sanitization Failure Report"][0]
    t = t[:m.start()] + (b"/Span << /ActualText (Sanitization Failure Report) >> BDC "
                         b"[(Certi)(f)(icate of Sanitization)] TJ EMC") + t[m.end():]
    assert b"0.72 0.05 0.05 rg" in t
    new[c1] = sbody(t.replace(b"0.72 0.05 0.05 rg", b"1 1 1 rg"))
elif mode == "overlay":
    new[size] = sbody(b"q 1 1 1 rg 40 775 520 30 re f Q")
    new[p1] = obj(p1).replace(b"/Contents %d 0 R" % c1, b"/Contents [ %d 0 R %d 0 R ]" % (c1, size))
    size += 1
PY

pdf_genuine_ok

for m in look overlay; do
	python3 "$T/tamper.py" "$T/c.pdf" "$T/$m.pdf" "$m" || die "$m: tamper"
	pdftotext "$T/$m.pdf" "$T/$m.txt" 2>/dev/null || die "$m: pdftotext"
	cmp -s "$T/c.txt" "$T/$m.txt" || die "$m: premise: the text changed"
	pdftoppm -r 50 -f 1 -l 1 "$T/$m.pdf" >"$T/$m.ppm" 2>/dev/null || die "$m: pdftoppm"
	cmp -s "$T/c.ppm" "$T/$m.ppm" && die "$m: premise: page 1 looks the same"
	pdf_refused "$m" "a PDF that shows other than the certificate"
	ok "$m: page 1 shows other than the certificate (same text): refused"
done
