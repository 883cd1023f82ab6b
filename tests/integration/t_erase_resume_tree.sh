#!/bin/bash
# t_erase_resume_tree.sh - a tree erase interrupted after one of its files
# was erased with a verification mismatch (test build fault flip-read), then
# resumed: the file is gone and not met again, so the resumed tree's end
# must carry the earlier session's mismatch; its verdict, target_end and exit
# code (3) say so, never a plain success (#11 review: exit 0, "success").
# The interrupted session's verdict says the mismatch found so far.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
mkdir "$T/tree"
fill_marker "$T/tree/a" 8
fill_marker "$T/tree/b" 8
DISPOSE_TEST_FAULT=flip-read@4096+10 "$DISPOSE" erase --yes --method zero --progress none \
	--test-delay-ms 300 --run-dir "$T/r" "$T/tree" >"$T/out1" 2>"$T/err1" &
pid=$!
for _ in $(seq 200); do
	n=$(grep -c '"event":"target_end"' "$T/r/events.jsonl" 2>/dev/null)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.1
done
sleep 0.5
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || die "first session: expected exit 130 (interrupted), got $rc: $(cat "$T/err1")"
# the interrupted tree's verdict says what its end already holds
grep -q "^t1 $T/tree: interrupted (resumable with --resume); so far: 10 bytes read back differently (" \
	"$T/err1" || die "first session: verdict: $(cat "$T/err1")"
python3 - "$T/r/events.jsonl" <<'PY' || die "first session: no file ended with a mismatch"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert any(e["event"] == "target_end" and e["target"].startswith("t1.") and
           e.get("mismatches", 0) > 0 for e in ev), ev
PY

"$DISPOSE" erase --yes --resume --progress none --run-dir "$T/r" >"$T/out2" 2>"$T/err2"
rc=$?
[ $rc = 3 ] || die "resume: expected exit 3 (mismatch), got $rc: $(cat "$T/err2")"
grep -q "^t1 $T/tree: completed with errors: 10 bytes read back differently (" "$T/err2" ||
	die "resume: verdict: $(cat "$T/err2")"
check_chain "$T/r"
python3 - "$T/r/events.jsonl" <<'PY' || die "resume: the tree's end hides the mismatch"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
end = [e for e in ev if e["event"] == "target_end" and e["target"] == "t1"][-1]
assert end["status"] == "completed-with-errors" and end["mismatches"] == 10, end
assert end["files"] == 2, end
assert [e["exit"] for e in ev if e["event"] == "run_end"][-1] == 3, ev[-1]
PY
[ ! -e "$T/tree" ] || die "the tree is still there: $(ls -A "$T/tree")"
ok "a resumed tree keeps an earlier session's mismatch: verdict, record and exit 3"
