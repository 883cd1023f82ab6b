#!/bin/bash
# t_pdf_verify.sh - dispose verify --pdf NAME.pdf CERT.json: the PDF show --pdf
# made of a certificate renders it (exit 0, "NAME.pdf: renders CERT.json (ID,
# sha256 HEX)", -J has a "pdf" member); the PDF of ANOTHER certificate is
# refused naming both ids (exit 3); a PDF whose text was altered (one letter of
# page 1's content stream, everything else the same: refused naming the first
# byte that differs, as cmp does) and one whose metadata was patched to this
# certificate's are refused (exit 3, "does not render");
# a renamed certificate still verifies (the recipe's name comes from the PDF);
# a truncated PDF and a file that is no PDF: exit 2 or 3 with one line on
# stderr; --pdf without CERT.json, with two, or twice: usage (exit 2).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
command -v pdftotext >/dev/null || skip "poppler-utils missing"

pki_make || die "test PKI"
cert_erase_runs || die "erase runs"
certify_with ec "$T/r-ok" "$T/c1.json" --chain "$P/chain.pem" || die "certify c1"
certify_with ec "$T/r-fail" "$T/c2.json" --chain "$P/chain.pem" || die "certify c2"
id() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificate_id"])' "$1"; }
id1=$(id "$T/c1.json") && id2=$(id "$T/c2.json") || die "ids"
sha1=$(sha256sum "$T/c1.json" | cut -d' ' -f1)
"$DISPOSE" show --pdf -o "$T/c1.pdf" "$T/c1.json" >"$T/s1.out" 2>&1 || { cat "$T/s1.out"; die "show --pdf c1"; }
"$DISPOSE" show --pdf -o "$T/c2.pdf" "$T/c2.json" >"$T/s2.out" 2>&1 || { cat "$T/s2.out"; die "show --pdf c2"; }

# the PDF of the certificate
verify_out --ca "$P/root.crt" --pdf "$T/c1.pdf" "$T/c1.json"
[ "$vrc" = 0 ] || { cat "$T/v.out" "$T/v.err"; die "c1.pdf: exit $vrc, want 0"; }
grep -q "^$T/c1.json: valid: " "$T/v.out" || { cat "$T/v.out"; die "no certificate line first"; }
grep -qxF "$T/c1.pdf: renders $T/c1.json ($id1, sha256 $sha1)" "$T/v.out" ||
	{ cat "$T/v.out"; die "no 'renders' line"; }
[ "$(wc -l <"$T/v.out")" = 2 ] && [ ! -s "$T/v.err" ] || { cat "$T/v.out" "$T/v.err"; die "not two lines"; }
ok "the certificate's PDF renders it: exit 0, its line after the certificate's"

verify_out -J --ca "$P/root.crt" --pdf "$T/c1.pdf" "$T/c1.json"
python3 - "$T/v.out" "$id1" "$sha1" <<'PY' || { cat "$T/v.out"; die "-J: no pdf member"; }
import json, sys
d = json.load(open(sys.argv[1]))
p = d["certificates"][0]["pdf"]
assert p["outcome"] == "renders" and p["reason"] is None, p
assert p["certificate_id"] == sys.argv[2] and p["sha256"] == sys.argv[3], p
assert d["summary"]["exit"] == 0
PY
ok "-J: the pdf member says renders, with the id and digest"

# a renamed certificate (and its .p7s): the PDF names the old file in its recipe
cp "$T/c1.json" "$T/renamed.json" && cp "$T/c1.json.p7s" "$T/renamed.json.p7s"
verify_out --ca "$P/root.crt" --pdf "$T/c1.pdf" "$T/renamed.json"
[ "$vrc" = 0 ] || { cat "$T/v.out" "$T/v.err"; die "renamed: exit $vrc"; }
ok "a renamed certificate still verifies against its PDF"

# the PDF of another certificate
verify_out --ca "$P/root.crt" --pdf "$T/c2.pdf" "$T/c1.json"
[ "$vrc" = 3 ] || { cat "$T/v.out" "$T/v.err"; die "c2.pdf for c1: exit $vrc, want 3"; }
grep -qxF "$T/c2.pdf: does not render $T/c1.json: renders certificate $id2, not $id1" "$T/v.out" ||
	{ cat "$T/v.out"; die "another certificate's PDF: not named"; }
ok "another certificate's PDF refused, exit 3, both ids named"

# patch: python3 patch.py IN OUT MODE (text: one letter of page 1's title;
# meta: c2.pdf's keywords/subject/title given c1's id and digest)
cat >"$T/patch.py" <<'PY'
import re, sys, zlib
src, dst, mode = sys.argv[1:4]
b = open(src, "rb").read()
if mode == "text":
    # the first content stream holding the title "Certificate of ...": one letter changed
    for m in re.finditer(rb"<<([^<>]*/FlateDecode[^<>]*)>>\s*stream\r?\n", b):
        s = m.end()
        e = b.find(b"endstream", s)
        try:
            t = zlib.decompress(b[s:e])
        except zlib.error:
            continue
        if b"[(C)" in t:
            break
    else:
        sys.exit("no title in any content stream")
    z = zlib.compress(t.replace(b"[(C)", b"[(X)", 1))
    b = b[:s] + z + b"\n" + b[e:]
    lm = re.search(rb"/Length (\d+) 0 R", m.group(1))
    if lm:
        b = re.sub(rb"(\n" + lm.group(1) + rb" 0 obj\s*)\d+",
                   lambda x: x.group(1) + str(len(z)).encode(), b, count=1)
    else:
        b = b[:m.start()] + re.sub(rb"/Length \d+", b"/Length %d" % len(z),
                                   b[m.start():s], count=1) + b[s:]
    # the xref table rebuilt: every "N 0 obj" at its new offset
    objs = {int(x.group(1)): x.start(1) for x in re.finditer(rb"(?:^|\n)(\d+) 0 obj", b)}
    xs = b.rfind(b"\nxref\n") + 1
    n = max(objs) + 1
    tab = b"xref\n0 %d\n0000000000 65535 f \n" % n
    for i in range(1, n):
        tab += b"%010d 00000 n \n" % objs[i] if i in objs else b"0000000000 65535 f \n"
    tr = b.find(b"trailer", xs)
    b = b[:xs] + tab + b[tr:]
    sx = b.rfind(b"startxref")
    b = b[:sx] + b"startxref\n%d\n%%%%EOF\n" % xs
else:
    id1, sha1, id2, sha2 = sys.argv[4:8]
    b = b.replace(id2.encode(), id1.encode()).replace(sha2.encode(), sha1.encode())
open(dst, "wb").write(b)
PY
python3 "$T/patch.py" "$T/c1.pdf" "$T/text.pdf" text || die "patch text"
cmp -s "$T/c1.pdf" "$T/text.pdf" && die "text.pdf unchanged"
pdftotext -f 1 -l 1 "$T/text.pdf" - 2>/dev/null | grep -q "Xertificate of Sanitization" ||
	die "the patched PDF does not read 'Xertificate of Sanitization'"
verify_out --ca "$P/root.crt" --pdf "$T/text.pdf" "$T/c1.json"
[ "$vrc" = 3 ] || { cat "$T/v.out" "$T/v.err"; die "altered text: exit $vrc, want 3"; }
# the first byte that differs, counted as cmp(1) does
at=$(cmp "$T/c1.pdf" "$T/text.pdf" | sed -n 's/.* byte \([0-9]*\),.*/\1/p')
[ -n "$at" ] || die "cmp names no byte"
grep -qxF "$T/text.pdf: does not render $T/c1.json: not byte for byte this dispose's rendering of it (byte $at differs; make the PDF again from the signed JSON: dispose show --pdf)" "$T/v.out" ||
	{ cat "$T/v.out"; die "altered text: the difference not named (byte $at)"; }
ok "one letter of the text altered: refused, exit 3, the first differing byte named"

sha2=$(sha256sum "$T/c2.json" | cut -d' ' -f1)
python3 "$T/patch.py" "$T/c2.pdf" "$T/meta.pdf" meta "$id1" "$sha1" "$id2" "$sha2" || die "patch meta"
verify_out --ca "$P/root.crt" --pdf "$T/meta.pdf" "$T/c1.json"
[ "$vrc" = 3 ] || { cat "$T/v.out" "$T/v.err"; die "patched metadata: exit $vrc, want 3"; }
grep -q "^$T/meta.pdf: does not render $T/c1.json: " "$T/v.out" ||
	{ cat "$T/v.out"; die "patched metadata: no 'does not render' line"; }
ok "another certificate's PDF with this one's id and digest patched in: refused, exit 3"

# not a PDF, a truncated PDF: one line on stderr, exit 2 or 3
head -c 4000 "$T/c1.pdf" >"$T/trunc.pdf"
for bad in trunc c1.json; do
	f=$T/$bad.pdf
	[ "$bad" = c1.json ] && f=$T/c1.json
	verify_out --ca "$P/root.crt" --pdf "$f" "$T/c1.json"
	[ "$vrc" = 2 ] || [ "$vrc" = 3 ] || { cat "$T/v.out" "$T/v.err"; die "$bad: exit $vrc"; }
	[ "$vrc" != 0 ] || die "$bad: accepted"
	[ "$(wc -l <"$T/v.err")" = 1 ] && grep -q "^dispose: $f: " "$T/v.err" ||
		{ cat "$T/v.err"; die "$bad: not one line naming the file"; }
	grep -q "renders" "$T/v.out" && die "$bad: said to render"
done
ok "a truncated PDF and a non-PDF: one line, exit $vrc"

# usage
for args in "--pdf $T/c1.pdf" "--pdf $T/c1.pdf $T/c1.json $T/c2.json" \
	"--pdf $T/c1.pdf --pdf $T/c2.pdf $T/c1.json"; do
	# shellcheck disable=SC2086
	verify_out $args
	[ "$vrc" = 2 ] || { cat "$T/v.out" "$T/v.err"; die "verify $args: exit $vrc, want 2"; }
	grep -q "^dispose: " "$T/v.err" || die "verify $args: no usage error"
done
ok "--pdf with no CERT.json, two, or twice: usage error, exit 2"
