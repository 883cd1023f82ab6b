#!/bin/bash
# t_erase_progress_json.sh - every stdout line of --progress json parses as
# JSON (UTF-8), also for a file name that is not UTF-8 and a run directory
# with a control character; the last line names the run directory.
. "$(dirname "$0")/lib.sh"
name=$T/$'latin1-\xe9-\xff'.bin
run=$T/$'run\tdir'
fill_marker "$name" 8
"$DISPOSE" erase --yes --progress json --method zero --test-delay-ms 20 \
	--run-dir "$run" "$name" >"$T/out" 2>"$T/err" || die "erase: $(cat "$T/err")"
python3 - "$T/out" "$run" <<'PY' || die "progress json: $(cat -v "$T/out" | head -5)"
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
assert len(lines) >= 2, lines
objs = [json.loads(l) for l in lines]
assert any(o.get("status") == "success" for o in objs), objs
assert objs[-1]["run_dir"] == sys.argv[2], objs[-1]
PY
[ ! -e "$name" ] || die "file not erased"
ok "--progress json: valid JSON lines for non-UTF-8 names"
