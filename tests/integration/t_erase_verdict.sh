#!/bin/bash
# t_erase_verdict.sh - each target ends with one verdict line (stderr) that
# says what the record says: result, NIST category or why none, how it was
# verified (a sample names its seed), every caveat. The extent check looks
# at where the OLD extents lie: filling a sparse file's holes on ext4 is in
# place (no "may remain", and no marker left on the raw image); a
# copy-on-write filesystem that relocates is "may remain", exit 1, and the
# marker is indeed still on the image. A tree's end carries its files'
# caveats. --verify none does not read as success.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 missing"

# verdict_check DIR ID ERRFILE: the record's last target_end of ID, and the
# verdict line in ERRFILE: same status words, category, verification, caveats
end_of() {
	python3 - "$1/events.jsonl" "$2" "$3" <<'PY'
import json, sys
ends = [json.loads(l) for l in open(sys.argv[1])]
ends = [e for e in ends if e["event"] == "target_end" and e["target"] == sys.argv[2]]
print(json.dumps(ends[-1][sys.argv[3]]) if sys.argv[3] in ends[-1] else "null")
PY
}
FILE_CAV="1) file-level overwrite is partial sanitization (NIST SP 800-88r2 4.2), not a NIST Clear, Purge or Destroy of any medium; copies in journals, snapshots, backups, flash spare areas or replicas are not addressed;"
EXT4_CAV="2) journaling filesystem: data=journal mode or the journal may hold copies"

img=$T/ext4.img
dev=$(mkloop 64 "$img")
mkfs.ext4 -q -F "$dev" || die "mkfs.ext4"
mkdir -p "$T/mnt"
mount "$dev" "$T/mnt" || skip "cannot mount ext4"
track_mount "$T/mnt"

# 1. a sparse ext4 file with markers in two data extents and holes between:
# filling the holes in place is no relocation
f=$T/mnt/sparse.bin
truncate -s 8M "$f"
python3 - "$f" "$MARKER" <<'PY'
import sys
m = sys.argv[2].encode()
blk = (m * (65536 // len(m) + 1))[:65536]
with open(sys.argv[1], "r+b") as f:
    for off in (1 << 20, 5 << 20):
        f.seek(off); f.write(blk)
PY
sync
[ "$(filefrag "$f" 2>/dev/null | grep -o '[0-9]* extents\?' | cut -d' ' -f1)" -ge 2 ] 2>/dev/null ||
	echo "note: filefrag does not show two extents"
[ "$(count_marker "$img")" -gt 0 ] || die "sparse: marker not on the image before"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r1" "$f" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || die "sparse: exit $rc: $(cat "$T/err")"
want="t1 $f: success (written 8.0 MiB, verified 8.0 MiB); no NIST category: file-level overwrite; verified: every byte of the last pass read back; caveats: $FILE_CAV $EXT4_CAV"
[ "$(cat "$T/err")" = "$want" ] || die "sparse: verdict line:
$(cat "$T/err")
expected:
$want"
[ "$(end_of "$T/r1" t1 extents | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["result"], e["uncovered_bytes"])')" = "in-place 0" ] ||
	die "sparse: extents $(end_of "$T/r1" t1 extents)"
[ "$(end_of "$T/r1" t1 old_data_may_remain)" = false ] || die "sparse: record says old data may remain"
end_of "$T/r1" t1 caveats | grep -q "may remain" && die "sparse: a may-remain caveat: $(end_of "$T/r1" t1 caveats)"
[ ! -e "$f" ] || die "sparse: file still there"
check_chain "$T/r1"
umount "$T/mnt" || die "umount"
[ "$(count_marker "$img")" = 0 ] || die "sparse: $(count_marker "$img") markers left on the raw image"
mount "$dev" "$T/mnt" || die "remount"
ok "sparse file on ext4: in place, no may-remain caveat, no marker on the image, exact verdict line"

# 2. a tree whose one file has a caveat of its own (a hard link outside,
# overwritten with --erase-shared-inodes): the tree's end and verdict say it
mkdir -p "$T/mnt/tree/sub"
fill_marker "$T/mnt/tree/a.bin" 1
fill_marker "$T/mnt/tree/sub/b.bin" 1
ln "$T/mnt/tree/sub/b.bin" "$T/mnt/outside.bin"
sync
"$DISPOSE" erase --yes --progress none --method zero --erase-shared-inodes --run-dir "$T/r2" \
	"$T/mnt/tree" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || die "tree: exit $rc: $(cat "$T/err")"
HL="hard-linked file: other names of this inode remained until unlink"
end_of "$T/r2" t1 caveats | grep -qF "$HL" || die "tree: its end hides a file's caveat: $(end_of "$T/r2" t1 caveats)"
python3 - "$T/r2/events.jsonl" <<'PY' || die "tree: caveats not the union of its files'"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
ends = {}
for e in evs:
    if e["event"] == "target_end":
        ends[e["target"]] = e
tree = ends.pop("t1")
files = set(c for e in ends.values() for c in e.get("caveats", [])) - {"part of a tree erase"}
assert files <= set(tree["caveats"]), files - set(tree["caveats"])
assert len(tree["caveats"]) == len(set(tree["caveats"])), "duplicates"
assert tree["status"] == "success" and tree["files"] == 2, tree
PY
grep -q "^t1 $T/mnt/tree: success (.*; no NIST category: file-level overwrite; .*$HL" "$T/err" ||
	die "tree: verdict line: $(cat "$T/err")"
[ "$(grep -c "^t1 " "$T/err")" = 1 ] || die "tree: not one verdict line: $(cat "$T/err")"
ok "a tree's end and verdict carry its files' caveats"

# 3. --verify none on a whole device: not a plain success; exact line
d2=$(mkloop 4)
"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r3" "$d2" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || die "verify none: exit $rc: $(cat "$T/err")"
grep -q "^t1 $d2: written, not verified (written 4.0 MiB, verified 0 B); no NIST category: not verified; not verified: no read-back; caveats: " "$T/err" ||
	die "verify none: verdict line: $(cat "$T/err")"
grep -q ": success" "$T/err" && die "verify none reads as success: $(cat "$T/err")"
[ "$(end_of "$T/r3" t1 category_reason)" = '"not verified"' ] || die "verify none: record reason"
ok "--verify none: written, not verified"

# 4. sampled verification names itself and its seed where the category is shown
"$DISPOSE" erase --yes --progress none --method zero --verify sample:10 --run-dir "$T/r4" "$d2" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || die "sample: exit $rc: $(cat "$T/err")"
seed=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1]) if "\"verify_start\"" in l][-1]["seed"])' "$T/r4/events.jsonl")
grep -qF "t1 $d2: success (written 4.0 MiB, verified " "$T/err" || die "sample: verdict: $(cat "$T/err")"
grep -qF "; NIST SP 800-88 Clear; verified: sampled 10% of the last pass read back (sampled-800-88r1: 2 pseudorandom extents in each of up to 1000 strata, the first and last MiB; splitmix64 seed $seed); caveats: " "$T/err" ||
	die "sample: verdict does not name the sample and seed $seed: $(cat "$T/err")"
end_of "$T/r4" t1 verification | grep -qF "seed $seed" || die "sample: record: $(end_of "$T/r4" t1 verification)"
[ "$(end_of "$T/r4" t1 nist_category)" = '"clear"' ] || die "sample: category"
ok "sampled verification: method, percent and seed beside the category"

# 5. --progress json: a verdict object with the record's facts, run_dir last
"$DISPOSE" erase --yes --progress json --method zero --verify none --run-dir "$T/r5" "$d2" \
	>"$T/out" 2>"$T/err" || die "json: $(cat "$T/err")"
python3 - "$T/out" "$T/r5/events.jsonl" <<'PY' || die "json verdict: $(cat "$T/out")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
v = [o for o in objs if o.get("event") == "verdict"]
assert len(v) == 1, v
v = v[0]
end = [e for e in map(json.loads, open(sys.argv[2])) if e["event"] == "target_end"][-1]
assert v["id"] == "t1" and v["result"] == "written, not verified", v
for k in ("status", "nist_category", "caveats", "verification", "old_data_may_remain",
          "bytes_written", "bytes_verified"):
    assert v[k] == end[k], (k, v[k], end[k])
assert v["category"] == "no NIST category: not verified", v
assert "run_dir" in objs[-1], objs[-1]
PY
ok "--progress json: a verdict object equal to the record's target_end"
umount "$T/mnt" || die "umount"

# 6. a caveat that IS warranted: btrfs writes the overwrite elsewhere; the
# old extents are not under the new map, the marker is still on the image
if command -v mkfs.btrfs >/dev/null && grep -qw btrfs /proc/filesystems; then
	bimg=$T/btrfs.img
	bdev=$(mkloop 256 "$bimg")
	if mkfs.btrfs -q -f "$bdev" >/dev/null 2>&1 && mount "$bdev" "$T/mnt" 2>/dev/null; then
		track_mount "$T/mnt"
		fill_marker "$T/mnt/cow.bin" 1
		sync
		"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r6" "$T/mnt/cow.bin" \
			>"$T/out" 2>"$T/err"
		rc=$?
		[ $rc = 1 ] || die "btrfs: expected exit 1 (old data may remain), got $rc: $(cat "$T/err")"
		grep -q "^t1 $T/mnt/cow.bin: completed with errors: the old data may remain on the medium (written 1.0 MiB, verified 1.0 MiB); no NIST category: file-level overwrite; " "$T/err" ||
			die "btrfs: verdict line: $(cat "$T/err")"
		grep -qF "old extents not under the new ones" "$T/err" || die "btrfs: relocation caveat not said: $(cat "$T/err")"
		[ "$(end_of "$T/r6" t1 status)" = '"completed-with-errors"' ] || die "btrfs: record status"
		[ "$(end_of "$T/r6" t1 old_data_may_remain)" = true ] || die "btrfs: record flag"
		end_of "$T/r6" t1 extents | grep -q '"result": "relocated"' || die "btrfs: extents $(end_of "$T/r6" t1 extents)"
		umount "$T/mnt" || die "umount btrfs"
		[ "$(count_marker "$bimg")" -gt 0 ] || die "btrfs: no marker left: the caveat was not warranted"
		ok "btrfs: relocated, old data may remain (and does: marker on the image), exit 1"
	else
		echo "note: cannot make or mount btrfs here; the relocation case is not run"
	fi
else
	echo "note: no btrfs; the relocation case is not run"
fi
