#!/bin/bash
# t_r1_redact_resume_swap.sh - R1 (#15): dispose run --resume keeps whatever file is named
# certificate.redacted.json as long as certificate.json verifies. When the copy was replaced
# (here by the full certificate itself, signed by the same key: a slip of cp, or an insider),
# the resume reports success, keeps it, and even renders certificate.redacted.pdf from it:
# the file to share holds every serial, host name and path. A resume must check the copy
# (verify --original against certificate.json) and make it again (or fail/warn) when it is
# not the copy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
server_and_signer
redact_policy t-r1-resume '"serials", "host", "paths"' <<JSON
	"inventory": {"roots": ["$srv"], "categories": ["data"], "hash": true, "sysroot": "$srv"},
	"erase": [{"name": "data", "paths": ["$srv/srv/data/**"], "method": "zero", "verify": "last"}],
JSON
redact_run
c=$T/run/certificate.json
r=$T/run/certificate.redacted.json
[ -s "$r" ] || die "no redacted copy"
# the copy replaced by the full certificate (same signer: it verifies)
cp "$c" "$r" && cp "$c.p7s" "$r.p7s" || die "cp"
rm -f "$T/run/certificate.redacted.pdf"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out2" 2>&1
rc=$?
if [ $rc = 0 ]; then
	"$DISPOSE" verify --ca "$T/signer.crt" --original "$c" "$r" >"$T/o.out" 2>&1 ||
		die "resume exit 0, but certificate.redacted.json is not the copy of certificate.json: $(cat "$T/o.out")"
	! grep -qF -- "$srv" "$r" || die "a path in certificate.redacted.json after the resume"
else
	# a failed resume must say why, naming the copy
	grep -qF "certificate.redacted.json" "$T/out2" || die "resume exit $rc: $(cat "$T/out2")"
fi
if [ -e "$T/run/certificate.redacted.pdf" ] && command -v pdftotext >/dev/null; then
	pdftotext "$T/run/certificate.redacted.pdf" "$T/p.txt" || die "pdftotext"
	! grep -qF "$(hostname)" "$T/p.txt" 2>/dev/null || [ ${#HOSTNAME} -lt 4 ] ||
		die "certificate.redacted.pdf names the host"
	! grep -qF -- "$T" "$T/p.txt" || die "certificate.redacted.pdf names the paths: $(grep -m2 -F -- "$T" "$T/p.txt")"
fi
ok "resume: a certificate.redacted.json that is not the copy is not kept as the copy"
