#!/bin/bash
# t_r3_fetch_name.sh - R3 #16 finding: the role fetches to
# dispose_fetch_dir/INVENTORY_HOSTNAME/ as is: an inventory name with '..'
# or '/' ('h1/.', '../outside') writes one host's evidence over another's
# (both then "valid", one certificate for two hosts) or outside the fetch
# directory on the controller. A play must refuse such a name (or map it to
# a safe directory), never report two hosts with one certificate.
. "$(dirname "$0")/lib.sh"
need_root
. "$(dirname "$0")/r3_role_lib.sh"
r3_setup h1 'h1/.' '../outside'
for h in h1 'h1/.' '../outside'; do R3_HOSTLINE[$h]="      dispose_confirm: '$h'"; done
r3_inventory "$T/inv.yml"
r3_play p "$T/inv.yml"
rc=$(cat "$T/p.rc")
r3_planned p h1 || die "setup: no plan for h1: $(r3_why p)"
[ ! -e "$T/outside" ] || die "host '../outside' wrote outside the fetch dir: $(ls "$T/outside") (play exit $rc)"
if [ "$rc" = 0 ]; then
	n=$(find "$T/ctl" -name certificate.json -exec sha256sum {} + | awk '{print $1}' | sort -u | wc -l)
	[ "$n" = 3 ] || die "the play exits 0 with $n distinct certificates fetched for 3 hosts: $(grep ': valid: ' "$T/p.out" | cut -c1-140)"
	cmp -s "$T/ctl/h1/certificate.json" "${R3_RUN[h1]}/certificate.json" ||
		die "the play exits 0 and ctl/h1/certificate.json is not h1's certificate"
fi
ok "inventory names with '..' or '/' do not mix or escape the fetched evidence (exit $rc)"
