#!/bin/bash
# t_erase_mismatch.sh - faults injected into the real I/O backend of the test
# build ($DISPOSE_TEST_FAULT, compiled in with -DDSP_TEST_HOOKS) while a real
# loop device is erased: a byte that reads back flipped is a verification
# mismatch (exit 3, the record names its offset, never "success"), for a
# pattern pass and for a random pass (verified by chunk digest); a sector
# that cannot be written is a bad range (exit 1, completed-with-errors); an
# unreadable sector on read-back and a failed flush are errors too; the
# release build ignores the variable.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
: "${DISPOSE_REL:?set DISPOSE_REL to the release binary}"
dev=$(mkloop 16) || die "mkloop"
E=(erase --yes --progress none --verify last)

# record_check DIR PYTHON: assertions on the record's events (evs), per name (ev)
record_check() {
	python3 - "$1/events.jsonl" "$2" <<'PY' || die "$1: record: $2"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
def ev(name):
    return [e for e in evs if e["event"] == name]
assert eval(sys.argv[2]), [e for e in evs if e["event"] in ("target_end", "run_end")]
PY
}

# 1. one byte flipped on read-back, pattern pass: exit 3, offset recorded
off=$((5 * 1048576 + 12345))
fill_marker "$dev" 16
DISPOSE_TEST_FAULT="flip-read@$off" "$DISPOSE" "${E[@]}" --method zero --run-dir "$T/r1" "$dev" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 3 ] || die "flip-read: expected exit 3, got $rc: $(cat "$T/err")"
# the verdict line (stderr since #11) says what the record says
grep -q "^t1 $dev: completed with errors: 1 byte read back differently .*; no NIST category: verification found mismatches;" "$T/err" ||
	die "flip-read: verdict: $(cat "$T/err")"
grep -q "first at offset $off" "$T/err" || die "flip-read: offset not named: $(cat "$T/err")"
check_chain "$T/r1"
record_check "$T/r1" "ev('verify_end')[-1]['mismatches'] == 1 and ev('verify_end')[-1]['mismatch_offsets'] == [$off]"
record_check "$T/r1" "ev('target_end')[-1]['status'] != 'success' and ev('target_end')[-1]['mismatches'] == 1 and ev('target_end')[-1]['first_mismatch'] == $off"
record_check "$T/r1" "ev('target_end')[-1]['nist_category'] == 'none'"
record_check "$T/r1" "ev('run_end')[-1]['status'] != 'success' and ev('run_end')[-1]['exit'] == 3"
# the fault is in the read-back only: the device holds the pass
check_last_pass "$dev" "$T/r1" t1
ok "flip-read on a pattern pass: exit 3, mismatch at $off recorded"

# 2. the same on a random pass, which verifies by chunk digest first
off=$((11 * 1048576 + 4097))
DISPOSE_TEST_FAULT="flip-read@$off+2" "$DISPOSE" "${E[@]}" --method random --run-dir "$T/r2" "$dev" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 3 ] || die "flip-read random: expected exit 3, got $rc: $(cat "$T/err")"
check_chain "$T/r2"
record_check "$T/r2" "ev('verify_end')[-1]['mismatches'] == 2 and ev('verify_end')[-1]['mismatch_ranges'] == [{'offset': $off, 'length': 2}]"
record_check "$T/r2" "ev('target_end')[-1]['status'] != 'success' and ev('target_end')[-1]['first_mismatch'] == $off"
check_last_pass "$dev" "$T/r2" t1
ok "flip-read on a random pass: exit 3, 2 bytes at $off recorded"

# 3. a sector that cannot be written: a bad range, exit 1, the rest erased
off=$((3 * 1048576 + 700))
sec=$((off - off % 512))
fill_marker "$dev" 16
DISPOSE_TEST_FAULT="eio-write@$off" "$DISPOSE" "${E[@]}" --method zero --run-dir "$T/r3" "$dev" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] || die "eio-write: expected exit 1, got $rc: $(cat "$T/err")"
grep -q "^t1 $dev: completed with errors: 512 bytes in bad ranges not erased" "$T/err" ||
	die "eio-write: verdict: $(cat "$T/err")"
grep -q "write error at offset $sec length 512" "$T/err" || die "eio-write: message: $(cat "$T/err")"
check_chain "$T/r3"
record_check "$T/r3" "[(e['phase'], e['offset'], e['length']) for e in ev('io_error')] == [('write', $sec, 512)]"
record_check "$T/r3" "ev('target_end')[-1]['status'] == 'completed-with-errors' and ev('target_end')[-1]['bad_ranges'] == [{'offset': $sec, 'length': 512}]"
record_check "$T/r3" "ev('pass_end')[-1]['bad_bytes'] == 512 and ev('run_end')[-1]['status'] != 'success' and ev('run_end')[-1]['exit'] == 1"
# on the device: the bad sector still holds the old bytes, every other byte is zero
python3 - "$dev" "$sec" "$MARKER" <<'PY' || die "eio-write: device content"
import os, sys
dev, sec, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
fd = os.open(dev, os.O_RDONLY)
data = b""
while True:
    b = os.read(fd, 1 << 20)
    if not b:
        break
    data += b
os.close(fd)
assert len(data) == 16 << 20
assert data[:sec].count(0) == sec and data[sec + 512:].count(0) == len(data) - sec - 512, "not zero outside the bad sector"
assert marker in data[sec:sec + 512], "the bad sector was written after all"
PY
ok "eio-write: bad range $sec+512 recorded, exit 1, the rest zero"

# 4. an unreadable sector on read-back: unverified bytes are an error too
off=$((9 * 1048576))
DISPOSE_TEST_FAULT="eio-read@$off+1024" "$DISPOSE" "${E[@]}" --method zero --run-dir "$T/r4" "$dev" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] || die "eio-read: expected exit 1, got $rc: $(cat "$T/err")"
check_chain "$T/r4"
record_check "$T/r4" "ev('verify_end')[-1]['unreadable'] == [{'offset': $off, 'length': 1024}] and ev('target_end')[-1]['status'] == 'completed-with-errors'"
record_check "$T/r4" "ev('target_end')[-1]['bytes_verified'] == (16 << 20) - 1024"
ok "eio-read: unreadable range recorded, exit 1"

# 5. a flush that fails: the pass is not durable, the target failed
DISPOSE_TEST_FAULT="eio-flush" "$DISPOSE" "${E[@]}" --method zero --run-dir "$T/r5" "$dev" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] || die "eio-flush: expected exit 1, got $rc: $(cat "$T/err")"
check_chain "$T/r5"
record_check "$T/r5" "ev('target_end')[-1]['status'] == 'failed' and any(e['phase'] == 'flush' for e in ev('io_error'))"
record_check "$T/r5" "not ev('pass_end') and not ev('verify_end')"
ok "eio-flush: failed, exit 1"

# 6. a typo in the fault list is an error, not a run without faults
DISPOSE_TEST_FAULT="flip-raed@1" "$DISPOSE" "${E[@]}" --method zero --run-dir "$T/r6" "$dev" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc != 0 ] || die "bad fault list: exit 0"
grep -q "DISPOSE_TEST_FAULT: flip-raed@1: invalid fault list" "$T/err" || die "bad fault list: $(cat "$T/err")"
ok "bad fault list refused"

# 7. the release build has no hooks: the variable changes nothing
fill_marker "$dev" 16
DISPOSE_TEST_FAULT="flip-read@$off,eio-write@0,eio-flush" "$DISPOSE_REL" "${E[@]}" --method zero \
	--run-dir "$T/r7" "$dev" >"$T/out" 2>"$T/err" || die "release build: $(cat "$T/err")"
record_check "$T/r7" "ev('target_end')[-1]['status'] == 'success' and not ev('io_error')"
check_last_pass "$dev" "$T/r7" t1
[ "$(count_marker "$dev")" = 0 ] || die "release build: marker left"
grep -q DISPOSE_TEST_FAULT "$DISPOSE" || die "the test build has no fault hooks"
! grep -q DISPOSE_TEST_FAULT "$DISPOSE_REL" || die "the release build contains the fault hooks"
ok "release build ignores DISPOSE_TEST_FAULT"
