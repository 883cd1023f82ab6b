#!/bin/bash
# t_run_pdf.sh - dispose run writes certificate.pdf beside certificate.json, and
# it verifies (dispose verify --pdf, exit 0); --resume of the ended run keeps
# a PDF that renders the certificate (same bytes, same inode), makes a
# missing one, moves one that does not render it aside (certificate.pdf.stale-1)
# and makes it again; a PDF that cannot be written (a dangling symlink in its
# place) is a warning naming it, never a failed run (exit 0, the JSON stays);
# with the policy's certificate.redact, certificate.redacted.pdf renders the
# redacted copy and its text holds no path of the server (the full one does).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
command -v pdftotext >/dev/null || skip "poppler-utils missing"
server_and_signer
files_policy t-pdf 'records kept, data erased, a PDF certificate' <<JSON
		{"name": "records", "paths": ["$srv/etc/**", "$srv/var/log/**", "$srv/srv/records/**"],
		 "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
		 "organization": "Test Org", "legal_hold": false}
JSON
files_run
cert=$T/run/certificate.json
pdf=$T/run/certificate.pdf
[ -f "$cert" ] && [ -f "$cert.p7s" ] || die "no certificate"
[ -f "$pdf" ] || { cat "$T/out" "$T/err"; die "no certificate.pdf beside certificate.json"; }
pdfok() { # the PDF verifies against the certificate
	"$DISPOSE" verify --ca "$T/signer.crt" --run-dir "$T/run" --pdf "$pdf" "$cert" >"$T/v" 2>&1 ||
		{ cat "$T/v"; die "$1: verify --pdf: exit $?"; }
	grep -q "^$pdf: renders $cert (" "$T/v" || { cat "$T/v"; die "$1: no 'renders' line"; }
}
pdfok "the run"
ok "dispose run: certificate.pdf beside certificate.json, and it renders it"

resume() {
	"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 0 ] || { cat "$T/out" "$T/err"; die "$1: --resume: exit $rc"; }
}
ino=$(stat -c %i "$pdf") && sum=$(sha256sum <"$pdf")
resume "kept"
[ "$(stat -c %i "$pdf")" = "$ino" ] && [ "$(sha256sum <"$pdf")" = "$sum" ] ||
	die "--resume replaced a PDF that renders the certificate"
ok "--resume keeps a PDF that renders the certificate"

rm -f "$pdf"
resume "missing"
[ -f "$pdf" ] || die "--resume did not make the missing PDF"
pdfok "missing"
ok "--resume makes a missing certificate.pdf"

printf '%%PDF-1.5\nnot this certificate\n' >"$pdf"
resume "foreign"
[ -f "$pdf.stale-1" ] && grep -q "not this certificate" "$pdf.stale-1" ||
	die "the foreign PDF was not moved aside"
pdfok "foreign"
grep -q "$pdf: does not render $cert" "$T/err" || { cat "$T/err"; die "not said"; }
ok "--resume moves a PDF that does not render the certificate aside and makes it again"

rm -f "$pdf" && ln -s "$T/nowhere/x.pdf" "$pdf"
resume "unwritable"
[ -L "$pdf" ] && [ ! -e "$T/nowhere" ] || die "the symlink was followed or replaced"
grep -q "$pdf: no PDF (" "$T/err" || { cat "$T/out" "$T/err"; die "no warning naming the PDF"; }
"$DISPOSE" verify --ca "$T/signer.crt" "$cert" >/dev/null 2>&1 || die "the JSON no longer verifies"
ok "a PDF that cannot be written: a warning, exit 0, the certificate stays"

# a policy asking for a redacted copy: certificate.redacted.pdf beside it,
# rendering it, and no path of the server in its text
make_server "$srv"
python3 - "$T/policy.json" <<'PY' || die "policy with redact"
import json, sys
p = json.load(open(sys.argv[1]))
p["certificate"]["redact"] = ["serials", "host", "paths"]
json.dump(p, open(sys.argv[1], "w"), indent=1)
PY
"$DISPOSE" run --policy "$T/policy.json" --yes --progress none --run-dir "$T/red" \
	>"$T/out" 2>"$T/err" || { cat "$T/out" "$T/err"; die "run with redact: exit $?"; }
copy=$T/red/certificate.redacted.json
[ -f "$copy" ] && [ -f "$T/red/certificate.pdf" ] && [ -f "$T/red/certificate.redacted.pdf" ] ||
	{ ls "$T/red"; die "no certificate.redacted.pdf (or certificate.pdf) beside the copy"; }
"$DISPOSE" verify --ca "$T/signer.crt" --pdf "$T/red/certificate.redacted.pdf" "$copy" >"$T/v" 2>&1 ||
	{ cat "$T/v"; die "the redacted PDF does not verify"; }
grep -q "^$T/red/certificate.redacted.pdf: renders $copy (" "$T/v" || { cat "$T/v"; die "no renders line"; }
pdftotext "$T/red/certificate.redacted.pdf" - 2>/dev/null | tr -d ' \n' >"$T/red.txt"
[ -s "$T/red.txt" ] || die "no text in the redacted PDF"
grep -qF "$(printf '%s' "$srv" | tr -d ' ')" "$T/red.txt" && die "the redacted PDF names a path of the server"
pdftotext "$T/red/certificate.pdf" - 2>/dev/null | tr -d ' \n' | grep -qF "$srv" ||
	die "the full PDF does not name the server's paths (the check above proves nothing)"
ok "a redacted copy: certificate.redacted.pdf renders it and names no path"
