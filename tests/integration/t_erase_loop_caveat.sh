#!/bin/bash
# t_erase_loop_caveat.sh - a loop device's verdict and target_end say that
# the overwrite reached a backing file whose place on the underlying medium
# was not addressed (a loop device over a file on a copy-on-write
# filesystem keeps the old data there); a disk-like claim alone was less
# than the truth (#11 review).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
dev=$(mkloop 8)
fill_marker "$dev" 8
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r" "$dev" >"$T/out" 2>"$T/err" ||
	die "erase: exit $?: $(cat "$T/err")"
grep -q "^t1 $dev: success (.*; caveats: .*a loop device: the overwrite reached its backing file" "$T/err" ||
	die "verdict: $(cat "$T/err")"
python3 - "$T/r/events.jsonl" <<'PY' || die "record"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
end = [e for e in ev if e["event"] == "target_end"][-1]
assert any(c.startswith("a loop device: the overwrite reached its backing file") for c in end["caveats"]), end
PY
ok "a loop device: the backing file caveat in the verdict and the record"
