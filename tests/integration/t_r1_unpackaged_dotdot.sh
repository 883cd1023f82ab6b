#!/bin/bash
# t_r1_unpackaged_dotdot.sh - (review R1) an inventory given with --inventory
# (edited, or from another machine) holds an unpackaged tree named
# "/opt/../../out": sel_unpackaged joins it to the sysroot without checking
# it, the plan's keep checks compare strings, and the run erased $T/out, a
# directory outside the sysroot and the roots that nobody named. A name with
# a "." or ".." component (or not under /opt or /usr/local) must be refused.
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/opt/app" "$T/out" || die "mkdir"
echo app >"$s/opt/app/bin"
echo "PRECIOUS" >"$T/out/data"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-unpkg-dotdot",
 "inventory": {"roots": ["$s"], "categories": ["data", "software"], "sysroot": "$s"},
 "erase": [{"name": "sw", "unpackaged": ["any"], "method": "zero"}],
 "keep_running_system": true}
JSON
# the run's own inventory, taken and then edited
env DISPOSE_TEST_RUN_KILL=inventory:end "$DISPOSE" run --policy "$T/p.json" --yes \
	--progress none --run-dir "$T/r0" >/dev/null 2>&1
[ -s "$T/r0/inventory.json" ] || die "no inventory"
python3 - "$T/r0/inventory.json" "$T/inv.json" <<'PY' || die "edit inventory"
import json, sys
d = json.load(open(sys.argv[1]))
sw = [x for x in d["software"] if x["manager"] == "unpackaged"]
assert sw, "no unpackaged tree in the inventory"
d["software"].append(dict(sw[0], name="/opt/../../out"))
json.dump(d, open(sys.argv[2], "w"))
PY
"$DISPOSE" run --policy "$T/p.json" --inventory "$T/inv.json" --yes --progress none \
	--run-dir "$T/run" >"$T/out.txt" 2>&1
rc=$?
[ "$(cat "$T/out/data" 2>/dev/null)" = "PRECIOUS" ] ||
	{ cat "$T/out.txt"; die "$T/out (outside the sysroot, never named) was erased (exit $rc)"; }
ok "$T/out untouched (exit $rc)"
