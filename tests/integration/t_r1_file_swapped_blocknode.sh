#!/bin/bash
# t_r1_file_swapped_blocknode.sh - (review R1) a planned file target
# ("paths": ["$s/srv/f"], a regular file in the inventory and the plan) is
# replaced by a block special file (mknod ... b 7 N: the scratch loop device)
# between sessions: killed at plan:end, swap, --resume. The erase writes
# through the node and zeroes the whole device, exit 0 "success", none of the
# device checks done (with the root disk's numbers: the root disk). A file
# target must still be a regular file (fstat on the O_NOFOLLOW fd; the
# inventory's dev/ino) when it is written, else refused.
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv" || die "mkdir"
echo data >"$s/srv/f"
dev=$(mkloop 4) || die "mkloop"
python3 -c "open('$dev','r+b').write(b'LOOPMARK' * 524288)" || die "fill"
maj=$(stat -c '%t' "$dev"); min=$(stat -c '%T' "$dev")
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-file-node",
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": true},
 "erase": [{"name": "d", "paths": ["$s/srv/f"], "method": "zero"}],
 "keep_running_system": true}
JSON
env DISPOSE_TEST_RUN_KILL=plan:end "$DISPOSE" run --policy "$T/p.json" --yes --progress none \
	--run-dir "$T/run" >"$T/out" 2>&1
rc=$?
[ $rc = 137 ] || { cat "$T/out"; die "not killed at plan:end (exit $rc)"; }
rm -f "$s/srv/f" && mknod "$s/srv/f" b "$((16#$maj))" "$((16#$min))" || die "mknod"
ok "$s/srv/f is now a block node of $dev"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
n=$(grep -a -o LOOPMARK "$dev" | wc -l)
[ "$n" = 524288 ] || { cat "$T/out"; die "$dev zeroed through a swapped file target: $n of 524288 marks left (exit $rc)"; }
[ $rc != 0 ] || die "exit 0 with the planned file replaced"
ok "$dev untouched, exit $rc"
