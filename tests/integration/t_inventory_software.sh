#!/bin/bash
# t_inventory_software.sh - the dpkg package count equals dpkg-query's "ii" count
. "$SRCDIR/tests/integration/lib.sh"
command -v dpkg-query >/dev/null || skip "no dpkg on this machine"
[ -r /var/lib/dpkg/status ] || skip "no dpkg status file"

want=$(dpkg-query -W -f='${db:Status-Abbrev}\n' | grep -c '^ii')
# packages on hold ("hi") are installed too; the tool counts them, dpkg-query's
# "ii" does not, so add them for the comparison
held=$(dpkg-query -W -f='${db:Status-Abbrev}\n' | grep -c '^hi' || true)

"$DISPOSE" inventory --software --json >"$T/sw.json" || die "inventory --software failed"
python3 -m json.tool "$T/sw.json" >/dev/null || die "document is not valid JSON"
got=$(python3 - "$T/sw.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "dispose-inventory/1", d["schema"]
for k in ("files", "keys", "devices"):
    assert k not in d, k + " present without being asked for"
pk = [p for p in d["software"] if p["manager"] == "dpkg"]
for p in pk:
    assert p["name"] and p["version"] and p["arch"], p
    assert isinstance(p["installed_size"], int) and p["installed_size"] % 1024 == 0, p
    assert p["files"] is None or p["files"] >= 0, p
print(len(pk))
PY
) || die "software[] items malformed"
[ "$got" -eq $((want + held)) ] || die "dpkg packages: got $got, dpkg-query says $want (+$held held)"
ok "dpkg packages: $got = dpkg-query ii count $want (+$held held)"

# a package whose file list we know: coreutils owns /usr/bin/ls (as /bin/ls)
files=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print([p for p in d["software"] if p["name"] == "coreutils"][0]["files"])' "$T/sw.json")
want_files=$(grep -cvx '/\.' /var/lib/dpkg/info/coreutils.list)
[ "$files" = "$want_files" ] || die "coreutils files: got $files, .list has $want_files"
ok "coreutils file count $files"

# installed_size is Installed-Size KiB * 1024
kib=$(dpkg-query -W -f='${Installed-Size}' coreutils)
size=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print([p for p in d["software"] if p["name"] == "coreutils"][0]["installed_size"])' "$T/sw.json")
[ "$size" -eq $((kib * 1024)) ] || die "coreutils installed_size $size != $kib KiB"
ok "installed_size in bytes"
