#!/bin/bash
# t_r2_key_under_retained.sh - R2: key material under a retained root (an SSH
# host key in /etc/ssh, with /etc/** retained and every key erased, as
# server-decommission says). The plan decides "erase" and keeps it out of
# the archive (retain keys exclude); the run must then erase it, not leave
# it in place as "retained, not covered by a verified archive" (exit 4, a
# failure report): the shipped default would never erase the host keys.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
make_signer "$T/signer"
s=$T/srv
make_server "$s"
ssh-keygen -q -t ed25519 -N '' -C host -f "$s/etc/ssh/ssh_host_ed25519_key" || die "ssh-keygen"
body=$(sed -n 2p "$s/etc/ssh/ssh_host_ed25519_key" | cut -c1-40)
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "t-r2", "description": "r2",
 "inventory": {"roots": ["$s"], "categories": ["data", "keys"], "hash": true, "sysroot": "$s"},
 "retain": [{"name": "records", "paths": ["$s/etc/**", "$s/var/log/**"],
	     "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
	     "organization": "Test Org", "legal_hold": false}],
 "erase": [{"name": "data", "paths": ["$s/srv/**", "$s/home/**"], "method": "zero"},
	   {"name": "keys", "keys": ["any"], "method": "zero"}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON
"$DISPOSE" run --policy "$T/p.json" --yes --progress none --run-dir "$T/r" >"$T/out" 2>&1
rc=$?
python3 - "$T/r/plan.json" "$s/etc/ssh/ssh_host_ed25519_key" <<'PY' || die "plan: $(cat "$T/out")"
import json, sys
p = json.load(open(sys.argv[1]))
its = [i for i in p["items"] if i.get("path") == sys.argv[2]]
assert its and all(i["decision"] == "erase" and i.get("archive") is None for i in its), its
PY
for a in "$T"/r/archives/*.tar.zst; do
	bsdtar -xOf "$a" 2>/dev/null | grep -q -- "$body" && die "the private key is in the archive"
done
[ -e "$s/etc/ssh/ssh_host_ed25519_key" ] &&
	die "the host key the plan erases was left in place (exit $rc): $(cat "$T/out")"
[ $rc = 0 ] || die "expected exit 0, got $rc: $(cat "$T/out")"
cmp -s "$s/etc/ssh/sshd_config" "$s.orig/etc/ssh/sshd_config" || die "sshd_config changed"
python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))["kind"]; assert k == "certificate-of-sanitization", k' \
	"$T/r/certificate.json" || die "certificate kind"
ok "a key under a retained root, decided erase by the plan, is erased"
