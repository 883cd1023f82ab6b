#!/bin/bash
# t_erase_bind.sh - a bind mount keeps its filesystem's st_dev: a tree
# target (or a file bind-mounted over a file target) is still a mount
# point, refused (exit 4), nothing written; a bind mount inside a tree is
# not crossed.
. "$(dirname "$0")/lib.sh"
need_root
mkdir -p "$T/src" "$T/bind" "$T/tree/inner"
fill_marker "$T/src/data" 1
mount --bind "$T/src" "$T/bind" || skip "mount --bind"
track_mount "$T/bind"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r1" "$T/bind" 2>"$T/err"
[ $? = 4 ] || die "bind mount target: expected exit 4 ($(cat "$T/err"))"
grep -q "mount point" "$T/err" || die "message: $(cat "$T/err")"
[ "$(count_marker "$T/src/data")" -gt 0 ] || die "bind mount target written"
[ ! -e "$T/r1" ] || die "run dir made"
ok "a bind mount as tree target is refused"
: >"$T/over"
mount --bind "$T/src/data" "$T/over" || die "mount --bind of a file"
track_mount "$T/over"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r3" "$T/over" 2>"$T/err"
[ $? = 4 ] || die "bind-mounted file: expected exit 4 ($(cat "$T/err"))"
[ "$(count_marker "$T/src/data")" -gt 0 ] || die "bind-mounted file written"
[ ! -e "$T/r3" ] || die "run dir made"
umount "$T/over"
ok "a file bind-mounted over the target name is refused"
mount --bind "$T/src" "$T/tree/inner" || die "mount --bind"
track_mount "$T/tree/inner"
fill_marker "$T/tree/own" 1
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r2" "$T/tree" >/dev/null 2>&1
[ $? = 1 ] || die "tree with a bind mount inside: expected exit 1 (completed with errors)"
[ "$(count_marker "$T/src/data")" -gt 0 ] || die "bind mount inside the tree was crossed"
[ ! -e "$T/tree/own" ] || die "the tree's own file was not erased"
ok "a bind mount inside a tree is not crossed"
