#!/bin/bash
# t_r1_device_swapped.sh - (review R1) the medium behind a planned device path
# is replaced between sessions: dispose run killed at plan:end, the loop device
# detached and another image attached under the same name, then --resume.
# The new medium was never inventoried, planned nor confirmed: it must not be
# erased (its bytes stay), and the resume must not report success.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv" || die "mkdir"
echo data >"$s/srv/f"
dev=$(mkloop 8 "$T/a.img") || die "mkloop"
fill_marker "$dev" 8
truncate -s 8M "$T/b.img" || die "truncate"
fill_marker "$T/b.img" 8
want=$(grep -a -o "$MARKER" "$T/b.img" | wc -l)
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-swap", "vars": {"DISK": ""},
 "inventory": {"roots": ["$s"], "categories": ["data", "devices"], "hash": true},
 "erase": [{"name": "data", "paths": ["$s/srv/**"], "method": "zero"},
           {"name": "disk", "devices": ["\${DISK}"], "method": "zero", "verify": "last"}],
 "keep_running_system": true}
JSON
env DISPOSE_TEST_RUN_KILL=plan:end "$DISPOSE" run --policy "$T/p.json" --set "DISK=$dev" \
	--yes --progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
[ $rc = 137 ] || { cat "$T/out"; die "not killed at plan:end (exit $rc)"; }
grep -q a.img "$T/run/inventory.json" || die "inventory does not name a.img"
ok "killed at plan:end, $dev holds a.img"

# media replaced between sessions: same device name, another image
losetup -d "$dev" || die "detach $dev"
losetup "$dev" "$T/b.img" || die "attach b.img at $dev"
ok "$dev now holds b.img"

"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
got=$(grep -a -o "$MARKER" "$T/b.img" | wc -l)
[ "$got" = "$want" ] || { cat "$T/out"; die "b.img (never planned) was erased: $got of $want markers left (exit $rc)"; }
[ $rc != 0 ] || { cat "$T/out"; die "resume reported success with the planned medium gone"; }
ok "the replaced medium kept its bytes, exit $rc"
