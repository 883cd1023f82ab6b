#!/bin/bash
# t_erase_swap.sh - a target replaced while the operator types the
# confirmation (a device node repointed, a file swapped for another) is
# refused after the confirmation: exit 4, nothing written, no run record.
. "$(dirname "$0")/lib.sh"
need_root
command -v script >/dev/null || skip "script missing"
sum() { dd if="$1" bs=1M iflag=direct status=none | sha256sum; }
node() { mknod "$2" b "$(stat -c %Hr "$1")" "$(stat -c %Lr "$1")"; }

a=$(mkloop 8) || die "mkloop"
b=$(mkloop 8) || die "mkloop"
fill_marker "$a" 8
fill_marker "$b" 8
node "$a" "$T/disk" || skip "mknod"
sa=$(sum "$a"); sb=$(sum "$b")
# the checks run, the prompt waits; meanwhile the path is repointed
{ sleep 1; rm -f "$T/disk"; node "$b" "$T/disk"; printf '%s\n' "$T/disk"; sleep 1; } |
	script -qec "$DISPOSE erase --progress none --method zero --run-dir $T/r1 $T/disk" \
	/dev/null >"$T/out" 2>&1
rc=$?
grep -q "Type '$T/disk'" "$T/out" || die "no prompt seen: $(cat "$T/out")"
[ $rc = 4 ] || die "device swapped during confirmation: expected exit 4, got $rc ($(cat "$T/out"))"
grep -q "no longer the device" "$T/out" || die "message: $(cat "$T/out")"
[ "$(sum "$a")" = "$sa" ] && [ "$(sum "$b")" = "$sb" ] || die "a device was written"
[ ! -e "$T/r1" ] || die "run dir made"
ok "device node repointed during confirmation: refused"

fill_marker "$T/f" 1
{ sleep 1; mv "$T/f" "$T/f.old"; fill_marker "$T/f" 1; printf '%s\n' "$T/f"; sleep 1; } |
	script -qec "$DISPOSE erase --progress none --method zero --run-dir $T/r2 $T/f" \
	/dev/null >"$T/out" 2>&1
rc=$?
[ $rc = 4 ] || die "file swapped during confirmation: expected exit 4, got $rc ($(cat "$T/out"))"
[ "$(count_marker "$T/f")" -gt 0 ] || die "the new file was erased"
[ ! -e "$T/r2" ] || die "run dir made"
ok "file swapped during confirmation: refused"
