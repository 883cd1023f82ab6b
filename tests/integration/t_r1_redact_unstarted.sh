#!/bin/bash
# t_r1_redact_unstarted.sh - R1 (#15): a target that failed before it started (here an
# immutable file: the erase is refused at open) is not in targets[], only in the run_end's
# list, so the redaction walk never sees its path; the failure report's summary.failures
# line "t1 /PATH: never started" keeps the plain path in the redacted copy (and its PDF).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v chattr >/dev/null || skip "chattr missing"
D=$DISPOSE
cd "$T" || die "cd"
selfsigned s '/CN=unstarted test signer' -addext keyUsage=critical,digitalSignature || die "signer"
mkdir -p "$T/acme-payroll" || die "mkdir"
f=$T/acme-payroll/salaries-2026.txt
echo secret >"$f"
chattr +i "$f" 2>/dev/null || skip "chattr +i not supported here"
trap 'chattr -i "$f" 2>/dev/null' EXIT
"$D" erase --yes --progress none --method zero --verify last --run-dir "$T/r" "$f" >"$T/e.out" 2>&1
chattr -i "$f"
"$D" certify --run-dir "$T/r" --key s.key --cert s.crt --redact paths -o "$T/c.json" >"$T/c.out" 2>&1
rc=$?
[ $rc = 3 ] || die "certify a failure report: exit $rc: $(cat "$T/c.out")"
grep -qF "$f" "$T/c.json" || die "the full report does not name the file: vacuous"
! grep -qF "acme-payroll" "$T/c.redacted.json" ||
	die "a path in the redacted copy: $(grep -nF "acme-payroll" "$T/c.redacted.json")"
! grep -qF -- "$T" "$T/c.redacted.json" || die "the test directory in the redacted copy"
"$D" show "$T/c.redacted.json" >"$T/show.out" 2>&1
! grep -qF "acme-payroll" "$T/show.out" || die "dispose show of the copy names the path"
ok "a target that never started: its path is hidden in the copy too"
