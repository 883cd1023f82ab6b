#!/bin/bash
# t_erase_safety.sh - refusals (exit 4, nothing written, no run record): a
# mounted loop device, a loop device with a mounted partition, a device held
# open exclusively, no --yes without a terminal; --dry-run writes nothing.
. "$(dirname "$0")/lib.sh"
need_root
sum() { dd if="$1" bs=1M iflag=direct status=none | sha256sum; }

# a mounted device
dev=$(mkloop 16) || die "mkloop"
mkfs.ext4 -q -F "$dev" || die "mkfs"
mkdir "$T/m1"
mount "$dev" "$T/m1" || die "cannot mount ext4 on $dev"
track_mount "$T/m1"
fill_marker "$T/m1/data" 2
sync
before=$(sum "$dev")
"$DISPOSE" erase --yes --progress none --run-dir "$T/r1" "$dev" 2>"$T/err"
[ $? = 4 ] || die "mounted: expected exit 4"
grep -q "^dispose: $dev: .*mounted" "$T/err" || die "mounted: message: $(cat "$T/err")"
[ "$(sum "$dev")" = "$before" ] || die "mounted device was written"
[ ! -e "$T/r1" ] || die "run dir made for a refused target"
umount "$T/m1"
ok "mounted device refused, data intact"

# a mounted partition of the named disk
img=$T/part.img
truncate -s 32M "$img"
pdev=$(losetup -f --show -P "$img") || die "losetup -P"
track_loop "$pdev"
printf 'label: dos\n,8M\n,\n' | sfdisk -q "$pdev" >/dev/null 2>&1 || die "sfdisk (scripts/deps.sh check)"
part_nodes "$pdev" 1 || die "no partition ${pdev}p1 after sfdisk"
mkfs.ext4 -q -F "${pdev}p1" || die "mkfs p1"
mkdir "$T/m2"
mount "${pdev}p1" "$T/m2" || die "mount p1"
track_mount "$T/m2"
before=$(sum "$pdev")
"$DISPOSE" erase --yes --progress none --run-dir "$T/r2" "$pdev" 2>"$T/err"
[ $? = 4 ] || die "mounted partition: expected exit 4 ($(cat "$T/err"))"
[ "$(sum "$pdev")" = "$before" ] || die "disk with a mounted partition was written"
# and the mounted partition itself
"$DISPOSE" erase --yes --progress none --run-dir "$T/r2" "${pdev}p1" 2>/dev/null
[ $? = 4 ] || die "mounted partition itself: expected exit 4"
[ ! -e "$T/r2" ] || die "run dir made"
umount "$T/m2"
ok "disk with a mounted partition refused"
"$DISPOSE" erase --yes --dry-run --progress none "$pdev" "${pdev}p1" >/dev/null 2>"$T/err"
[ $? = 2 ] || die "disk and its partition: expected exit 2"
grep -q "partition of" "$T/err" || die "disk and partition: message: $(cat "$T/err")"
ok "a disk and its own partition named together: exit 2"

# held open with O_EXCL by another process: dispose's own O_EXCL open fails
dev3=$(mkloop 16) || die "mkloop"
fill_marker "$dev3" 16
before=$(sum "$dev3")
python3 -c 'import os,sys,time; fd=os.open(sys.argv[1], os.O_RDONLY|os.O_EXCL); print("held", flush=True); time.sleep(30)' "$dev3" >"$T/held" &
holder=$!
for _ in $(seq 50); do grep -q held "$T/held" && break; sleep 0.1; done
"$DISPOSE" erase --yes --progress none --run-dir "$T/r3" "$dev3" 2>"$T/err"
rc=$?
kill "$holder"; wait "$holder" 2>/dev/null
[ $rc = 4 ] || die "busy: expected exit 4, got $rc"
grep -q "busy" "$T/err" || die "busy: message: $(cat "$T/err")"
[ "$(sum "$dev3")" = "$before" ] || die "busy device written"
[ ! -e "$T/r3" ] || die "run dir made"
ok "device held exclusively: refused"

# no --yes and no terminal
setsid "$DISPOSE" erase --progress none --run-dir "$T/r4" "$dev3" </dev/null >"$T/out" 2>"$T/err"
[ $? = 4 ] || die "no tty: expected exit 4"
grep -q -- "--yes" "$T/err" || die "no tty: message does not mention --yes: $(cat "$T/err")"
[ "$(sum "$dev3")" = "$before" ] || die "written without confirmation"
[ ! -e "$T/r4" ] || die "run dir made"
ok "no terminal, no --yes: refused"

# on a terminal: the operator must type the target's name
if command -v script >/dev/null; then
	printf 'wrong\n' | script -qec "$DISPOSE erase --progress none --run-dir $T/r6 $dev3" /dev/null >"$T/out" 2>&1
	[ $? = 4 ] || die "wrong name typed: expected exit 4 ($(cat "$T/out"))"
	[ "$(sum "$dev3")" = "$before" ] || die "written although the wrong name was typed"
	[ ! -e "$T/r6" ] || die "run dir made"
	printf '%s\n' "$dev3" | script -qec "$DISPOSE erase --progress none --method zero --run-dir $T/r6 $dev3" /dev/null >"$T/out" 2>&1 ||
		die "typed name: erase failed ($(cat "$T/out"))"
	grep -q "Type '$dev3'" "$T/out" || die "no prompt: $(cat "$T/out")"
	[ "$(count_marker "$dev3")" = 0 ] || die "typed name: not erased"
	fill_marker "$dev3" 16
	before=$(sum "$dev3")
	ok "typed confirmation on a terminal"
else
	echo "skip: typed confirmation: no script(1) for a terminal"
fi

# --dry-run: describes, writes nothing, makes no run directory
"$DISPOSE" erase --dry-run --progress none --method zero --run-dir "$T/r5" "$dev3" >"$T/out" 2>&1 ||
	die "dry run failed: $(cat "$T/out")"
grep -q "$dev3" "$T/out" || die "dry run does not name the device"
grep -q "block device" "$T/out" || die "dry run does not give the kind"
grep -q "16.0 MiB" "$T/out" || die "dry run does not give the size"
grep -q "estimate" "$T/out" || die "dry run gives no estimate"
grep -q "0x00\|00" "$T/out" || die "dry run does not list the passes"
[ "$(sum "$dev3")" = "$before" ] || die "dry run wrote"
[ ! -e "$T/r5" ] || die "dry run made a run dir"
ok "dry run writes nothing"

# usage errors are exit 2
"$DISPOSE" erase --yes 2>/dev/null; [ $? = 2 ] || die "no target: expected 2"
"$DISPOSE" erase --yes --verify bogus "$dev3" 2>/dev/null; [ $? = 2 ] || die "bad --verify: expected 2"
"$DISPOSE" erase --yes --resume 2>/dev/null; [ $? = 2 ] || die "--resume without --run-dir: expected 2"
"$DISPOSE" erase --yes --dry-run "$T/nonexistent" 2>/dev/null; [ $? = 2 ] || die "missing target: expected 2"
"$DISPOSE" erase --yes --dry-run "$dev3" "$dev3" 2>/dev/null; [ $? = 2 ] || die "target twice: expected 2"
"$DISPOSE" erase --help | grep -q "TARGET" || die "--help"
ok "usage errors: exit 2"
