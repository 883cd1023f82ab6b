#!/bin/bash
# t_erase_hardlink.sh - hard links reaching out of a target. A tree whose
# file has a second name outside it (tree/sub/link = keep/db.txt): the dry
# run names it, the erase unlinks it from the tree without overwriting it
# (keep/db.txt byte for byte intact, hard_links_remain in the record, exit 1),
# while two names inside the tree are erased; with --erase-shared-inodes it
# is overwritten on purpose. A hard-linked file target is refused (exit 4)
# unless the flag is given. Two trees of one run sharing a file are refused
# (exit 4, dry run too) unless the flag is given, then both go. On ext4 in a
# loop image, so the raw image shows that no byte of the trees' data is left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 missing"
img=$T/fs.img
dev=$(mkloop 32 "$img") || die "mkloop"
mkfs.ext4 -q -F "$dev" || die "mkfs"
M=$T/mnt
mkdir "$M"
mount "$dev" "$M" || skip "cannot mount ext4"
track_mount "$M"

keep_data() {	# keep_data FILE: 256 KiB that carry no marker
	python3 -c 'import sys; open(sys.argv[1], "wb").write(bytes(range(256)) * 1024)' "$1"
}
mk() {
	rm -rf "$M/tree" "$M/keep"
	mkdir -p "$M/tree/sub" "$M/keep"
	keep_data "$M/keep/db.txt"
	ln "$M/keep/db.txt" "$M/tree/sub/link"
	fill_marker "$M/tree/own" 1
	fill_marker "$M/tree/two1" 1
	ln "$M/tree/two1" "$M/tree/sub/two2"	# both names inside: erased
	sync
	sum=$(sha256sum <"$M/keep/db.txt")
}

# dry run: named, nothing touched
mk
"$DISPOSE" erase --yes --dry-run --progress none "$M/tree" >"$T/out" 2>"$T/err" ||
	die "dry run: $(cat "$T/err")"
grep -q "$M/tree/sub/link: has 1 hard link outside the tree: would be unlinked, not overwritten" \
	"$T/out" || die "dry run does not name the shared file: $(cat "$T/out")"
grep -q "1 with hard links outside the tree" "$T/out" || die "dry run summary: $(cat "$T/out")"
grep -q "two1\|two2" "$T/out" && die "two names inside the tree reported as shared"
[ -e "$M/tree/sub/link" ] && [ "$(sha256sum <"$M/keep/db.txt")" = "$sum" ] || die "dry run wrote"
ok "dry run names the file with a hard link outside the tree"

# the erase: link removed from the tree, its data intact; the rest erased
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r1" "$M/tree" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] || die "tree with an outside hard link: expected exit 1, got $rc ($(cat "$T/err"))"
[ "$(sha256sum <"$M/keep/db.txt")" = "$sum" ] || die "keep/db.txt changed: the tree erase reached outside"
[ "$(stat -c %h "$M/keep/db.txt")" = 1 ] || die "the tree's name of keep/db.txt was not removed"
[ ! -e "$M/tree" ] || die "tree not removed"
grep -q "^dispose: $M/tree/sub/link: has 1 hard link outside the tree" "$T/err" ||
	die "no message about the kept file: $(cat "$T/err")"
check_chain "$T/r1"
python3 - "$T/r1/events.jsonl" "$M" <<'PY' || die "record does not say hard_links_remain"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
m = sys.argv[2]
hl = [e for e in evs if e["event"] == "hard_links_remain"]
assert len(hl) == 1 and hl[0]["path"] == m + "/tree/sub/link" and hl[0]["links"] == 1, hl
lr = sorted(e["path"] for e in evs if e["event"] == "link_removed")
assert len(lr) == 2 and m + "/tree/sub/link" in lr, lr      # link, and one of two1/two2
end = [e for e in evs if e["event"] == "target_end" and e["target"] == "t1"][-1]
assert end["status"] == "completed-with-errors" and end["hard_links_remain"] == 1, end
assert any("hard links outside the tree" in c for c in end["caveats"]), end["caveats"]
run_end = [e for e in evs if e["event"] == "run_end"][-1]
assert run_end["exit"] == 1, run_end
PY
ok "tree erase: outside hard link unlinked, not overwritten; recorded as hard_links_remain"

# the flag: overwritten on purpose
mk
"$DISPOSE" erase --yes --progress none --method zero --erase-shared-inodes --run-dir "$T/r2" \
	"$M/tree" >"$T/out" 2>"$T/err" || die "--erase-shared-inodes: $(cat "$T/err")"
[ "$(stat -c %s "$M/keep/db.txt")" = 0 ] || die "--erase-shared-inodes: keep/db.txt not overwritten"
grep -q '"erase_shared_inodes":true' "$T/r2/events.jsonl" || die "flag not in the record"
events "$T/r2" hard_links_remain && die "hard_links_remain although overwritten"
ok "--erase-shared-inodes overwrites it"

# a hard-linked file target: refused without the flag, dry run included
fill_marker "$M/f" 1
ln "$M/f" "$M/f2"
fsum=$(sha256sum <"$M/f")
for dry in --dry-run ""; do
	"$DISPOSE" erase --yes $dry --progress none --method zero --run-dir "$T/r3" "$M/f" \
		>/dev/null 2>"$T/err"
	rc=$?
	[ $rc = 4 ] || die "hard-linked file ${dry:-erase}: expected exit 4, got $rc"
	grep -q "^dispose: $M/f: has 1 other hard link" "$T/err" || die "message: $(cat "$T/err")"
	grep -q -- "--erase-shared-inodes" "$T/err" || die "no hint: $(cat "$T/err")"
	[ "$(sha256sum <"$M/f")" = "$fsum" ] && [ ! -e "$T/r3" ] || die "written after a refusal"
done
"$DISPOSE" erase --yes --progress none --method zero --erase-shared-inodes --run-dir "$T/r4" \
	"$M/f" >/dev/null 2>"$T/err" || die "hard-linked file with the flag: $(cat "$T/err")"
[ ! -e "$M/f" ] && [ "$(stat -c %s "$M/f2")" = 0 ] || die "file with the flag not erased"
ok "a hard-linked file target is refused unless --erase-shared-inodes"

# two targets of one run reaching one file (t1/x = t2/d/y): each walk alone would
# decide (one records its data kept while the other overwrites it; both at once
# only unlink it): refused at the check, dry run included, either order
SHM=SHARED-INODE-MARKER-h7-
mkdir -p "$M/t1" "$M/t2/d" "$M/t3" "$M/keep2"
MARKER=$SHM fill_marker "$M/t1/x" 1
ln "$M/t1/x" "$M/t2/d/y"
fill_marker "$M/t2/own" 1
fill_marker "$M/t3/own" 1
keep_data "$M/keep2/o"
ln "$M/keep2/o" "$M/t1/out"		# outside every target: kept
sync
xsum=$(sha256sum <"$M/t1/x")
osum=$(sha256sum <"$M/keep2/o")
for order in "t1 t2" "t2 t1"; do
	set -- $order
	for dry in --dry-run ""; do
		"$DISPOSE" erase --yes $dry --progress none --method zero --run-dir "$T/r5" \
			"$M/$1" "$M/$2" >"$T/out" 2>"$T/err"
		rc=$?
		[ $rc = 4 ] || die "two trees sharing a file ($order ${dry:-erase}): expected exit 4, got $rc ($(cat "$T/err"))"
		if [ "$1" = t1 ]; then a=$M/t1/x b=$M/t2/d/y; else a=$M/t2/d/y b=$M/t1/x; fi
		grep -qx "dispose: $b: is a hard link of $a, in $M/$1, also named" "$T/err" ||
			die "shared file ($order): message: $(cat "$T/err")"
		grep -q -- "--erase-shared-inodes" "$T/err" || die "no hint: $(cat "$T/err")"
		grep -q "would be\|hard_links_remain" "$T/out" && die "dry run planned it: $(cat "$T/out")"
		[ ! -e "$T/r5" ] && [ "$(sha256sum <"$M/t1/x")" = "$xsum" ] &&
			[ "$(stat -c %h "$M/t1/x")" = 2 ] && [ -e "$M/t2/own" ] &&
			[ -e "$M/t1/out" ] || die "written after a refusal ($order)"
	done
done
ok "two trees sharing a hard-linked file: refused (exit 4), nothing written"

# trees sharing nothing in one run: outside links (t1/out, and t1/x whose other
# name is in t2, not named now) kept, recorded as hard_links_remain
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r6" "$M/t1" "$M/t3" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] || die "t1 t3: expected exit 1, got $rc ($(cat "$T/err"))"
[ "$(sha256sum <"$M/keep2/o")" = "$osum" ] || die "keep2/o changed: a tree erase reached outside"
[ "$(sha256sum <"$M/t2/d/y")" = "$xsum" ] || die "t2/d/y changed: t1's erase reached outside"
[ ! -e "$M/t1" ] && [ ! -e "$M/t3" ] || die "t1, t3 not removed"
python3 - "$T/r6/events.jsonl" "$M" <<'PY' || die "record of t1 t3"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
m = sys.argv[2]
hl = sorted(e["path"] for e in evs if e["event"] == "hard_links_remain")
assert hl == [m + "/t1/out", m + "/t1/x"], hl
PY
rm -rf "$M/keep2"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r6b" "$M/t2" \
	>"$T/out" 2>"$T/err" || die "t2 alone: $(cat "$T/err")"
events "$T/r6b" hard_links_remain && die "t2 alone: hard_links_remain although overwritten"
ok "trees sharing nothing: outside links kept and recorded; the last name overwritten later"

# with --erase-shared-inodes two trees sharing a file both go, the file
# overwritten, and no record line says its data remains
mkdir -p "$M/t4" "$M/t5"
MARKER=$SHM fill_marker "$M/t4/x" 1
ln "$M/t4/x" "$M/t5/y"
fill_marker "$M/t5/own" 1
sync
"$DISPOSE" erase --yes --progress none --method zero --erase-shared-inodes --jobs 1 \
	--run-dir "$T/r7" "$M/t4" "$M/t5" >"$T/out" 2>"$T/err" ||
	die "two trees sharing a file, --erase-shared-inodes: $(cat "$T/err")"
[ ! -e "$M/t4" ] && [ ! -e "$M/t5" ] || die "t4, t5 not removed"
events "$T/r7" hard_links_remain && die "hard_links_remain although overwritten"
python3 - "$T/r7/events.jsonl" <<'PY' || die "record of t4 t5"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
ends = [e for e in evs if e["event"] == "target_end" and e["target"] in ("t1", "t2")]
assert len(ends) == 2 and all(e["status"] == "success" and e["hard_links_remain"] == 0
                              for e in ends), ends
PY
check_chain "$T/r7"
ok "--erase-shared-inodes: both trees erased, the shared file overwritten"

# the raw image: the trees' data is gone, keep's is not
rm -f "$M/f2"
umount "$M" || die "umount"
sync
[ "$(count_marker "$img")" = 0 ] || die "marker still in the raw image ($(count_marker "$img"))"
[ "$(MARKER=$SHM count_marker "$img")" = 0 ] || die "the shared file's marker is in the raw image"
ok "raw image holds no marker"
