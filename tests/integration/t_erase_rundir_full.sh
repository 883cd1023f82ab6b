#!/bin/bash
# t_erase_rundir_full.sh - the run directory fills up in the middle of a tree
# erase (a 64 KiB tmpfs as --run-dir, a tree of 300 files): one error line
# names the run directory and "No space left on device", the run stops with
# exit 1, and no file was touched whose erase the record does not show.
. "$(dirname "$0")/lib.sh"
need_root
mkdir "$T/rd"
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$T/rd" || skip "cannot mount tmpfs"
track_mount "$T/rd"
mkdir "$T/tree"
for i in $(seq 300); do
	printf '%s %04d\n' "$MARKER" "$i" >"$T/tree/f$i"
done
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/rd/run" "$T/tree" \
	>"$T/out" 2>"$T/err"
rc=$?
cat "$T/err"
[ $rc = 1 ] || die "expected exit 1, got $rc"
# and the verdict line (#11), which claims nothing the record does not hold
[ "$(grep -c "^dispose: " "$T/err")" = 1 ] || die "expected exactly one error line, got $(grep -c "^dispose: " "$T/err")"
grep -q "^t1 $T/tree: failed: no end in the run record (" "$T/err" || die "verdict: $(cat "$T/err")"
[ "$(wc -l <"$T/err")" = 2 ] || die "expected the error and the verdict, got $(wc -l <"$T/err") lines"
grep -qx "dispose: $T/rd/run: cannot write the run record: No space left on device" "$T/err" ||
	die "the line does not name the run directory and the cause"
ok "one line names the run directory and the cause; exit 1"

# every file touched (overwritten, renamed or removed) has its erase in the
# record; the rest are intact, and the run stopped well before the end
python3 - "$T/rd/run/events.jsonl" "$T/tree" "$MARKER" <<'PY' || die "a file was erased that the record does not show"
import json, os, sys
rec, tree, marker = sys.argv[1], sys.argv[2], sys.argv[3]
raw = open(rec, "rb").read()
lines = raw.split(b"\n")
if not raw.endswith(b"\n"):
    lines = lines[:-1]          # a line torn by the full filesystem
evs = [json.loads(l) for l in lines if l]
started = {e["path"] for e in evs if e["event"] == "target" and e.get("parent") == "t1"}
started |= {e["path"] for e in evs if e["event"] in ("link_removed",)}
intact = 0
for i in range(1, 301):
    p = os.path.join(tree, "f%d" % i)
    want = ("%s %04d\n" % (marker, i)).encode()
    try:
        ok = open(p, "rb").read() == want
    except FileNotFoundError:
        ok = False
    if ok:
        intact += 1
    else:
        assert p in started, ("touched but not recorded", p)
assert 0 < len(started) < 300, len(started)
assert intact > 200, intact
# anything left in the tree under another name was recorded as renamed
names = set(os.listdir(tree))
renamed = {e["to"] for e in evs if e["event"] == "file_renamed"}
for n in names:
    assert n.startswith("f") and n[1:].isdigit() or n in renamed, n
print("recorded", len(started), "intact", intact)
PY
ok "nothing erased after the record stopped taking lines"
