#!/bin/bash
# t_r2_pdf_certify_symlink.sh - R2 #15 finding: certify --pdf NAME.pdf says an
# existing NAME.pdf is a usage error before anything is written (dispose(8)),
# but checks with access(2), which follows a symbolic link: a dangling link
# there passes, the certificate is written and signed, and only then is the
# PDF refused ("exists", exit 1). Wanted: exit 2, one line naming NAME.pdf,
# no NAME.json written, the link untouched. Fails on main.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root

pki_make || die "test PKI"
echo data >"$T/victim"
"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r" \
	"$T/victim" >"$T/erase.out" 2>&1
ln -s "$T/nowhere/x.pdf" "$T/dl.pdf" || die "symlink"
"$DISPOSE" certify --run-dir "$T/r" --key "$P/ec.key" --cert "$P/ec.crt" -o "$T/d.json" \
	--pdf "$T/dl.pdf" >"$T/c.out" 2>"$T/c.err"
rc=$?
[ "$rc" = 2 ] || { cat "$T/c.out" "$T/c.err"; die "exit $rc, want 2 (usage: the PDF's name is taken)"; }
[ -e "$T/d.json" ] && die "d.json written though --pdf names an existing link"
grep -q "^dispose: .*$T/dl.pdf: exists" "$T/c.err" || { cat "$T/c.err"; die "no line naming dl.pdf"; }
[ "$(readlink "$T/dl.pdf")" = "$T/nowhere/x.pdf" ] || die "the link changed"
ok "--pdf naming a dangling symbolic link: exit 2 before anything is written"
