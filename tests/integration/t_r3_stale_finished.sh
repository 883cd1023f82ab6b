#!/bin/bash
# t_r3_stale_finished.sh - R3 #16 finding: the role calls a run directory
# "finished" from its last record line alone and then reports that run's
# certificate as this play's result, whatever the play asks now. An admin who
# confirmed h1 with a policy variable missing a tree (EXTRA), fixes the
# variable and re-runs the play gets "valid" and exit 0 while the tree the
# play now names was never erased. A play must not say a host's disposal
# succeeded when the run it reports is not the one it asked for.
. "$(dirname "$0")/lib.sh"
need_root
. "$(dirname "$0")/r3_role_lib.sh"
r3_setup h1
R3_HOSTLINE[h1]="      dispose_confirm: h1"
r3_inventory "$T/inv1.yml"
r3_play first "$T/inv1.yml"
[ "$(cat "$T/first.rc")" = 0 ] || die "setup: the first play failed: $(r3_why first)"
r3_erased h1 || die "setup: the first play did not erase h1"
grep -q 'ctl/h1/certificate.json: valid: ' "$T/first.out" || die "setup: h1 not said valid: $(r3_why first)"
# the admin's fix: the policy variable now names a second tree, with data
mkdir -p "${R3_SRV[h1]}/more/data"
printf '%s more\n' "$MARKER" >"${R3_SRV[h1]}/more/data/db"
R3_SET_EXTRA[h1]=${R3_SRV[h1]}/more
r3_inventory "$T/inv2.yml"
r3_play second "$T/inv2.yml"
if [ "$(cat "$T/second.rc")" = 0 ] && [ -e "${R3_SRV[h1]}/more/data/db" ]; then
	die "the re-run with EXTRA=${R3_SRV[h1]}/more exits 0 ($(grep -o 'ctl/h1/certificate.json: valid: [^,]*' "$T/second.out")) and never erased it: $(grep -A2 'state' "$T/second.out" | grep -m2 msg)"
fi
ok "a finished run for other variables is not reported as this play's disposal (exit $(cat "$T/second.rc"))"
