#!/bin/sh
# A loop device whose backing file lies inside a later erase target (R1 #8):
# the plan keeps it (path rule first) or refuses (device rule first); the image
# is never written through the device.
. "$(dirname "$0")/lib.sh"
need_root
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv" || die "mkdir"
python3 -c "open('$s/srv/disk.img','wb').write(b'IMAGEMARK' * 65536)" || die "image"
dev=$(losetup -f --show "$s/srv/disk.img") || die "losetup"
track_loop "$dev"
for order in dev-first path-first; do
	if [ $order = dev-first ]; then
		rules="{\"name\": \"disk\", \"devices\": [\"$dev\"], \"method\": \"zero\"},
		       {\"name\": \"data\", \"paths\": [\"$s/srv/**\"], \"method\": \"zero\"}"
	else
		rules="{\"name\": \"data\", \"paths\": [\"$s/srv/**\"], \"method\": \"zero\"},
		       {\"name\": \"disk\", \"devices\": [\"$dev\"], \"method\": \"zero\"}"
	fi
	cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "fx1-loop-target",
 "inventory": {"roots": ["$s"], "categories": ["data", "devices"], "hash": false},
 "erase": [$rules], "keep_running_system": true}
JSON
	"$DISPOSE" plan --policy "$T/p.json" -J -o "$T/plan-$order.json" >"$T/out" 2>&1
	rc=$?
	if [ $order = dev-first ]; then
		[ $rc = 4 ] || { cat "$T/out"; die "$order: exit $rc, not a refusal"; }
		grep -q "backing file" "$T/out" || { cat "$T/out"; die "$order: no reason"; }
	else
		[ $rc = 0 ] || { cat "$T/out"; die "$order: exit $rc"; }
		python3 - "$T/plan-$order.json" "$dev" <<'PY' || die "$order: $dev is a target"
import json, sys
p = json.load(open(sys.argv[1]))
assert not [t for t in p["targets"] if t["path"] == sys.argv[2]], "target"
it = [i for i in p["items"] if i["path"] == sys.argv[2]]
assert it and it[0]["decision"] == "keep" and "backing file" in it[0]["reason"], it
PY
	fi
	ok "$order: exit $rc, $dev not planned"
done
