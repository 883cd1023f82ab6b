#!/bin/bash
# t_erase_targets.sh - targets that overlap each other or the run record:
# a tree holding a run directory that does not exist yet is refused (exit 4,
# the tree intact); a file or tree inside a tree also named is exit 2.
. "$(dirname "$0")/lib.sh"

mk() {
	rm -rf "$T/tree"
	mkdir -p "$T/tree/sub"
	fill_marker "$T/tree/a.bin" 1
	fill_marker "$T/tree/sub/b.bin" 1
}

# the run directory would be made inside the tree, and erased with it
mk
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/tree/run" "$T/tree" 2>"$T/err"
[ $? = 4 ] || die "run dir inside the tree: expected exit 4 ($(cat "$T/err"))"
grep -q "holds the run directory" "$T/err" || die "message: $(cat "$T/err")"
[ "$(count_marker "$T/tree/a.bin")" -gt 0 ] || die "tree written after a refusal"
[ ! -e "$T/tree/run" ] || die "run dir made for a refused target"
# the same, named relative and several levels deep
(cd "$T/tree/sub" && "$DISPOSE" erase --yes --method zero --progress none \
	--run-dir new/deeper/run .. 2>/dev/null)
[ $? = 4 ] || die "relative run dir inside the tree: expected exit 4"
[ "$(count_marker "$T/tree/sub/b.bin")" -gt 0 ] || die "tree written after a refusal"
ok "a tree that would hold the new run directory is refused"

# nested targets: erased twice at once otherwise
mk
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/r1" \
	"$T/tree" "$T/tree/sub/b.bin" 2>"$T/err"
[ $? = 2 ] || die "file inside a named tree: expected exit 2 ($(cat "$T/err"))"
grep -q "is inside" "$T/err" || die "message: $(cat "$T/err")"
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/r1" \
	"$T/tree/sub" "$T/tree/" 2>/dev/null
[ $? = 2 ] || die "tree inside a named tree: expected exit 2"
[ "$(count_marker "$T/tree/a.bin")" -gt 0 ] || die "written after a usage error"
[ ! -e "$T/r1" ] || die "run dir made after a usage error"
# siblings with a common name prefix are not nested
mkdir -p "$T/tree2"
fill_marker "$T/tree2/c.bin" 1
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/r2" \
	"$T/tree" "$T/tree2" >/dev/null 2>"$T/err" || die "siblings: $(cat "$T/err")"
[ ! -e "$T/tree" ] && [ ! -e "$T/tree2" ] || die "siblings not erased"
ok "nested targets: exit 2; siblings erased"

# relative targets resumed from another directory: the run's directory counts
mkdir -p "$T/A" "$T/B"
fill_marker "$T/A/one" 32; fill_marker "$T/A/two" 32
fill_marker "$T/B/one" 32; fill_marker "$T/B/two" 32
(cd "$T/A" && exec "$DISPOSE" erase --yes --progress none --method zero --verify none \
	--jobs 1 --checkpoint-interval 1M --test-delay-ms 100 --run-dir "$T/r3" one two \
	>"$T/out" 2>"$T/err") &
pid=$!
for _ in $(seq 300); do
	grep -q '"event":"checkpoint"' "$T/r3/events.jsonl" 2>/dev/null && break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
[ $? = 130 ] || die "SIGINT: expected exit 130 ($(cat "$T/err"))"
(cd "$T/B" && "$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r3" \
	>"$T/out" 2>"$T/err")
rc=$?
[ "$(count_marker "$T/B/one")" -gt 0 ] && [ "$(count_marker "$T/B/two")" -gt 0 ] ||
	die "resume from another directory erased files there"
[ $rc = 0 ] || die "resume from another directory: exit $rc ($(cat "$T/err"))"
[ ! -e "$T/A/one" ] && [ ! -e "$T/A/two" ] || die "the run's own files were not erased"
ok "relative targets resume where the run started"

# killed after the overwrite, between the renames and the unlink: the file
# is only under its random name now, and --resume must still finish it.
# Simulated with the record cut after the first rename (a valid chain) and
# a hard link keeping the very inode under that name.
mkdir -p "$T/C"
fill_marker "$T/C/doc" 1
ln "$T/C/doc" "$T/keep"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r4" --erase-shared-inodes \
	"$T/C/doc" >/dev/null 2>"$T/err" || die "file erase: $(cat "$T/err")"
n=$(grep -n '"event":"file_renamed"' "$T/r4/events.jsonl" | head -1 | cut -d: -f1)
[ -n "$n" ] || die "no file_renamed event"
to=$(sed -n "${n}p" "$T/r4/events.jsonl" | python3 -c 'import json,sys; print(json.load(sys.stdin)["to"])')
head -n "$n" "$T/r4/events.jsonl" >"$T/cut" && mv "$T/cut" "$T/r4/events.jsonl"
ln "$T/keep" "$T/C/$to"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r4" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || die "resume of a renamed file: exit $rc ($(cat "$T/err"))"
[ -z "$(ls -A "$T/C")" ] || die "renamed file left behind: $(ls "$T/C")"
grep -q '"event":"file_removed"' "$T/r4/events.jsonl" || die "no file_removed on resume"
ok "resume finds a file under its last recorded name"

# --resume: a run dir that does not exist, and a record edited after the fact
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/none" 2>"$T/err"
[ $? = 2 ] || die "resume of a missing run dir: expected exit 2"
grep -q "^dispose: $T/none: " "$T/err" || die "message: $(cat "$T/err")"
fill_marker "$T/big" 32
"$DISPOSE" erase --yes --progress none --method zero --verify none \
	--checkpoint-interval 1M --test-delay-ms 100 --run-dir "$T/r5" "$T/big" \
	>"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 300); do
	grep -q '"event":"checkpoint"' "$T/r5/events.jsonl" 2>/dev/null && break
	sleep 0.05
done
kill -TERM "$pid"
wait "$pid"
[ $? = 143 ] || die "SIGTERM: expected exit 143 ($(cat "$T/err"))"
grep -q "resume with: dispose erase --resume --run-dir $T/r5" "$T/err" || die "no resume hint"
# move the checkpoint forward, as if more had been written
python3 - "$T/r5/events.jsonl" <<'PY' || die "cannot tamper"
import re, sys
p = sys.argv[1]
lines = open(p).read().splitlines(True)
i = next(k for k, l in enumerate(lines) if '"event":"checkpoint"' in l)
lines[i] = re.sub(r'"offset":(\d+)', r'"offset":9\1', lines[i], count=1)
open(p, "w").write("".join(lines))
PY
sum=$(sha256sum <"$T/big")
lines=$(wc -l <"$T/r5/events.jsonl")
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r5" 2>"$T/err"
[ $? = 2 ] || die "tampered record: expected exit 2 ($(cat "$T/err"))"
grep -q "hash chain" "$T/err" || die "message: $(cat "$T/err")"
[ "$(sha256sum <"$T/big")" = "$sum" ] || die "written on a tampered record"
[ "$(wc -l <"$T/r5/events.jsonl")" = "$lines" ] || die "tampered record appended to"
ok "resume: missing run dir and tampered record refused (exit 2)"

# SIGINT in a tree of empty files (no write loop to notice it): stops
# between files with exit 130, and --resume finishes the tree
mkdir -p "$T/empties"
for i in $(seq 200); do : >"$T/empties/f$i"; done
"$DISPOSE" erase --yes --progress none --method zero --verify none --test-delay-ms 20 \
	--run-dir "$T/r6" "$T/empties" >/dev/null 2>"$T/err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
[ $rc = 130 ] || die "SIGINT in a tree of empty files: expected exit 130, got $rc"
[ -d "$T/empties" ] || die "tree finished although interrupted"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r6" >/dev/null 2>"$T/err" ||
	die "resume of the tree: $(cat "$T/err")"
[ ! -e "$T/empties" ] || die "tree left after resume"
ok "SIGINT between files of a tree: exit 130, resumable"

# --resume while the run still goes on (another terminal, tmux): refused,
# the running erase finishes and its record's chain still verifies
fill_marker "$T/busy" 32
"$DISPOSE" erase --yes --progress none --method zero --verify none \
	--checkpoint-interval 1M --test-delay-ms 100 --run-dir "$T/r7" "$T/busy" \
	>/dev/null 2>"$T/err1" &
pid=$!
for _ in $(seq 300); do
	grep -q '"event":"checkpoint"' "$T/r7/events.jsonl" 2>/dev/null && break
	sleep 0.05
done
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r7" >/dev/null 2>"$T/err"
rc=$?
wait "$pid" || die "the running erase failed: $(cat "$T/err1")"
[ $rc = 4 ] || die "resume of a running run: expected exit 4, got $rc ($(cat "$T/err"))"
grep -q "another dispose is using" "$T/err" || die "message: $(cat "$T/err")"
python3 - "$T/r7/events.jsonl" <<'PY' || die "record of the running erase damaged"
import hashlib, json, sys
prev = "0" * 64
for n, raw in enumerate(open(sys.argv[1], "rb"), 1):
    ev = json.loads(raw)
    assert ev["seq"] == n and ev["prev"] == prev, n
    prev = hashlib.sha256(raw.rstrip(b"\n")).hexdigest()
assert ev["event"] == "run_end", ev["event"]
PY
ok "resume of a run still in progress is refused"

# a relative --run-dir is printed absolute (the resume hint must work anywhere)
fill_marker "$T/A/three" 1
(cd "$T/A" && "$DISPOSE" erase --yes --progress none --method zero --run-dir relrun three \
	>"$T/out" 2>"$T/err") || die "relative run dir: $(cat "$T/err")"
grep -qx "run record: $(realpath "$T/A/relrun")" "$T/out" || die "run dir not absolute: $(cat "$T/out")"
ok "relative --run-dir printed absolute"

# a record with a valid chain but odd contents (the chain is no MAC: anyone
# can write one): --resume must reject it cleanly, never crash
craft() {	# craft DIR JSON-EVENT...: a chain-valid events.jsonl
	python3 - "$@" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
prev = "0" * 64
with open(os.path.join(d, "events.jsonl"), "w") as f:
    for n, ev in enumerate(sys.argv[2:], 1):
        o = {"seq": n, "time": "2026-11-28T00:00:00.000Z"}
        o.update(json.loads(ev))
        o["prev"] = prev
        line = json.dumps(o, separators=(",", ":"))
        f.write(line + "\n")
        prev = hashlib.sha256(line.encode()).hexdigest()
PY
}
craft "$T/c1" '{"event":"run_start","command":"erase","targets":{"x":1},"method_arg":"zero","verify":"none"}'
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/c1" >/dev/null 2>"$T/err"
[ $? = 2 ] || die "targets not an array: expected exit 2 ($(cat "$T/err"))"
fill_marker "$T/c2f" 1
craft "$T/c2" '{"event":"run_start","command":"erase","targets":[{"id":"t1","path":"'"$T/c2f"'","kind":"file"}],"method_arg":"zero","verify":"none"}' \
	'{"event":null,"target":"t1"}' '{"event":"target_end","target":null,"status":null}' \
	'{"event":"file_renamed","target":"t1","to":null}' '{"event":"target","target":7}'
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/c2" >/dev/null 2>"$T/err"
rc=$?
[ $rc -le 4 ] || die "null members in the record: exit $rc ($(cat "$T/err"))"
ok "crafted records: clean errors, no crash"
