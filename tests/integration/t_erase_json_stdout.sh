#!/bin/bash
# t_erase_json_stdout.sh - with --progress json, erase's stdout is JSON
# objects only, one a line, also when a resumed run has nothing left to do
# (was a plain-text line on stdout) and in a dry run (the plan goes to
# stderr; nothing is written, no record: stdout stays empty) (#11 review).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root

# all_json FILE: every line one JSON object; prints the last
all_json() {
	python3 - "$1" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert lines, "empty stdout"
objs = [json.loads(l) for l in lines]
assert all(isinstance(o, dict) for o in objs), lines
print(json.dumps(objs[-1]))
PY
}

fill_marker "$T/a.bin" 1
"$DISPOSE" erase --yes --method zero --progress json --run-dir "$T/r" "$T/a.bin" \
	>"$T/out1" 2>"$T/err1" || die "erase: exit $?: $(cat "$T/err1")"
all_json "$T/out1" >/dev/null || die "erase: stdout not JSON lines: $(cat "$T/out1")"

"$DISPOSE" erase --yes --resume --progress json --run-dir "$T/r" >"$T/out2" 2>"$T/err2" ||
	die "resume: exit $?: $(cat "$T/err2")"
last=$(all_json "$T/out2") || die "resume: stdout not JSON lines: $(cat "$T/out2")"
[ "$last" = "{\"run_dir\": \"$T/r\"}" ] || die "resume: last object: $last"
grep -qx "dispose: $T/r: every target of this run is finished; nothing to resume" "$T/err2" ||
	die "resume: stderr: $(cat "$T/err2")"
ok "--progress json: a resume with nothing to do is one JSON object on stdout"

# without json the words stay on stdout, as before
"$DISPOSE" erase --yes --resume --progress none --run-dir "$T/r" >"$T/out3" 2>"$T/err3" ||
	die "resume (text): exit $?"
grep -qx "$T/r: every target of this run is finished; nothing to resume" "$T/out3" ||
	die "resume (text): $(cat "$T/out3")"
ok "without json: the sentence on stdout as before"

# a dry run with --progress json: stdout holds no text; the plan is on stderr
fill_marker "$T/d.bin" 1
"$DISPOSE" erase --yes --dry-run --method zero --progress json "$T/d.bin" >"$T/out4" 2>"$T/err4" ||
	die "dry run: exit $?: $(cat "$T/err4")"
[ ! -s "$T/out4" ] || die "dry run: text on stdout: $(cat "$T/out4")"
grep -q "^dry run: nothing will be written" "$T/err4" || die "dry run: no plan: $(cat "$T/err4")"
grep -q "would write" "$T/err4" || die "dry run: no plan: $(cat "$T/err4")"
[ "$(count_marker "$T/d.bin")" -gt 0 ] || die "dry run wrote"
"$DISPOSE" erase --yes --dry-run --method zero "$T/d.bin" >"$T/out5" 2>"$T/err5" ||
	die "dry run (text): exit $?"
grep -q "^dry run: nothing will be written" "$T/out5" || die "dry run (text): not on stdout"
ok "a dry run with --progress json: the plan on stderr, stdout empty; without json on stdout"
