#!/bin/bash
# t_r1_retain_glob_new.sh - (review R1) a retain rule by glob ("$s/srv/*.rec")
# inside an erase tree ("$s/srv/**"). A record matching the retain rule that
# appears after the archive (killed at verify:end, b.rec written, --resume;
# on a live server: a log rotated during a long archive step) is erased
# though the archive never held it: the interlock guards the archive's roots
# (the files matched at plan time), not the retain rule. A file a retain rule
# matches must be covered before it is erased, else left in place (exit 1).
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv" || die "mkdir"
echo "record a" >"$s/srv/a.rec"
echo data >"$s/srv/f"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-retain-glob",
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": true},
 "retain": [{"name": "rec", "paths": ["$s/srv/*.rec"], "retain_until": "7y"}],
 "erase": [{"name": "data", "paths": ["$s/srv/**"], "method": "zero"}],
 "keep_running_system": true}
JSON
env DISPOSE_TEST_RUN_KILL=verify:end "$DISPOSE" run --policy "$T/p.json" --yes --progress none \
	--run-dir "$T/run" >"$T/out" 2>&1
rc=$?
[ $rc = 137 ] || { cat "$T/out"; die "not killed at verify:end (exit $rc)"; }
echo "record b, after the archive" >"$s/srv/b.rec"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
[ "$(cat "$s/srv/b.rec" 2>/dev/null)" = "record b, after the archive" ] ||
	{ cat "$T/out"; die "b.rec (retained by rule, never archived) was erased (exit $rc)"; }
[ $rc != 0 ] || die "exit 0 with a retained record left unarchived"
ok "b.rec left in place, exit $rc"
