#!/bin/bash
# t_r1_retain_symlink.sh - (review R1) a retain rule names the records through
# a symbolic link ($s/alias/rec -> $s/srv/data/rec) while an erase rule takes
# $s/srv/**. The archive follows the link and archives srv/data/rec/r, but the
# plan matches by name: no retained file under the erase target, the interlock
# checks 0 items. A record changed after the archive (kill at verify:end,
# change, --resume) is then erased though it was never archived as it is.
# Retained means: erased only when the verified archive covers it as it is.
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv/data/rec" "$s/alias" || die "mkdir"
echo "record v1" >"$s/srv/data/rec/r"
echo data >"$s/srv/data/f"
ln -s "$s/srv/data/rec" "$s/alias/rec" || die "ln"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-retain-link",
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": true},
 "retain": [{"name": "rec", "paths": ["$s/alias/rec/**"], "retain_until": "7y"}],
 "erase": [{"name": "data", "paths": ["$s/srv/**"], "method": "zero"}],
 "keep_running_system": true}
JSON
env DISPOSE_TEST_RUN_KILL=verify:end "$DISPOSE" run --policy "$T/p.json" --yes --progress none \
	--run-dir "$T/run" >"$T/out" 2>&1
rc=$?
if [ $rc = 2 ] || [ $rc = 4 ]; then
	[ "$(cat "$s/srv/data/rec/r")" = "record v1" ] || die "refused (exit $rc) but the record changed"
	ok "refused up front (exit $rc): $(tail -1 "$T/out")"
	exit 0
fi
[ $rc = 137 ] || { cat "$T/out"; die "not killed at verify:end (exit $rc)"; }
ok "archived and verified; killed before the erase"
echo "record v2, written after the archive" >"$s/srv/data/rec/r"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
[ "$(cat "$s/srv/data/rec/r" 2>/dev/null)" = "record v2, written after the archive" ] ||
	{ cat "$T/out"; grep '"interlock"' "$T/run/events.jsonl"; die "a retained record no archive covers was erased (exit $rc)"; }
[ $rc != 0 ] || die "exit 0 with a retained record left uncovered"
ok "the changed record is left in place, exit $rc"
