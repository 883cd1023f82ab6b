#!/bin/bash
# t_pdf_i18n.sh - names in Greek, Cyrillic and CJK (certify's attested
# options) and erased files named in CJK, in Greek and with bytes that are
# not UTF-8 render in the PDF: pdftotext finds every name as typed, the
# non-UTF-8 name as show's escaped text (\xHH) with its exact bytes in hex,
# the fonts are embedded (pdffonts: DejaVu Sans for Latin, Greek and
# Cyrillic, WenQuanYi Micro Hei for CJK), and the QR code still reads back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
for t in pdftotext pdffonts pdftoppm zbarimg python3; do
	command -v $t >/dev/null || skip "$t missing (poppler-utils, zbar-tools)"
done
fc-list 2>/dev/null | grep -q "WenQuanYi Micro Hei" || skip "fonts-wqy-microhei missing"

pki_make || die "pki: $(cat "$P/openssl.log")"
OP="Δημήτρης Παπαδόπουλος"
ORG="ООО «Утилизация-Сервис»"
LOC="東京都千代田区 1-1"
VER="王小明"
VAL="Иван Петрович Сидоров"
mkdir -p "$T/f"
cjk="$T/f/机密文件-测试.txt"
greek="$T/f/αρχείο-δοκιμή.txt"
bad="$T/f/"$'bad-\xff\xfe-name.bin'
for f in "$cjk" "$greek" "$bad"; do echo secret >"$f" || die "cannot make $f"; done
"$DISPOSE" erase --yes --progress none --method zero --verify last --run-dir "$T/r" \
	"$cjk" "$greek" "$bad" >"$T/erase.out" 2>&1 || { cat "$T/erase.out"; die "erase failed"; }
certify_with ec "$T/r" "$T/c.json" --operator "$OP" --organization "$ORG" --location "$LOC" \
	--verifier "$VER" --validator "$VAL" || die "certify"

expect_exit 0 "$DISPOSE" show --pdf -o "$T/c.pdf" "$T/c.json" >"$T/show.out" 2>"$T/show.err" ||
	die "show --pdf: $(cat "$T/show.err")"
pdftotext -raw -enc UTF-8 "$T/c.pdf" "$T/c.txt" || die "pdftotext"
python3 - "$T/c.txt" "$T/c.json" "$OP" "$ORG" "$LOC" "$VER" "$VAL" <<'PY' || die "text"
import json, re, sys, unicodedata
txt = open(sys.argv[1], encoding="utf-8").read()
doc = json.load(open(sys.argv[2]))
flat = lambda s: re.sub(r"\s+", "", unicodedata.normalize("NFC", s))
all_ = flat(txt)
for name in sys.argv[3:]:
    assert flat(name) in all_, ("attested name not in the PDF", name)
paths = {t["path"]: t for t in doc["targets"]}
assert len(paths) == 3, paths.keys()
seen = 0
for p, t in paths.items():
    if "path_hex" in t:
        # the name that is not UTF-8: the certificate's escaped text, and the exact bytes
        assert "\\xff\\xfe" in p, p
        assert flat(p) in all_, ("escaped name", p)
        assert t["path_hex"] in all_, ("its bytes in hex", t["path_hex"])
        assert bytes.fromhex(t["path_hex"]).endswith(b"bad-\xff\xfe-name.bin")
        seen += 1
    else:
        assert flat(p) in all_, ("name", p)
assert seen == 1, "no target carries path_hex"
for s in ("机密文件-测试.txt", "αρχείο-δοκιμή.txt"):
    assert s in txt.replace("\n", ""), ("file name", s)
# not as tofu or question marks
assert "\ufffd" not in txt
PY
pdffonts "$T/c.pdf" >"$T/fonts" 2>&1 || die "pdffonts: $(cat "$T/fonts")"
cat "$T/fonts"
awk 'NR > 2 && $0 !~ / yes +yes +yes / { bad = 1 } END { exit bad }' "$T/fonts" ||
	die "a font is not embedded (as a subset with a Unicode map)"
grep -q "DejaVuSans" "$T/fonts" || die "DejaVu Sans not embedded"
grep -q "WenQuanYi" "$T/fonts" || die "no CJK font (WenQuanYi Micro Hei) embedded"
sha=$(sha256sum "$T/c.json" | cut -d' ' -f1)
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificate_id"])' "$T/c.json")
pdftoppm -r 150 -png -f 1 -l 1 "$T/c.pdf" "$T/p1" || die "pdftoppm"
q=$(zbarimg -q --raw "$T"/p1*.png 2>/dev/null)
[ "$q" = "dispose-certificate id=$id sha256=$sha" ] || die "QR code: '$q'"
ok "Greek, Cyrillic, CJK names and a non-UTF-8 file name rendered; fonts embedded"
