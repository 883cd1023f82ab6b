#!/bin/bash
# t_r1_dpkg_list_dotdot.sh - (review R1) a hostile dpkg file list in the
# sysroot (a copied or mounted disk of a compromised server) names
# "/../out/victim": pkg_files joins it to the sysroot unchecked, so the plan
# targets SYSROOT/../out/victim, outside the sysroot; the keep checks compare
# strings, so "/../../etc/passwd" under a sysroot two levels deep would name
# the real /etc/passwd. The run erased the victim. A .list line with a "." or
# ".." component must be ignored (or the package refused).
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/sys
mkdir -p "$s/var/lib/dpkg/info" "$s/usr/bin" "$T/out" || die "mkdir"
echo "SECRET outside the sysroot" >"$T/out/victim"
echo bin >"$s/usr/bin/evil"
printf 'Package: evil\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n\n' \
	>"$s/var/lib/dpkg/status"
printf '/.\n/usr\n/usr/bin\n/usr/bin/evil\n/../out/victim\n/usr/../../out/victim\n' \
	>"$s/var/lib/dpkg/info/evil.list"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-dpkg-dotdot",
 "inventory": {"roots": ["$s"], "categories": ["data", "software"], "sysroot": "$s"},
 "erase": [{"name": "sw", "packages": ["evil"], "method": "zero"}],
 "keep_running_system": true}
JSON
"$DISPOSE" plan --policy "$T/p.json" >"$T/plan.txt" 2>&1
grep -Eq '^ +t[0-9]+ +file +.*out/victim' "$T/plan.txt" && { cat "$T/plan.txt"; die "the plan targets a file outside the sysroot"; }
"$DISPOSE" run --policy "$T/p.json" --yes --progress none --run-dir "$T/run" >"$T/out.txt" 2>&1
rc=$?
[ "$(cat "$T/out/victim" 2>/dev/null)" = "SECRET outside the sysroot" ] ||
	{ cat "$T/out.txt"; die "victim outside the sysroot erased (exit $rc)"; }
ok "victim untouched (exit $rc)"
[ -e "$s/usr/bin/evil" ] && [ $rc = 0 ] && die "exit 0 but the package's own file is still there"
ok "package file handled"
