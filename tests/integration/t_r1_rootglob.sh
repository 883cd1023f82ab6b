#!/bin/bash
# t_r1_rootglob.sh - (review R1) a paths selector "/**" (or "${VAR}/**" with
# VAR empty) is the whole tree: the plan must answer (a plan or a precise
# exit 2), never write past a buffer (sel_paths strcpy'd "/" into strndup's
# 1-byte copy of "").
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/data" || die "mkdir"
echo d >"$s/data/f"
for sel in '/**' '${DATA}/**'; do
	cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-rootglob", "vars": {"DATA": ""},
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": false},
 "erase": [{"name": "all", "paths": ["$s/data/f", "$sel"], "method": "zero"}],
 "keep_running_system": true}
JSON
	"$DISPOSE" plan --policy "$T/p.json" >"$T/out" 2>"$T/err"
	rc=$?
	grep -q 'Sanitizer' "$T/err" && { head -5 "$T/err"; die "$sel: memory error in the plan"; }
	[ $rc = 0 ] || [ $rc = 2 ] || { cat "$T/err"; die "$sel: exit $rc"; }
	ok "$sel: exit $rc, no memory error"
done
