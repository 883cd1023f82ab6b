#!/bin/bash
# t_r3_confirmed_var.sh - R3 #16 finding: the role's own derived variable
# dispose_confirmed (vars/main.yml) is overridden by extra vars: an admin who
# types `-e dispose_confirmed=h1` (for dispose_confirm=h1) erases EVERY host,
# none of them confirmed by dispose_confirm. Nothing but dispose_confirm equal
# to the host's own name may erase it.
. "$(dirname "$0")/lib.sh"
need_root
. "$(dirname "$0")/r3_role_lib.sh"
r3_setup h1 h2
r3_inventory "$T/inv.yml"
r3_play typo "$T/inv.yml" -e dispose_confirmed=h1
r3_planned typo h1 || die "setup: no plan shown: $(r3_why typo)"
for h in h1 h2; do
	r3_erased $h && die "-e dispose_confirmed=h1 (dispose_confirm unset) erased $h: $(grep -A3 'Run the policy' "$T/typo.out" | head -8)"
	[ ! -e "${R3_RUN[$h]}" ] || die "-e dispose_confirmed=h1: a run directory was made for $h"
done
ok "-e dispose_confirmed=h1 erases nothing (dispose_confirm is unset)"
r3_play typo2 "$T/inv.yml" -e dispose_confirmed=false
for h in h1 h2; do r3_erased $h && die "-e dispose_confirmed=false erased $h"; done
ok "-e dispose_confirmed=false erases nothing"
