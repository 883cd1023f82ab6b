#!/bin/bash
# t_cert_redact_resume.sh - #15 (R1 F5): dispose run --resume keeps certificate.redacted.json
# only when it verifies as the redacted copy of certificate.json (verify --original). Here:
# a) the copy swapped for the full certificate while its PDF stays: both moved aside
#    (.stale-N, never deleted), the copy made again (same bytes as certify wrote), a new
#    certificate.redacted.pdf that renders it and names no path;
# b) the copy without its .p7s: moved aside and made again, signed;
# c) the .p7s without the copy: made again (it used to fail on the .p7s that exists);
# d) the copy as it is: kept (same bytes, same signature).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
command -v pdftotext >/dev/null || skip "pdftotext missing"
server_and_signer
redact_policy t-redact-resume '"paths"' <<JSON
	"inventory": {"roots": ["$srv"], "categories": ["data"], "hash": true, "sysroot": "$srv"},
	"erase": [{"name": "data", "paths": ["$srv/srv/data/**"], "method": "zero", "verify": "last"}],
JSON
redact_run
c=$T/run/certificate.json
r=$T/run/certificate.redacted.json
p=$T/run/certificate.redacted.pdf
[ -s "$r" ] && [ -s "$r.p7s" ] && [ -s "$p" ] || die "no redacted copy or PDF: $(ls "$T/run")"
cp "$r" "$T/copy.json"
resume() {
	"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out.$1" 2>&1 ||
		die "$1: resume exit $?: $(cat "$T/out.$1")"
	cmp -s "$r" "$T/copy.json" || die "$1: certificate.redacted.json is not the copy certify wrote"
	"$DISPOSE" verify --ca "$T/signer.crt" --original "$c" "$r" >"$T/o.$1" 2>&1 ||
		die "$1: verify --original: $(cat "$T/o.$1")"
}

# a) swapped, its PDF kept
cp "$c" "$r" && cp "$c.p7s" "$r.p7s" || die "cp"
cp "$T/run/certificate.pdf" "$p" || die "cp pdf"
resume a
[ -e "$r.stale-1" ] && [ -e "$r.p7s.stale-1" ] && [ -e "$p.stale-1" ] ||
	die "a: not moved aside: $(ls "$T/run")"
cmp -s "$r.stale-1" "$c" || die "a: the file moved aside is not the one found"
grep -q "not the redacted copy" "$T/out.a" || die "a: no warning: $(cat "$T/out.a")"
[ -s "$p" ] || die "a: no certificate.redacted.pdf"
"$DISPOSE" verify --ca "$T/signer.crt" --pdf "$p" "$r" >"$T/vp.out" 2>&1 ||
	die "a: the PDF does not render the copy: $(cat "$T/vp.out")"
pdftotext "$p" "$T/p.txt" || die "pdftotext"
! grep -qF -- "$srv" "$T/p.txt" || die "a: certificate.redacted.pdf names a path"
ok "a) a swapped copy and its PDF: moved aside, made again from the certificate"

# b) no .p7s
rm -f "$r.p7s"
resume b
[ -s "$r.p7s" ] && [ -e "$r.stale-2" ] || die "b: $(ls "$T/run")"
ok "b) a copy without its signature: moved aside and made again"

# c) no copy, a .p7s
rm -f "$r"
resume c
[ -s "$r.p7s" ] && [ -e "$r.p7s.stale-2" ] || die "c: $(ls "$T/run")"
ok "c) a signature without its copy: moved aside and the copy made again"

# d) the copy as it is: kept
cp "$r.p7s" "$T/sig"
resume d
cmp -s "$r.p7s" "$T/sig" || die "d: the copy's signature was made again"
[ ! -e "$r.stale-3" ] && [ ! -e "$r.p7s.stale-3" ] || die "d: the right copy was moved aside"
ok "d) the right copy: kept"
