#!/bin/bash
# t_ansible_twin.sh - two inventory names for one machine (one run directory):
# the certificate of the one run is fetched for both; the play must not count
# it as two hosts' disposal (each such host fails, naming the other) nor let
# an inventory name with '/' or a leading '.' name the fetch directory.
. "$(dirname "$0")/lib.sh"
need_root
. "$(dirname "$0")/r3_role_lib.sh"
r3_setup h1 h2
R3_RUN[h2]=${R3_RUN[h1]}	# h2: another name for h1's machine
R3_HOSTLINE[h1]="      dispose_confirm: h1"
r3_inventory "$T/inv.yml"
r3_play twin "$T/inv.yml"
r3_erased h1 || die "setup: h1 not erased: $(r3_why twin)"
[ -s "$T/ctl/h2/certificate.json" ] || die "setup: nothing fetched for h2: $(r3_why twin)"
[ "$(cat "$T/twin.rc")" != 0 ] || die "one certificate for two hosts: the play exits 0: $(grep -m3 ': valid: \|certificates:' "$T/twin.out")"
grep -q 'h2: its certificate is also the one fetched for h1' "$T/twin.out" || die "h2 not failed naming h1: $(r3_why twin)"
grep -q 'h1: its certificate is also the one fetched for h2' "$T/twin.out" || die "h1 not failed naming h2: $(r3_why twin)"
grep -q '2 certificates: 2 valid' "$T/twin.out" && die "the batch verify counts one certificate twice"
ok "one certificate fetched for two inventory names: both fail, naming each other"
