#!/bin/bash
# t_r1_loop_backing_kept.sh - (review R1) "keep wins over everything": a loop
# device whose backing file is a kept file ($s/keep/disk.img under a keep
# rule) is named by an erase rule. Erasing the device overwrites the kept
# file's bytes. The plan must keep the device (its backing file is kept) or
# refuse it; the kept image keeps its bytes. (The same holds for a backing
# file that is retained, in the run directory, or in the running system.)
. "$(dirname "$0")/lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/keep" "$s/srv" || die "mkdir"
echo data >"$s/srv/f"
python3 -c "open('$s/keep/disk.img','wb').write(b'KEPT-IMAGE-BYTES' * 65536)" || die "image"
cp "$s/keep/disk.img" "$T/disk.orig"
dev=$(losetup -f --show "$s/keep/disk.img") || die "losetup"
track_loop "$dev"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-loop-kept",
 "inventory": {"roots": ["$s"], "categories": ["data", "devices"], "hash": true},
 "erase": [{"name": "disk", "devices": ["$dev"], "method": "zero", "verify": "last"},
           {"name": "data", "paths": ["$s/srv/**"], "method": "zero"}],
 "keep": [{"name": "k", "paths": ["$s/keep/**"]}],
 "keep_running_system": true}
JSON
"$DISPOSE" run --policy "$T/p.json" --yes --progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
cmp -s "$s/keep/disk.img" "$T/disk.orig" ||
	{ cat "$T/out"; die "the kept file behind $dev was overwritten (exit $rc)"; }
ok "kept image intact (exit $rc)"
