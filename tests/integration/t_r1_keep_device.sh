#!/bin/bash
# t_r1_keep_device.sh - (review R1) a keep rule with a devices selector: the
# plan must list the device as kept and go on. keep_match sets keep_rule = -1
# and build_items reads erase[-1].name: use-after-free under ASan, SIGSEGV in
# the release build, for every policy that keeps a device by name.
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv" || die "mkdir"
echo d >"$s/srv/f"
dev=$(mkloop 8) || die "mkloop"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-keep-dev",
 "inventory": {"roots": ["$s"], "categories": ["data", "devices"]},
 "erase": [{"name": "data", "paths": ["$s/srv/**"], "method": "zero"}],
 "keep": [{"name": "disk", "devices": ["$dev"]}],
 "keep_running_system": true}
JSON
for bin in "$DISPOSE" "${DISPOSE_REL:-$DISPOSE}"; do
	"$bin" plan --policy "$T/p.json" -v >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 0 ] || { head -5 "$T/err"; die "$bin: plan with a kept device: exit $rc"; }
	grep -q "keep .*$dev" "$T/out" || { cat "$T/out"; die "$bin: $dev not shown kept"; }
	ok "$bin: $dev kept"
done
