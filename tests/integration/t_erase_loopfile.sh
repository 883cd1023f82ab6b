#!/bin/bash
# t_erase_loopfile.sh - a file that backs an attached loop device (maybe
# mounted) is in use: as a file target or inside a tree target it is
# refused (exit 4), nothing written, no run record; also under another name
# (a hard link whose first name was removed: the loop's path is "(deleted)").
. "$(dirname "$0")/lib.sh"
need_root
mkdir -p "$T/tree/sub"
dev=$(mkloop 8 "$T/tree/sub/disk.img") || die "mkloop"
fill_marker "$dev" 8
fill_marker "$T/tree/other" 1
before=$(sha256sum <"$T/tree/sub/disk.img")
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r1" \
	"$T/tree/sub/disk.img" 2>"$T/err"
[ $? = 4 ] || die "backing file: expected exit 4 ($(cat "$T/err"))"
grep -q "backing file of $dev" "$T/err" || die "message: $(cat "$T/err")"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r1" "$T/tree" 2>"$T/err"
[ $? = 4 ] || die "tree with a backing file: expected exit 4 ($(cat "$T/err"))"
grep -q "backing file of $dev" "$T/err" || die "message: $(cat "$T/err")"
[ "$(sha256sum <"$T/tree/sub/disk.img")" = "$before" ] || die "backing file written"
[ "$(count_marker "$T/tree/other")" -gt 0 ] || die "tree written after a refusal"
[ ! -e "$T/r1" ] || die "run dir made"
ok "a loop device's backing file is refused, alone or in a tree"

# the loop device's file under another name, its first name removed
dev2=$(mkloop 8 "$T/first.img") || die "mkloop"
fill_marker "$dev2" 8
ln "$T/first.img" "$T/second.img" || die "ln"
rm "$T/first.img"
if grep -q "(deleted)" "/sys/block/${dev2#/dev/}/loop/backing_file"; then
	before=$(sha256sum <"$T/second.img")
	"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r2" "$T/second.img" 2>"$T/err"
	[ $? = 4 ] || die "backing file under another name: expected exit 4 ($(cat "$T/err"))"
	grep -q "backing file of $dev2" "$T/err" || die "message: $(cat "$T/err")"
	[ "$(sha256sum <"$T/second.img")" = "$before" ] || die "backing file written"
	[ ! -e "$T/r2" ] || die "run dir made"
	ok "a loop device's backing file under another name is refused"
else
	echo "skip: backing file under another name: this kernel does not mark the path deleted"
fi
