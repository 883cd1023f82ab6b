#!/bin/bash
# t_erase_multi.sh - several devices at once: both erased, one run record with
# the events of both, JSON progress on stdout; a target that cannot be opened
# (read-only loop device) fails alone and the other is still erased (exit 1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
a=$(mkloop 32) || die "mkloop"
b=$(mkloop 16) || die "mkloop"
fill_marker "$a" 32
fill_marker "$b" 16
"$DISPOSE" erase --yes --progress json --method zero --verify last \
	--run-dir "$T/r1" "$a" "$b" >"$T/out" 2>"$T/err" ||
	{ cat "$T/err"; die "two devices: erase failed"; }
[ "$(count_marker "$a")" = 0 ] || die "$a: marker left"
[ "$(count_marker "$b")" = 0 ] || die "$b: marker left"
check_last_pass "$a" "$T/r1" t1
check_last_pass "$b" "$T/r1" t2
check_chain "$T/r1"
check_coverage "$T/r1" t1 1
check_coverage "$T/r1" t2 1
python3 - "$T/out" "$T/r1/events.jsonl" "$a" "$b" <<'PY' || die "JSON progress or record"
import json, sys
out, rec, a, b = sys.argv[1:5]
seen, verdicts = {}, {}
for line in open(out):
    o = json.loads(line)
    if "run_dir" in o:
        continue
    if o.get("event") == "verdict":	# one per target after the run (#11)
        verdicts[o["target"]] = o
        continue
    for k in ("target", "phase", "pass", "npasses", "done", "total", "rate", "eta"):
        assert k in o, (k, o)
    seen.setdefault(o["target"], []).append(o)
assert set(seen) == {a, b}, seen.keys()
for t, evs in seen.items():
    assert evs[-1]["phase"] == "end" and evs[-1]["status"] == "success", evs[-1]
    assert verdicts[t]["status"] == "success" and verdicts[t]["nist_category"] == "clear", verdicts[t]
evs = [json.loads(l) for l in open(rec)]
assert evs[0]["event"] == "run_start", evs[0]
assert [t["path"] for t in evs[0]["targets"]] == [a, b]
assert evs[0]["jobs"] == 2
assert evs[-1]["event"] == "run_end" and evs[-1]["status"] == "success", evs[-1]
ids = {e.get("target") for e in evs if e["event"] == "target_end"}
assert ids == {"t1", "t2"}, ids
PY
ok "two devices at once, one record, JSON progress"

# one target cannot be opened for writing: it fails, the other is erased
c=$(mkloop 16) || die "mkloop"
fill_marker "$c" 16
fill_marker "$b" 16
img=$(losetup -n -O BACK-FILE "$b")
ro=$(losetup -f --show -r "$img") || die "losetup -r"
track_loop "$ro"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r2" "$ro" "$c" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] || { cat "$T/err"; die "read-only target: expected exit 1, got $rc"; }
[ "$(count_marker "$c")" = 0 ] || die "$c: not erased although only the other target failed"
[ "$(count_marker "$ro")" -gt 0 ] || die "read-only device changed"
grep -q "$ro" "$T/err" || die "failure does not name $ro"
check_chain "$T/r2"
events "$T/r2" target_end | grep '"t1"' | grep -q '"failed"' || die "t1 not recorded as failed"
events "$T/r2" target_end | grep '"t2"' | grep -q '"success"' || die "t2 not recorded as success"
events "$T/r2" run_end | grep -q '"completed-with-errors"' || die "run_end status"
ok "read-only target fails alone (exit 1), other erased"

# --jobs 1: one after the other, same outcome
fill_marker "$a" 32
fill_marker "$c" 16
"$DISPOSE" erase --yes --progress none --jobs 1 --method zero --run-dir "$T/r3" "$a" "$c" >/dev/null 2>&1 ||
	die "--jobs 1 failed"
[ "$(count_marker "$a")" = 0 ] && [ "$(count_marker "$c")" = 0 ] || die "--jobs 1: marker left"
ok "--jobs 1"
