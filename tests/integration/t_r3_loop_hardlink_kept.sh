#!/bin/bash
# t_r3_loop_hardlink_kept.sh - (review R3 #1) a loop device attached through
# a second name (hard link) of a kept file, or of a retained file, is named by
# an erase rule. The path compare of R1 #8 does not see the other name; the
# plan must keep the device (its backing file has other names) and the kept
# and the retained bytes must stay.
. "$(dirname "$0")/lib.sh"
need_root
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
for how in keep retain; do
	s=$T/$how
	mkdir -p "$s/keep" "$s/other" || die "mkdir"
	python3 -c "open('$s/other/disk.img','wb').write(b'KEPT-IMAGE-BYTES' * 65536)" || die "image"
	ln "$s/other/disk.img" "$s/keep/disk.img" || die "ln"
	cp "$s/keep/disk.img" "$T/disk.orig"
	dev=$(losetup -f --show "$s/other/disk.img") || die "losetup"
	track_loop "$dev"
	if [ $how = keep ]; then
		rule='"keep": [{"name": "k", "paths": ["'$s'/keep/**"]}]'
	else
		rule='"retain": [{"name": "r", "paths": ["'$s'/keep/**"], "retain_until": "1y",
			"series": "x", "authority": "y"}]'
	fi
	cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "r3-loop-hardlink",
 "inventory": {"roots": ["$s"], "categories": ["data", "devices"], "hash": true},
 "erase": [{"name": "disk", "devices": ["$dev"], "method": "zero"}],
 $rule}
JSON
	"$DISPOSE" run --policy "$T/p.json" --yes --progress none --run-dir "$T/run-$how" \
		>"$T/out" 2>&1
	rc=$?
	cmp -s "$s/keep/disk.img" "$T/disk.orig" ||
		{ cat "$T/out"; die "$how: the file behind $dev (hard link) was overwritten (exit $rc)"; }
	grep -q 'other names (hard links)' "$T/run-$how/plan.json" ||
		{ cat "$T/out"; die "$how: plan.json does not say why $dev is kept"; }
	ok "$how: image behind a hard link intact (exit $rc)"
done
