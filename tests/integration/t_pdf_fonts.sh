#!/bin/bash
# t_pdf_fonts.sh - the PDF is made from the fonts dispose names, by file
# (DejaVu Sans, Sans Bold, Sans Mono; WenQuanYi Micro Hei), never from another
# installed font, so the same packages make the same bytes on any machine
# (verify --pdf compares bytes): (a) a name holding U+1100 (a Hangul letter only
# Droid Sans Fallback has here) embeds no other font (pdffonts); (b) the PDF
# made where the other fonts are hidden (a mount namespace) is byte for byte
# the same and verifies; (c) where WenQuanYi Micro Hei is missing, show --pdf
# refuses (exit 1, one line naming the file and its package), writes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v pdffonts >/dev/null || skip "poppler-utils missing"
command -v unshare >/dev/null || skip "unshare missing"
unshare -m true 2>/dev/null || skip "no mount namespaces here"
W=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
[ -r "$W" ] && [ -r /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || skip "fonts missing"

pki_make || die "test PKI"
echo data >"$T/victim"
"$DISPOSE" erase --yes --progress none --method zero --verify last --run-dir "$T/r" \
	"$T/victim" >"$T/erase.out" 2>&1 || { cat "$T/erase.out"; die "erase"; }
certify_with ec "$T/r" "$T/c.json" --chain "$P/chain.pem" --operator $'Kim \u1100\u1161 Δ 王' ||
	die "certify"
expect_exit 0 "$DISPOSE" show --pdf -o "$T/a.pdf" "$T/c.json" >"$T/s.out" 2>&1 || { cat "$T/s.out"; die "show --pdf"; }
pdffonts "$T/a.pdf" >"$T/fonts" 2>&1 || die "pdffonts"
sed 1,2d "$T/fonts" | awk '{print $1}' | sed 's/^[A-Z]*+//' | sort -u >"$T/fams"
grep -qvE '^(DejaVuSans|DejaVuSans-Bold|DejaVuSansMono|WenQuanYiMicroHei|WenQuanYiMicroHeiMono)$' "$T/fams" &&
	{ cat "$T/fonts"; die "a font dispose does not name is embedded"; }
grep -qx WenQuanYiMicroHei "$T/fams" || { cat "$T/fonts"; die "no WenQuanYi Micro Hei for 王"; }
ok "only the named fonts are embedded ($(tr '\n' ' ' <"$T/fams"))"

# every other font directory hidden, a fontconfig file that says nothing
hide=""
for d in /usr/share/fonts/*/* /usr/local/share/fonts; do
	[ -d "$d" ] || continue
	case $d in */dejavu | */wqy) continue ;; esac
	hide="$hide mount -t tmpfs none '$d';"
done
echo '<fontconfig><dir>/nonexistent</dir></fontconfig>' >"$T/fc.conf"
unshare -m sh -c "$hide FONTCONFIG_FILE='$T/fc.conf' '$DISPOSE' show --pdf -o '$T/b.pdf' '$T/c.json'" \
	>"$T/s2.out" 2>&1 || { cat "$T/s2.out"; die "show --pdf with the other fonts hidden"; }
cmp "$T/a.pdf" "$T/b.pdf" || die "the PDF depends on the fonts otherwise installed"
verify_out --ca "$P/root.crt" --pdf "$T/b.pdf" "$T/c.json"
[ "$vrc" = 0 ] || { cat "$T/v.out" "$T/v.err"; die "b.pdf: exit $vrc"; }
ok "the same bytes with every other font hidden; it verifies"

unshare -m sh -c "mount -t tmpfs none /usr/share/fonts/truetype/wqy && '$DISPOSE' show --pdf -o '$T/n.pdf' '$T/c.json'" \
	>"$T/n.out" 2>"$T/n.err"
rc=$?
[ "$rc" = 1 ] || { cat "$T/n.out" "$T/n.err"; die "wqy missing: exit $rc, want 1"; }
[ -e "$T/n.pdf" ] && die "wqy missing: a PDF was written"
[ "$(wc -l <"$T/n.err")" = 1 ] && grep -qxF "dispose: pdf: font $W missing: install fonts-wqy-microhei" "$T/n.err" ||
	{ cat "$T/n.err"; die "wqy missing: not one line naming the file and the package"; }
ok "a font file missing: refused, exit 1, '$(cat "$T/n.err")'"
