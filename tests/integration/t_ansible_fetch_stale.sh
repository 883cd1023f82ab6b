#!/bin/bash
# t_ansible_fetch_stale.sh - the controller's HOST/ directory holds the
# evidence of the run fetched, only: a PDF or redacted copy of an older run
# (that the host's run directory no longer has) is removed, never left beside
# the new certificate for an auditor to take as this run's.
. "$(dirname "$0")/lib.sh"
need_root
. "$(dirname "$0")/r3_role_lib.sh"
r3_setup h1
R3_HOSTLINE[h1]="      dispose_confirm: h1"
r3_inventory "$T/inv.yml"
mkdir -p "$T/ctl/h1"
echo '{"old": "copy"}' >"$T/ctl/h1/certificate.redacted.json"
echo 'old sig' >"$T/ctl/h1/certificate.redacted.json.p7s"
echo 'keep me' >"$T/ctl/h1/notes.txt"	# not one of dispose_fetch_files: not ours to remove
r3_play p "$T/inv.yml"
[ "$(cat "$T/p.rc")" = 0 ] || die "the play failed: $(r3_why p)"
[ -s "$T/ctl/h1/certificate.json" ] || die "nothing fetched"
cmp -s "$T/ctl/h1/certificate.json" "${R3_RUN[h1]}/certificate.json" || die "fetched certificate differs"
[ ! -e "${R3_RUN[h1]}/certificate.redacted.json" ] || die "setup: the run made a redacted copy"
for f in certificate.redacted.json certificate.redacted.json.p7s; do
	[ ! -e "$T/ctl/h1/$f" ] || die "ctl/h1/$f of an older run left beside the new certificate"
done
[ -e "$T/ctl/h1/notes.txt" ] || die "ctl/h1/notes.txt (not evidence) removed"
ok "an older run's files in ctl/HOST/ are removed when the host's run is fetched"
# the same play again: the finished run is this play's (same policy, same
# --set): nothing runs, nothing changes, the certificate still verifies
r3_play again "$T/inv.yml"
[ "$(cat "$T/again.rc")" = 0 ] || die "the same play again failed: $(r3_why again)"
grep -E '^h1 +: ok=' "$T/again.out" | grep -q ' changed=0 ' || die "the same play again changed something: $(grep -E '^h1 +: ok=' "$T/again.out")"
grep -q 'ctl/h1/certificate.json: valid: ' "$T/again.out" || die "again: h1 not said valid: $(r3_why again)"
ok "the same play again over the finished run: no change, valid"
