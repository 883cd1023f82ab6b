#!/bin/bash
# t_erase_tree_faults.sh - a fault injected (test build, $DISPOSE_TEST_FAULT)
# at the removals a tree erase makes without an open file: a directory's
# rmdir (inside and the top), a symlink's and a FIFO's unlink. Each is
# named on stderr, recorded (dir_kept / skipped), leaves the entry in
# place and ends the tree completed-with-errors, exit 1, never success.
# The release build ignores the variable.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
: "${DISPOSE_REL:?set DISPOSE_REL to the release binary}"

# case NAME EVENT MESSAGE-REGEX ENTRY: the tree $T/t is made by the caller
case_fault() {
	local name=$1 ev=$2 msg=$3 entry=$4 rc
	DISPOSE_TEST_FAULT=eio-unlink@0 "$DISPOSE" erase --yes --progress none --method zero \
		--run-dir "$T/r-$name" "$T/t" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ $rc = 1 ] || die "$name: expected exit 1, got $rc: $(cat "$T/$name.err")"
	grep -qE "^dispose: $msg$" "$T/$name.err" || die "$name: message: $(cat "$T/$name.err")"
	grep -q "^t1 $T/t: completed with errors: 1 entry of the tree skipped or failed, left in place (" \
		"$T/$name.err" ||
		die "$name: verdict: $(cat "$T/$name.err")"
	[ -e "$entry" ] || [ -L "$entry" ] || die "$name: $entry is gone"
	check_chain "$T/r-$name"
	python3 - "$T/r-$name/events.jsonl" "$ev" "$entry" <<'PY' || die "$name: record"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
ev, entry = sys.argv[2], sys.argv[3]
kept = [e for e in evs if e["event"] == ev]
assert [e["path"] for e in kept] == [entry] and kept[0]["reason"] == "Input/output error", kept
end = [e for e in evs if e["event"] == "target_end"][-1]
assert end["status"] == "completed-with-errors", end
assert [e["exit"] for e in evs if e["event"] == "run_end"] == [1]
PY
	ok "$name: exit 1, named, recorded as $ev, left in place"
}

mkdir -p "$T/t/empty" || die "mkdir"
case_fault rmdir dir_kept "$T/t/empty: rmdir: Input/output error" "$T/t/empty"

rm -rf "$T/t" && mkdir "$T/t" && ln -s /etc/passwd "$T/t/ln" || die "setup"
case_fault symlink skipped "$T/t/ln: unlink: Input/output error" "$T/t/ln"
[ -s /etc/passwd ] || die "the symlink was followed"

rm -rf "$T/t" && mkdir "$T/t" && mkfifo "$T/t/fifo" || die "setup"
case_fault fifo skipped "$T/t/fifo: unlink: Input/output error" "$T/t/fifo"

rm -rf "$T/t" && mkdir "$T/t" || die "setup"
case_fault top dir_kept "$T/t: rmdir: Input/output error" "$T/t"

# FIEMAP goes through the seam too: a failed one may not claim an in-place overwrite
FS_IOC_FIEMAP=0xC020660B
extents() {
	python3 -c 'import json,sys
e = [json.loads(l) for l in open(sys.argv[1]) if "\"extents\"" in l][-1]
print(e["extents"]["result"], any("FIEMAP" in c for c in e.get("caveats", [])))' "$1/events.jsonl"
}
fill_marker "$T/plain.bin" 1
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r-fm0" "$T/plain.bin" \
	>/dev/null 2>&1 || die "erase without a fault failed"
if [ "$(extents "$T/r-fm0")" = "in-place False" ]; then
	fill_marker "$T/plain.bin" 1
	DISPOSE_TEST_FAULT=eio-ioctl@$FS_IOC_FIEMAP "$DISPOSE" erase --yes --progress none \
		--method zero --run-dir "$T/r-fm" "$T/plain.bin" >/dev/null 2>"$T/fm.err" ||
		die "FIEMAP fault: the erase failed: $(cat "$T/fm.err")"
	[ "$(extents "$T/r-fm")" = "unknown True" ] ||
		die "FIEMAP fault: extents $(extents "$T/r-fm"), expected unknown with a caveat"
	[ ! -e "$T/plain.bin" ] || die "FIEMAP fault: file left"
	ok "a failed FIEMAP: extents unknown, with the caveat, never in-place"
else
	echo "note: $T reports no FIEMAP extents; the FIEMAP fault case is not run"
fi

# the release build has no hooks: the same list changes nothing
rm -rf "$T/t" && mkdir -p "$T/t/empty" && ln -s /etc/passwd "$T/t/ln" || die "setup"
DISPOSE_TEST_FAULT=eio-unlink "$DISPOSE_REL" erase --yes --progress none --method zero \
	--run-dir "$T/r-rel" "$T/t" >"$T/rel.out" 2>"$T/rel.err" || die "release: $(cat "$T/rel.err")"
[ ! -e "$T/t" ] || die "release: left $(ls -A "$T/t")"
ok "release build ignores DISPOSE_TEST_FAULT"
