#!/bin/bash
# t_r1_keep_symlink.sh - (review R1) a keep rule names a directory through a
# symbolic link ($s/alias/k -> $s/srv/data/keepme) while an erase rule takes
# $s/srv/**. The run directory and archive destinations are kept by their real
# path too; a keep rule's path must be as well: the kept bytes stay (or the
# policy is refused before anything is erased).
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv/data/keepme" "$s/alias" || die "mkdir"
echo "keep me" >"$s/srv/data/keepme/k"
echo data >"$s/srv/data/f"
ln -s "$s/srv/data/keepme" "$s/alias/k" || die "ln"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-keep-link",
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": true},
 "erase": [{"name": "data", "paths": ["$s/srv/**"], "method": "zero"}],
 "keep": [{"name": "k", "paths": ["$s/alias/k/**"]}],
 "keep_running_system": true}
JSON
"$DISPOSE" run --policy "$T/p.json" --yes --progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
[ "$(cat "$s/srv/data/keepme/k" 2>/dev/null)" = "keep me" ] ||
	{ cat "$T/out"; die "a kept file (named through a link) was erased (exit $rc)"; }
ok "kept file intact (exit $rc)"
if [ $rc = 0 ]; then
	[ -e "$s/srv/data/f" ] && die "data/f not erased"
	ok "the rest erased"
fi
