#!/bin/bash
# t_r2_pdf_extras.sh - R2 #15 finding: verify --pdf says "renders" of a PDF
# that carries more than the rendering: an incremental update adding (a) an
# annotation whose appearance is a white box over page 1's red failure banner,
# (b) a form field (AcroForm widget) doing the same, (c) an /OpenAction
# JavaScript, (d) an embedded file. Annotation and widget appearances are not
# page text (pdftotext is unchanged) but every viewer draws them; JavaScript and
# attachments are no part of a certificate. A dispose rendering has none of
# these (nor an incremental update): verify --pdf must refuse each ("does not
# render", exit 3). Fails on main: each is said to render the certificate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
. "$(dirname "$0")/pdf_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null || skip "poppler-utils missing"

pdf_failure_report

pdf_tamper_py "$T/tamper.py" <<'PY'
def add(body):
    global size
    new[size] = body
    size += 1
    return size - 1
def extend(n, extra):
    o = obj(n).rstrip()
    assert o.endswith(b">>")
    new[n] = o[:-2] + extra + b"\n>>"
box = b"1 1 1 rg 0 0 520 30 re f"
def ap():
    return add(b"<< /Type /XObject /Subtype /Form /BBox [0 0 520 30] /Length %d >>\nstream\n"
               % len(box) + box + b"\nendstream")
if mode == "annot":
    a = add(b"<< /Type /Annot /Subtype /Square /Rect [40 775 560 805] /F 4 /C [1 1 1]"
            b" /IC [1 1 1] /AP << /N %d 0 R >> >>" % ap())
    extend(p1, b" /Annots [ %d 0 R ]" % a)
elif mode == "widget":
    w = add(b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (x) /V () /Rect [40 775 560 805]"
            b" /F 4 /P %d 0 R /AP << /N %d 0 R >> >>" % (p1, ap()))
    extend(p1, b" /Annots [ %d 0 R ]" % w)
    extend(root, b" /AcroForm << /Fields [ %d 0 R ] >>" % w)
elif mode == "javascript":
    js = add(b"<< /S /JavaScript /JS (app.alert\\('This certificate is genuine'\\);) >>")
    extend(root, b" /OpenAction %d 0 R" % js)
elif mode == "attachment":
    f = add(b"<< /Type /EmbeddedFile /Length 7 >>\nstream\npayload\nendstream")
    fs = add(b"<< /Type /Filespec /F (readme.exe) /EF << /F %d 0 R >> >>" % f)
    extend(root, b" /Names << /EmbeddedFiles << /Names [ (readme.exe) %d 0 R ] >> >>" % fs)
PY

pdf_genuine_ok

for m in annot widget javascript attachment; do
	python3 "$T/tamper.py" "$T/c.pdf" "$T/$m.pdf" "$m" || die "$m: tamper"
	pdftotext "$T/$m.pdf" "$T/$m.txt" 2>"$T/$m.err" || { cat "$T/$m.err"; die "$m: pdftotext"; }
	[ -s "$T/$m.err" ] && { cat "$T/$m.err"; die "$m: premise: poppler complains"; }
	cmp -s "$T/c.txt" "$T/$m.txt" || die "$m: premise: the text changed"
	if [ "$m" = annot ] || [ "$m" = widget ]; then
		pdftoppm -r 50 -f 1 -l 1 "$T/$m.pdf" >"$T/$m.ppm" 2>/dev/null || die "$m: pdftoppm"
		cmp -s "$T/c.ppm" "$T/$m.ppm" && die "$m: premise: page 1 looks the same"
	fi
	pdf_refused "$m" "a PDF with more than the rendering"
	ok "$m: refused"
done
