#!/bin/bash
# t_r3_resume_fd_limit.sh - (review R3 #3b) a --resume that fails on a system
# error (here too few file descriptors: reading the run record fails with
# EMFILE) must say one line naming the run directory and the error, never
# exit non-zero in silence; a later --resume with normal limits completes.
# (More descriptors reach the erase checks: R3 #3, not covered here.)
. "$(dirname "$0")/lib.sh"
need_root
"$DISPOSE" run --help >/dev/null 2>&1 || die "dispose run not in this build"
s=$T/s
mkdir -p "$s/srv" || die "mkdir"
echo a >"$s/srv/f"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r3-resume-fd",
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": true},
 "erase": [{"name": "g", "paths": ["$s/srv/**"], "method": "zero"}]}
JSON
DISPOSE_TEST_RUN_KILL=verify:end "$DISPOSE" run --policy "$T/p.json" --yes --progress none \
	--run-dir "$T/run" >"$T/out" 2>&1
[ -f "$T/run/events.jsonl" ] || { cat "$T/out"; die "no run record after the kill"; }
silent=0
for n in 6; do
	(ulimit -n $n; exec "$DISPOSE" run --resume --yes --progress none --run-dir "$T/run") \
		>"$T/o" 2>"$T/e"
	rc=$?
	if [ $rc -ne 0 ] && ! grep -v 'not used' "$T/e" | grep -q "dispose: .*$T/run.*: "; then
		echo "ulimit -n $n: exit $rc, stderr:"; cat "$T/e" "$T/o"
		silent=1
	fi
done
[ $silent -eq 0 ] || die "a failed --resume said no line naming the run directory"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/o" 2>&1 ||
	{ cat "$T/o"; die "the later --resume failed"; }
[ ! -e "$s/srv/f" ] || [ "$(tr -d '\0' <"$s/srv/f" | wc -c)" -eq 0 ] || die "srv/f not erased"
ok "a failed --resume says its line; the later one completes"
