#!/bin/bash
# t_r1_rundir_clobber.sh - (review R1) --run-dir names an existing directory
# without a record that holds the operator's own inventory.json (e.g. one made
# by `dispose inventory -o`). plan.json there is "exists (not replaced)", but
# inventory.json was silently overwritten before that: a file nobody named is
# destroyed. The run must refuse the directory, or never replace a file there.
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv" "$T/mine" || die "mkdir"
echo data >"$s/srv/f"
echo "MY OWN INVENTORY" >"$T/mine/inventory.json"
echo "MY OWN PLAN" >"$T/mine/plan.json"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-rundir",
 "inventory": {"roots": ["$s"], "categories": ["data"]},
 "erase": [{"name": "d", "paths": ["$s/srv/**"], "method": "zero"}],
 "keep_running_system": true}
JSON
"$DISPOSE" run --policy "$T/p.json" --yes --progress none --run-dir "$T/mine" >"$T/out" 2>&1
rc=$?
[ "$(cat "$T/mine/inventory.json")" = "MY OWN INVENTORY" ] ||
	{ cat "$T/out"; die "the operator's inventory.json in the run directory was replaced (exit $rc)"; }
[ "$(cat "$T/mine/plan.json")" = "MY OWN PLAN" ] || die "plan.json replaced"
ok "files in the existing directory intact (exit $rc)"
