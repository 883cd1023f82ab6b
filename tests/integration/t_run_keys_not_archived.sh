#!/bin/bash
# t_run_keys_not_archived.sh - a retain rule leaves private keys out of its
# archive (retain keys exclude, the default): with the keys erased by an erase
# rule, no key file and no key body lands in the unencrypted retention archive,
# the gate does not hold the excluded key back as "retained, not covered", and
# the run erases it and exits 0. A key whose name holds glob characters is
# excluded too (the plan escapes them).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
command -v zstd >/dev/null || skip "zstd not installed"
command -v bsdtar >/dev/null || skip "bsdtar not installed"
srv=$T/srv
mkdir -p "$srv/etc/ssh" "$srv/etc/ssl/private" "$srv/var/log" || die "mkdir"
printf 'app.port = 8080\n' >"$srv/etc/app.conf"
printf 'Dec  6 12:00:00 host sshd[1]: accepted\n' >"$srv/var/log/auth.log"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$srv/etc/ssl/private/server.key" 2>/dev/null || die "openssl genpkey"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$srv/etc/ssl/private/srv[1]*.key" 2>/dev/null || die "openssl genpkey"
ssh-keygen -q -t ed25519 -N '' -C t -f "$srv/etc/ssh/ssh_host_ed25519_key" || die "ssh-keygen"
keys=("$srv/etc/ssl/private/server.key" "$srv/etc/ssl/private/srv[1]*.key"
      "$srv/etc/ssh/ssh_host_ed25519_key")
# a line of each key's base64 body, to look for in the archive's bytes
bodies=()
for k in "${keys[@]}"; do
	bodies+=("$(sed -n 2p "$k")")
	[ -n "${bodies[-1]}" ] || die "$k: no body line"
done
cat >"$T/p.json" <<JSON
{
	"schema": "dispose-policy/1",
	"name": "t-keys",
	"inventory": {"roots": ["$srv"], "categories": ["data", "keys"], "hash": true,
		      "sysroot": "$srv"},
	"retain": [{"name": "records", "paths": ["$srv/etc/**", "$srv/var/log/**"],
		    "retain_until": "7y", "series": "T-1"}],
	"erase": [{"name": "keys", "keys": ["any"], "method": "zero", "verify": "last"}],
	"keep_running_system": true
}
JSON
"$DISPOSE" run --policy "$T/p.json" --yes --progress none --run-dir "$T/r" >"$T/out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$T/out"; die "expected exit 0, got $rc"; }

arc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["archives"][0]["archive"])' \
	"$T/r/plan.json") || die "no archive in the plan"
[ -f "$arc" ] || die "$arc: no archive"
zstd -dc "$arc" >"$T/arc.tar" || die "$arc: not zstd"
bsdtar -tf "$T/arc.tar" >"$T/list" || die "$arc: not a tar"
grep -q 'etc/app.conf$' "$T/list" || { cat "$T/list"; die "the retained config is not archived"; }
grep -q 'var/log/auth.log$' "$T/list" || die "the retained log is not archived"
sed 's#^[^/]*/data/#/#' "$T/list" >"$T/paths"
for k in "${keys[@]}"; do
	grep -qxF -- "$k" "$T/paths" && { cat "$T/list"; die "$k: in the retention archive"; }
done
grep -q 'ssh_host_ed25519_key$\|server\.key$\|\.key$' "$T/list" &&
	{ cat "$T/list"; die "a key file is in the retention archive"; }
for b in "${bodies[@]}"; do
	grep -qaF -- "$b" "$T/arc.tar" && die "a key's body is in the retention archive"
done
ok "no key file and no key body in the retention archive"

# the plan says why, and lists each key (escaped) in the archive's excludes
python3 - "$T/r/plan.json" "$srv" <<'PY' || die "plan not as expected"
import json, sys
plan, srv = json.load(open(sys.argv[1])), sys.argv[2]
ex = plan["archives"][0]["excludes"]
assert srv + "/etc/ssl/private/srv\\[1\\]\\*.key" in ex, ex
assert srv + "/etc/ssh/ssh_host_ed25519_key" in ex, ex
for it in plan["items"]:
    if it["path"].startswith(srv + "/etc/ssl/private/s") or it["path"].endswith("_key"):
        assert it["decision"] == "erase", it
        assert "key material: not archived (retain[0].keys exclude)" in it["reason"], it
        assert it["archive"] is None, it
PY
ok "plan: keys excluded (escaped), decision erase, reason says not archived"

for i in "${!keys[@]}"; do
	[ -e "${keys[$i]}" ] && grep -qaF -- "${bodies[$i]}" "${keys[$i]}" &&
		die "${keys[$i]}: not erased, its key body is still there"
done
events "$T/r" target_end | grep -q '"failed"\|"skipped"' && die "a target not erased"
cmp -s <(printf 'app.port = 8080\n') "$srv/etc/app.conf" || die "retained config changed"
ok "keys erased, retained files intact, exit 0"
