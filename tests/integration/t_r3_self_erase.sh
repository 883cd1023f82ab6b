#!/bin/bash
# t_r3_self_erase.sh - (review R3 #2) dispose installed in a sysroot under the
# default PREFIX (usr/local/bin/dispose, usr/local/share/dispose) and a policy
# that erases unpackaged software (as server-decommission does): the run must
# keep the running binary and its data directory (methods, policies,
# schemas), never erase them, and still erase the rest.
. "$(dirname "$0")/lib.sh"
need_root
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
unset DISPOSE_METHODS_DIR
src=${DISPOSE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
S=$T/sys
mkdir -p "$S/usr/local/bin" "$S/usr/local/share/dispose" "$S/srv" "$S/opt/app" || die "mkdir"
cp "$DISPOSE" "$S/usr/local/bin/dispose" || die "cp binary"
cp -r "$src/profiles/." "$S/usr/local/share/dispose/" || die "cp profiles"
cp -a "$S/usr/local" "$T/local.orig"
echo app >"$S/opt/app/a"
head -c 100000 /dev/urandom >"$S/srv/big"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r3-self-erase",
 "inventory": {"roots": ["$S"], "categories": ["data", "software"], "hash": true, "sysroot": "$S"},
 "erase": [{"name": "sw", "unpackaged": ["any"], "method": "zero"},
           {"name": "data", "paths": ["$S/srv/**"], "method": "zero"}]}
JSON
X=$S/usr/local/bin/dispose
"$X" run --policy "$T/p.json" --yes --progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
diff -r "$T/local.orig" "$S/usr/local" >"$T/diff" 2>&1 ||
	{ cat "$T/out" "$T/diff"; die "the running dispose or its data directory was changed (exit $rc)"; }
[ $rc -eq 0 ] || { cat "$T/out"; die "run exit $rc, want 0"; }
[ "$(tr -d '\0' <"$S/srv/big" | wc -c)" -eq 0 ] || { cat "$T/out"; die "srv/big not erased"; }
ok "binary and data directory kept, the rest erased"
