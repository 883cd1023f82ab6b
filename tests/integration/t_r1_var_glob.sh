#!/bin/bash
# t_r1_var_glob.sh - (review R1) a variable's value is a value, not a pattern:
# --set D='/x/s[1]' names the directory "s[1]". Expanded into "${D}/**" it
# became the glob /x/s[1]/** which matches /x/s1 (nobody named it) and not
# s[1]: the run erased s1 and left s[1]. dispose-policy(5): "an expanded value
# is not expanded again".
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
v=$T/v
mkdir -p "$v/s[1]" "$v/s1" || die "mkdir"
echo named >"$v/s[1]/f"
echo "other data" >"$v/s1/f"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-var-glob", "vars": {"D": ""},
 "inventory": {"roots": ["$v"], "categories": ["data"], "hash": true},
 "erase": [{"name": "d", "paths": ["\${D}/**"], "method": "zero"}],
 "keep_running_system": true}
JSON
"$DISPOSE" run --policy "$T/p.json" --set "D=$v/s[1]" --yes --progress none \
	--run-dir "$T/run" >"$T/out" 2>&1
rc=$?
[ "$(cat "$v/s1/f" 2>/dev/null)" = "other data" ] ||
	{ cat "$T/out"; die "$v/s1, never named, was erased (exit $rc)"; }
ok "s1 untouched (exit $rc)"
if [ $rc = 2 ]; then
	[ -e "$v/s[1]/f" ] || die "refused (exit 2) but s[1] erased"
	ok "refused up front: $(tail -1 "$T/out")"
	exit 0
fi
[ $rc = 0 ] || { cat "$T/out"; die "exit $rc"; }
[ -e "$v/s[1]" ] && die "the named s[1] was not erased"
ok "the named s[1] erased"
