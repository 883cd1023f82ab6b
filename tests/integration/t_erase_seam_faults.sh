#!/bin/bash
# t_erase_seam_faults.sh - faults injected through the I/O seam of the test
# build ($DISPOSE_TEST_FAULT) at the calls that move no data: the truncate,
# rename and unlink of an erased file (alone and in a tree) and the ioctl
# that sizes a block device. Each is recorded (the target's last target_end
# says which step failed and is not "success"), exits 1 and names the file;
# a resume after a failed truncate or unlink finishes the file without a
# second overwrite. The release build ignores the variable.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
: "${DISPOSE_REL:?set DISPOSE_REL to the release binary}"
E=(erase --yes --progress none --method zero --verify last)
BLKGETSIZE64=0x80081272

# record_check DIR PYTHON: assertions on the record's events (evs), per name (ev)
record_check() {
	python3 - "$1/events.jsonl" "$2" <<'PY' || die "$1: record: $2"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
def ev(name, target="t1"):
    return [e for e in evs if e["event"] == name and e.get("target") == target]
assert eval(sys.argv[2]), [e for e in evs if e["event"] in ("target_end", "run_end", "file_removed")]
PY
}

# run_fault NAME SPEC ARGS...: run the test build with a fault list; rc in $rc
run_fault() {
	local name=$1 spec=$2
	shift 2
	DISPOSE_TEST_FAULT="$spec" "$DISPOSE" "${E[@]}" --run-dir "$T/$name" "$@" \
		>"$T/$name.out" 2>"$T/$name.err"
	rc=$?
}

mkdir "$T/d" || die "mkdir"

# 1. truncate fails: exit 1, named, recorded; the file stays (overwritten); resume ends it
f=$T/d/truncate-me.bin
fill_marker "$f" 1
run_fault r1 eio-truncate@0 "$f"
[ $rc = 1 ] || die "eio-truncate: expected exit 1, got $rc: $(cat "$T/r1.err")"
grep -qx "dispose: $f: truncate: Input/output error" "$T/r1.err" ||
	die "eio-truncate: message: $(cat "$T/r1.err")"
# the verdict line (stderr since #11)
grep -q "^t1 $f: failed: truncate: Input/output error (written 1.0 MiB, " "$T/r1.err" ||
	die "eio-truncate: verdict: $(cat "$T/r1.err")"
[ "$(stat -c %s "$f")" = 1048576 ] || die "eio-truncate: file size changed"
[ "$(count_marker "$f")" = 0 ] || die "eio-truncate: the file was not overwritten"
check_chain "$T/r1"
record_check "$T/r1" "ev('target_end')[-1]['status'] == 'failed' and ev('target_end')[-1]['failed_step'] == 'truncate' and ev('target_end')[-1]['error'] == 'truncate: Input/output error'"
record_check "$T/r1" "ev('file_removed') == [] and ev('file_renamed') == []"
record_check "$T/r1" "[e['exit'] for e in ev('run_end', None)] == [1]"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r1" >"$T/r1b.out" 2>"$T/r1b.err" ||
	die "eio-truncate: resume failed: $(cat "$T/r1b.err")"
[ ! -e "$f" ] && [ -z "$(ls -A "$T/d")" ] || die "eio-truncate: resume left $(ls -A "$T/d")"
check_chain "$T/r1"
record_check "$T/r1" "len(ev('pass_start')) == 1 and ev('target_end')[-1]['status'] == 'success' and ev('target_end')[-1]['removal_resumed'] and len(ev('file_removed')) == 1"
ok "truncate fault: exit 1, recorded as failed at truncate; resume removes it without a second pass"

# 2. the second rename fails: the unlink is still done; completed-with-errors, exit 1
f=$T/d/rename-me.bin
fill_marker "$f" 1
run_fault r2 eio-rename@1 "$f"
[ $rc = 1 ] || die "eio-rename: expected exit 1, got $rc: $(cat "$T/r2.err")"
grep -qx "dispose: $f: rename: Input/output error" "$T/r2.err" ||
	die "eio-rename: message: $(cat "$T/r2.err")"
grep -q "^t1 $f: completed with errors: rename: Input/output error (" "$T/r2.err" || die "eio-rename: verdict: $(cat "$T/r2.err")"
[ -z "$(ls -A "$T/d")" ] || die "eio-rename: left $(ls -A "$T/d")"
check_chain "$T/r2"
record_check "$T/r2" "len(ev('file_renamed')) == 1 and ev('file_removed')[0]['rename_error'] == 'Input/output error'"
record_check "$T/r2" "ev('target_end')[-1]['status'] == 'completed-with-errors' and ev('target_end')[-1]['failed_step'] == 'rename'"
record_check "$T/r2" "[e['exit'] for e in ev('run_end', None)] == [1]"
ok "rename fault: exit 1, completed-with-errors, recorded; the name is still removed"

# 3. unlink fails: the file stays, cut to 0 under its last recorded name; resume removes it
f=$T/d/unlink-me.bin
fill_marker "$f" 1
run_fault r3 eio-unlink "$f"
[ $rc = 1 ] || die "eio-unlink: expected exit 1, got $rc: $(cat "$T/r3.err")"
grep -q "^dispose: $f: unlink .*: Input/output error$" "$T/r3.err" ||
	die "eio-unlink: message: $(cat "$T/r3.err")"
last=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "file_renamed" in l][-1]["to"])' "$T/r3/events.jsonl")
[ "$(ls -A "$T/d")" = "$last" ] && [ "$(stat -c %s "$T/d/$last")" = 0 ] ||
	die "eio-unlink: expected $last, 0 bytes: $(ls -la "$T/d")"
check_chain "$T/r3"
record_check "$T/r3" "ev('target_end')[-1]['status'] == 'failed' and ev('target_end')[-1]['failed_step'] == 'unlink' and ev('file_removed') == []"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r3" >"$T/r3b.out" 2>"$T/r3b.err" ||
	die "eio-unlink: resume failed: $(cat "$T/r3b.err")"
[ -z "$(ls -A "$T/d")" ] || die "eio-unlink: resume left $(ls -A "$T/d")"
record_check "$T/r3" "len(ev('pass_start')) == 1 and ev('target_end')[-1]['status'] == 'success' and len(ev('file_removed')) == 1"
ok "unlink fault: exit 1, recorded as failed at unlink; resume removes it"

# 4. in a tree: the file's failure and the tree's target_end say so
mkdir -p "$T/tree/sub" || die "mkdir"
fill_marker "$T/tree/sub/a.bin" 1
run_fault r4 eio-unlink "$T/tree"
[ $rc = 1 ] || die "tree eio-unlink: expected exit 1, got $rc: $(cat "$T/r4.err")"
grep -q "^dispose: $T/tree/sub/a.bin: unlink .*: Input/output error$" "$T/r4.err" ||
	die "tree eio-unlink: message: $(cat "$T/r4.err")"
check_chain "$T/r4"
record_check "$T/r4" "ev('file_failed')[0]['path'] == '$T/tree/sub/a.bin' and ev('target_end')[-1]['status'] != 'success'"
record_check "$T/r4" "[e['failed_step'] for e in evs if e['event'] == 'target_end' and 'failed_step' in e] == ['unlink']"
[ "$(count_marker "$T/tree/sub/$(ls "$T/tree/sub")")" = 0 ] || die "tree eio-unlink: not overwritten"
ok "unlink fault in a tree: exit 1, file_failed, tree not success"

# 5. the ioctl that sizes a block device fails: the target fails before any write
dev=$(mkloop 8) || die "mkloop"
fill_marker "$dev" 8
sync
before=$(count_marker "$dev")
for spec in "eio-ioctl@$BLKGETSIZE64" eio-ioctl; do
	run_fault r5 "$spec" "$dev"
	[ $rc = 1 ] || die "$spec: expected exit 1, got $rc: $(cat "$T/r5.err")"
	grep -qx "dispose: $dev: cannot open for writing: Input/output error" "$T/r5.err" ||
		die "$spec: message: $(cat "$T/r5.err")"
	grep -q "^t1 $dev: failed: Input/output error (" "$T/r5.err" || die "$spec: verdict: $(cat "$T/r5.err")"
	check_chain "$T/r5"
	record_check "$T/r5" "ev('target_end')[-1]['status'] == 'failed' and ev('target_end')[-1]['errno'] == 5 and ev('pass_start') == []"
	[ "$(count_marker "$dev")" = "$before" ] || die "$spec: the device was written"
	rm -rf "$T/r5"
done
ok "ioctl fault at the device's size: exit 1, target failed, nothing written"

# 6. the release build has no hooks: the same list changes nothing
f=$T/d/release.bin
fill_marker "$f" 1
DISPOSE_TEST_FAULT="eio-truncate,eio-unlink,eio-ioctl" "$DISPOSE_REL" "${E[@]}" --run-dir "$T/r6" "$f" \
	>"$T/r6.out" 2>"$T/r6.err" || die "release: $(cat "$T/r6.err")"
[ -z "$(ls -A "$T/d")" ] || die "release: left $(ls -A "$T/d")"
ok "release build ignores DISPOSE_TEST_FAULT"
