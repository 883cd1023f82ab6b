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

# the exact bytes of a name that is not UTF-8, as the record has them
# (readable text plus <key>_hex), also past 255 bytes and for the run directory
long=$T/$(printf 'd%.0s' $(seq 200))
mkdir "$long" || die "mkdir"
name=$long/$'latin1-\xe9-\xff-'$(printf 'n%.0s' $(seq 100)).bin
run=$T/$'run-\xfe'
fill_marker "$name" 8
"$DISPOSE" erase --yes --progress json --method zero --test-delay-ms 20 \
	--run-dir "$run" "$name" >"$T/out" 2>"$T/err" || die "erase: $(cat "$T/err")"
python3 - "$T/out" "$run" "$name" <<'PY' || die "progress json bytes: $(cat -v "$T/out" | head -5)"
import json, os, sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")
objs = [json.loads(l) for l in raw.splitlines()]
run, name = os.fsencode(sys.argv[2]), os.fsencode(sys.argv[3])
tl = [o for o in objs if "target" in o]
assert len(tl) >= 2 and all(bytes.fromhex(o["target_hex"]) == name for o in tl), tl
assert any(o.get("status") == "success" for o in tl), tl
assert bytes.fromhex(objs[-1]["run_dir_hex"]) == run, objs[-1]
PY
[ ! -e "$name" ] || die "long file not erased"
ok "--progress json: valid JSON lines for non-UTF-8 names, with their exact bytes"
