#!/bin/bash
# t_plan.sh - dispose plan on a scratch server tree: the decision for every item
# (retain, erase split around what is kept, keep), plan.json in --run-dir, exit
# codes; and the plan changes nothing (the tree's checksums before and after).
. "$(dirname "$0")/lib.sh"
: "${DISPOSE:?}"

S=$T/server
mkdir -p "$S"/etc "$S"/var/log "$S"/srv/records "$S"/srv/data/keep "$S"/home/u/.ssh \
	"$S"/opt/app/bin "$S"/usr/bin "$S"/var/lib/dpkg/info || die "mkdir"
echo "conf" >"$S/etc/conf"
echo "log line" >"$S/var/log/syslog"
echo "record 1" >"$S/srv/records/r1"
head -c 5000 /dev/urandom >"$S/srv/data/d1"
echo "precious" >"$S/srv/data/keep/precious"
echo "app" >"$S/opt/app/bin/app"
echo "foo binary" >"$S/usr/bin/foo"
openssl genpkey -algorithm ed25519 -out "$S/home/u/.ssh/id_ed25519" 2>/dev/null || die "genpkey"
printf 'Package: foo\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\nInstalled-Size: 4\n\n' \
	>"$S/var/lib/dpkg/status"
printf '/.\n/usr\n/usr/bin\n/usr/bin/foo\n' >"$S/var/lib/dpkg/info/foo.list"

cat >"$T/p.json" <<'EOF'
{
	"schema": "dispose-policy/1",
	"name": "t-plan",
	"vars": {"SERVER": "/nonexistent", "DISKS": ""},
	"inventory": {"roots": ["${SERVER}"], "categories": ["software", "data", "keys"],
		      "hash": false, "sysroot": "${SERVER}"},
	"retain": [{"name": "records", "paths": ["${SERVER}/etc/**", "${SERVER}/srv/records/**"],
		    "retain_until": "7y"}],
	"erase": [
		{"name": "data", "paths": ["${SERVER}/srv/**", "${SERVER}/home/**"], "method": "zero"},
		{"name": "keys", "keys": ["any"], "method": "zero", "if_present": true},
		{"name": "software", "packages": ["fo*"], "unpackaged": ["any"], "method": "nist-clear"},
		{"name": "disks", "devices": ["${DISKS}"], "method": "auto"}
	],
	"keep": [{"name": "precious", "paths": ["${SERVER}/srv/data/keep/**"]}]
}
EOF

# what the plan must not change: names, types, sizes, modes, times, bytes
state() {
	(cd "$S" && find . -printf '%p %y %s %m %T@ %A@\n' | LC_ALL=C sort &&
	 find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum
}
state >/dev/null	# relatime: the first read of a new file moves its atime, ours too
before=$(state)

run() { "$DISPOSE" plan --policy "$T/p.json" --set "SERVER=$S" "$@"; }

# the human plan, and plan.json in a new run directory
run --run-dir "$T/run" >"$T/out" 2>"$T/err" || { cat "$T/err"; die "plan failed"; }
cat "$T/out"
grep -q "^targets (" "$T/out" || die "no targets section"
grep -q "^archives (1)" "$T/out" || die "no archive"
grep -q "holds $S/srv/data/keep, kept (precious)" "$T/out" || die "split not said"
grep -q "no device named" "$T/out" || die "empty device selector not reported"
grep -q "plan written to $T/run/plan.json" "$T/err" || die "plan.json not announced"
[ "$(stat -c %a "$T/run/plan.json")" = 600 ] || die "plan.json not 0600"
[ "$(tail -c 1 "$T/run/plan.json" | od -An -c | tr -d ' ')" = '\n' ] || die "no final newline"

python3 - "$T/run/plan.json" "$S" <<'EOF' || die "plan.json content"
import json, sys
p = json.load(open(sys.argv[1])); S = sys.argv[2]
assert p["schema"] == "dispose-plan/1"
assert p["policy"]["name"] == "t-plan" and len(p["policy"]["sha256"]) == 64
tg = {t["path"]: t for t in p["targets"]}
# srv and srv/data hold a kept file: split; their other entries are targets
assert S + "/srv" not in tg and S + "/srv/data" not in tg, tg.keys()
assert tg[S + "/srv/data/d1"]["kind"] == "file" and tg[S + "/srv/data/d1"]["bytes"] == 5000
assert tg[S + "/srv/records"]["kind"] == "tree" and tg[S + "/srv/records"]["retained"] == 1
assert tg[S + "/home"]["kind"] == "tree" and tg[S + "/home"]["rule"] == "data"
assert tg[S + "/usr/bin/foo"]["rule"] == "software" and tg[S + "/usr/bin/foo"]["passes"] == 1
assert tg[S + "/opt/app"]["kind"] == "tree"
assert not any(t.startswith(S + "/srv/data/keep") for t in tg)
paths = sorted(tg)
for a in paths:
    for b in paths:
        assert a == b or not b.startswith(a + "/"), (a, b)
items = {(i["path"], i["kind"]): i for i in p["items"]}
assert items[(S + "/srv/data/keep/precious", "file")]["decision"] == "keep"
assert items[(S + "/srv/records/r1", "file")]["decision"] == "retain+erase"
assert items[(S + "/etc/conf", "file")]["decision"] == "retain"
assert items[(S + "/var/log/syslog", "file")]["decision"] == "none"
assert items[(S + "/home/u/.ssh/id_ed25519", "key")]["decision"] == "erase"
assert items[("foo", "package")]["decision"] == "erase"
a = p["archives"][0]
assert a["roots"] == [S + "/etc", S + "/srv/records"], a["roots"]
assert a["archive"].startswith(sys.argv[1].rsplit("/", 1)[0] + "/archives/records-")
assert a["retain_for"] == "7y" and a["files"] == 2
assert p["counts"]["targets"] == len(p["targets"]) and p["counts"]["archives"] == 1
EOF
ok "plan.json"

# -J: the same document on stdout; an existing plan.json is never replaced
cp "$T/run/plan.json" "$T/plan.first"
expect_exit 1 run -J --run-dir "$T/run" >"$T/json" 2>"$T/err"
grep -q "plan.json: exists" "$T/err" || die "no message for an existing plan.json"
cmp -s "$T/plan.first" "$T/run/plan.json" || die "plan.json replaced"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["schema"] == "dispose-plan/1"' \
	"$T/json" || die "-J is not the plan"
ok "-J, no replacement"

# -o FILE, and a saved inventory read instead of a scan (data and keys: the
# inventory command has no sysroot, its software would be this machine's)
jq 'del(.erase[2]) | .inventory.categories = ["data", "keys"]' "$T/p.json" >"$T/p-data.json" ||
	die "jq"
"$DISPOSE" inventory -r "$S" --data --keys -o "$T/inv.json" 2>/dev/null
[ -s "$T/inv.json" ] || die "inventory"
expect_exit 0 "$DISPOSE" plan --policy "$T/p-data.json" --set "SERVER=$S" -o "$T/scan.json" \
	>/dev/null 2>&1
expect_exit 0 "$DISPOSE" plan --policy "$T/p-data.json" --set "SERVER=$S" \
	--inventory "$T/inv.json" -o "$T/p2.json" >/dev/null 2>&1
python3 - "$T/p2.json" "$T/inv.json" "$T/scan.json" <<'EOF' || die "plan from --inventory"
import json, sys, hashlib
p = json.load(open(sys.argv[1])); scan = json.load(open(sys.argv[3]))
assert p["inventory"]["path"] == sys.argv[2]
assert p["inventory"]["sha256"] == hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert scan["inventory"]["path"] is None
assert [t["path"] for t in p["targets"]] == [t["path"] for t in scan["targets"]]
assert len(p["targets"]) == 3
EOF
ok "--inventory, -o"

# -v: every item with its decision
run -v >"$T/outv" 2>/dev/null || die "plan -v"
grep -q "^  keep  *file  *$S/srv/data/keep/precious" "$T/outv" || die "-v: kept item not listed"
grep -q "^  retain+erase  *file  *$S/srv/records/r1" "$T/outv" || die "-v: retained item not listed"

# a rule that matches nothing: exit 2, the file, the rule's index and name
jq '.erase |= [.[0], {"name": "ghost", "paths": ["${SERVER}/nothing/**"], "method": "zero"}] + .[1:]' \
	"$T/p.json" >"$T/ghost.json" || die "jq"
expect_exit 2 "$DISPOSE" plan --policy "$T/ghost.json" --set "SERVER=$S" --run-dir "$T/run2" \
	2>"$T/err" >/dev/null
[ ! -e "$T/run2" ] || die "a run directory made for a plan that failed"
grep -qx "dispose: $T/ghost.json: erase\[1\] (ghost): matches nothing" "$T/err" ||
	{ cat "$T/err"; die "matches nothing: message"; }
ok "matches nothing"

# usage errors
expect_exit 2 "$DISPOSE" plan 2>/dev/null
expect_exit 2 "$DISPOSE" plan --policy "$T/p.json" --frob 2>/dev/null
expect_exit 2 "$DISPOSE" plan --policy "$T/p.json" --set NOEQUALS 2>/dev/null
expect_exit 2 "$DISPOSE" plan --policy "$T/nope.json" 2>/dev/null
expect_exit 2 run --inventory "$T/nope.json" 2>/dev/null
echo '{"schema":"something-else"}' >"$T/bad-inv.json"
expect_exit 2 run --inventory "$T/bad-inv.json" 2>/dev/null
ok "exit codes"

# nothing changed
[ "$(state)" = "$before" ] || die "the plan changed the tree"
ok "tree unchanged"
