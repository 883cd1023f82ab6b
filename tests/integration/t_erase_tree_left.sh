#!/bin/bash
# t_erase_tree_left.sh - a tree whose walk leaves entries in place (a mount
# point inside it is not crossed) says so in its verdict line and its
# target_end (entries_left, as many as its skipped events), not a bare
# "completed with errors"; with a hard link outside the tree too, the verdict
# gives both reasons, not only the first (#11 review).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root

mk() {
	mkdir -p "$T/tree/sub"
	fill_marker "$T/tree/a" 1
	mount -t tmpfs none "$T/tree/sub" || skip "cannot mount tmpfs"
	track_mount "$T/tree/sub"
	echo secret >"$T/tree/sub/s"
}

# 1. one entry left (the mount point): the verdict and the record say it
mk
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/r1" "$T/tree" \
	>"$T/out1" 2>"$T/err1"
rc=$?
[ $rc = 1 ] || die "expected exit 1, got $rc: $(cat "$T/err1")"
grep -q "^t1 $T/tree: completed with errors: 1 entry of the tree skipped or failed, left in place (" \
	"$T/err1" || die "verdict does not say an entry was left: $(cat "$T/err1")"
python3 - "$T/r1/events.jsonl" <<'EOF' || die "record"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
end = [e for e in ev if e["event"] == "target_end" and e["target"] == "t1"][-1]
skipped = [e for e in ev if e["event"] in ("skipped", "file_failed", "dir_kept") and e["target"] == "t1"]
assert len(skipped) == 1, skipped
assert end["entries_left"] == 1, end
assert end["status"] == "completed-with-errors", end
EOF
[ -e "$T/tree/sub/s" ] || die "the file behind the mount point is gone"
umount "$T/tree/sub"
rm -rf "$T/tree"
ok "an entry left in a tree: the verdict line and target_end's entries_left say it"

# 2. a hard link outside the tree as well: both reasons in the verdict
mk
fill_marker "$T/tree/h" 1
ln "$T/tree/h" "$T/outside"
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/r2" "$T/tree" \
	>"$T/out2" 2>"$T/err2"
rc=$?
[ $rc = 1 ] || die "expected exit 1, got $rc: $(cat "$T/err2")"
grep -q "^t1 $T/tree: completed with errors: 1 file with hard links outside the tree not overwritten, 1 entry of the tree skipped or failed, left in place (" \
	"$T/err2" || die "verdict does not give both reasons: $(cat "$T/err2")"
ok "a tree with two reasons: the verdict gives both"
