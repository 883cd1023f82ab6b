#!/bin/bash
# t_erase_files.sh - a file and a directory tree on ext4 inside a loop image:
# after dispose erase the raw image holds no marker; a symlink in the tree
# that points outside leaves its target untouched; symlink, "/" and mount
# point targets are refused (exit 4).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 missing"
img=$T/fs.img
dev=$(mkloop 32 "$img") || die "mkloop"
mkfs.ext4 -q -F "$dev" || die "mkfs"
mkdir "$T/mnt"
mount "$dev" "$T/mnt" || skip "cannot mount ext4"
track_mount "$T/mnt"

# a regular file
fill_marker "$T/mnt/secret.bin" 2
mkdir -p "$T/mnt/tree/a/b" "$T/mnt/tree/c"
fill_marker "$T/mnt/tree/one.bin" 1
fill_marker "$T/mnt/tree/a/two.bin" 1
fill_marker "$T/mnt/tree/a/b/three.bin" 1
printf '%s small\n' "$MARKER" >"$T/mnt/tree/c/small.txt"
: >"$T/mnt/tree/c/empty"
# outside the image, pointed at from inside the tree
fill_marker "$T/outside.bin" 1
sum_out=$(sha256sum <"$T/outside.bin")
ln -s "$T/outside.bin" "$T/mnt/tree/a/link-out"
ln -s "$T/outside.bin" "$T/mnt/link-file"
sync

# refusals first: nothing written, no run dir
"$DISPOSE" erase --yes --progress none --run-dir "$T/rl" "$T/mnt/link-file" 2>"$T/err"
[ $? = 4 ] || die "symlink target: expected exit 4"
grep -q "symbolic link" "$T/err" || die "symlink refusal message: $(cat "$T/err")"
[ "$(sha256sum <"$T/outside.bin")" = "$sum_out" ] || die "symlink target written"
[ ! -e "$T/rl" ] || die "run dir made for a refused target"
ok "symlink target refused"
# only ever as a dry run: a bug here must not be able to write
"$DISPOSE" erase --yes --dry-run --progress none / >/dev/null 2>"$T/err"
[ $? = 4 ] || die "/: expected exit 4"
"$DISPOSE" erase --yes --dry-run --progress none "$T/mnt" >/dev/null 2>"$T/err"
[ $? = 4 ] || die "mount point: expected exit 4"
grep -q "mount point" "$T/err" || die "mount point message: $(cat "$T/err")"
# a refused target stops the others too
"$DISPOSE" erase --yes --progress none --run-dir "$T/rl" \
	"$T/mnt/secret.bin" "$T/mnt/link-file" 2>/dev/null
[ $? = 4 ] || die "mixed targets: expected exit 4"
[ "$(count_marker "$T/mnt/secret.bin")" -gt 0 ] || die "file written although another target was refused"
ok "/, mount point and mixed refusals"

"$DISPOSE" erase --yes --progress none --run-dir "$T/r1" "$T/mnt/secret.bin" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "file erase failed"; }
[ ! -e "$T/mnt/secret.bin" ] || die "file not removed"
check_chain "$T/r1"
events "$T/r1" target_end | grep -q '"success"' || die "file: no successful target_end"
ok "file erased and removed"

"$DISPOSE" erase --yes --progress none --run-dir "$T/r2" "$T/mnt/tree" >"$T/out" 2>&1 ||
	{ cat "$T/out"; die "tree erase failed"; }
[ ! -e "$T/mnt/tree" ] || die "tree not removed"
[ "$(sha256sum <"$T/outside.bin")" = "$sum_out" ] || die "file behind a symlink in the tree was touched"
check_chain "$T/r2"
ok "tree erased and removed; symlink target untouched"

umount "$T/mnt" || die "umount"
sync
[ "$(count_marker "$img")" = 0 ] || die "marker still in the raw image ($(count_marker "$img"))"
ok "raw image holds no marker"
