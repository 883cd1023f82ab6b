#!/bin/bash
# t_erase_alias.sh - devices that reach one medium count as one: two loop
# devices over one file, a loop device over another's block node or over a
# partition, a loop device over a file on a lazily unmounted filesystem. A use of any of them
# refuses the erase (exit 4); two of them named together are one target
# named twice (exit 2); nothing is written and no run record made either
# way. While an erase runs, the rest of its medium is held exclusively.
# run alone: detaches loop devices it made (cleanup detaches them again)
. "$(dirname "$0")/lib.sh"
need_root
dsum() { dd if="$1" bs=1M iflag=direct status=none | sha256sum; }
fsum() { sha256sum <"$1"; }
# excl_busy DEV...: per device "busy" (EBUSY on an O_EXCL open) or "free"
excl_busy() {
	python3 - "$@" <<'PY'
import errno, os, sys
out = []
for dev in sys.argv[1:]:
    try:
        os.close(os.open(dev, os.O_RDONLY | os.O_EXCL))
        out.append("free")
    except OSError as e:
        out.append("busy" if e.errno == errno.EBUSY else "error")
print(" ".join(out))
PY
}

# two loop devices on one backing file, the second one mounted
img=$T/one.img
a=$(mkloop 32 "$img") || die "mkloop"
b=$(losetup -f --show "$img") || die "losetup"
track_loop "$b"
mkfs.ext4 -q -F "$b" || die "mkfs"
mkdir "$T/m1"
mount "$b" "$T/m1" || die "cannot mount ext4 on $b"
track_mount "$T/m1"
fill_marker "$T/m1/data" 4
sync
before=$(fsum "$img")
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r1" "$a" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "alias of a mounted device: expected exit 4, got $rc ($(cat "$T/err"))"
grep -qx "dispose: $a: device shares its medium with $b: $b is mounted on $T/m1" "$T/err" ||
	die "alias of a mounted device: message: $(cat "$T/err")"
grep -qx "dispose: refused; nothing written" "$T/err" || die "no refusal line: $(cat "$T/err")"
[ "$(fsum "$img")" = "$before" ] || die "the mounted filesystem's image was written"
[ ! -e "$T/r1" ] || die "run dir made"
# dry run and a stacked loop over the alias are refused the same way
"$DISPOSE" erase --yes --dry-run --progress none --method zero "$a" >/dev/null 2>"$T/err"
[ $? = 4 ] || die "dry run of an alias of a mounted device: expected exit 4"
umount "$T/m1" || die "umount"
[ "$(count_marker "$img")" -gt 0 ] || die "filesystem data gone"
ok "a loop device whose alias is mounted is refused; the image is unchanged"

# both aliases named at once: one target named twice
fill_marker "$a" 32
before=$(fsum "$img")
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r2" "$a" "$b" 2>"$T/err"
rc=$?
[ $rc = 2 ] || die "two aliases named: expected exit 2, got $rc ($(cat "$T/err"))"
grep -qx "dispose: $b: reaches the same medium as $a, also named" "$T/err" ||
	die "two aliases named: message: $(cat "$T/err")"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r2" "$b" "$a" 2>"$T/err"
[ $? = 2 ] || die "two aliases named (other order): expected exit 2"
grep -q "$a: reaches the same medium as $b" "$T/err" || die "message: $(cat "$T/err")"
[ "$(fsum "$img")" = "$before" ] || die "written although refused"
[ ! -e "$T/r2" ] || die "run dir made"
# parts of one file: overlapping ranges are one medium, disjoint ones are not
p1=$(losetup -f --show -o $((8 << 20)) --sizelimit $((8 << 20)) "$img") || die "losetup -o"
track_loop "$p1"
p2=$(losetup -f --show -o $((12 << 20)) --sizelimit $((8 << 20)) "$img") || die "losetup -o"
track_loop "$p2"
p3=$(losetup -f --show -o $((16 << 20)) --sizelimit $((8 << 20)) "$img") || die "losetup -o"
track_loop "$p3"
"$DISPOSE" erase --yes --dry-run --progress none --method zero "$p1" "$p2" >/dev/null 2>"$T/err"
[ $? = 2 ] || die "overlapping parts of one file: expected exit 2 ($(cat "$T/err"))"
grep -q "$p2: reaches the same medium as $p1" "$T/err" || die "message: $(cat "$T/err")"
"$DISPOSE" erase --yes --dry-run --progress none --method zero "$p1" "$p3" >/dev/null 2>"$T/err" ||
	die "disjoint parts of one file refused: $(cat "$T/err")"
"$DISPOSE" erase --yes --dry-run --progress none --method zero "$a" "$p3" >/dev/null 2>"$T/err"
[ $? = 2 ] || die "a file and a part of it: expected exit 2"
losetup -d "$p3" "$p2" "$p1"
ok "two names of one medium are one target named twice (exit 2), nothing written"

# a loop device over the block node of a mounted device
x=$(mkloop 32) || die "mkloop"
mkfs.ext4 -q -F "$x" || die "mkfs"
mkdir "$T/m3"
mount "$x" "$T/m3" || die "mount"
track_mount "$T/m3"
fill_marker "$T/m3/data" 4
sync
c=$(losetup -f --show "$x") || die "losetup over $x"
track_loop "$c"
before=$(dsum "$x")
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r3" "$c" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "loop over a mounted device: expected exit 4, got $rc ($(cat "$T/err"))"
grep -qx "dispose: $c: device shares its medium with $x: $x is mounted on $T/m3" "$T/err" ||
	die "loop over a mounted device: message: $(cat "$T/err")"
[ "$(dsum "$x")" = "$before" ] || die "the mounted device was written through the loop"
[ ! -e "$T/r3" ] || die "run dir made"
umount "$T/m3" || die "umount"
ok "a loop device over a mounted device's node is refused; the device is unchanged"

# a loop device over a partition whose sibling partition is mounted
img5=$T/part.img
truncate -s 32M "$img5"
pdev=$(losetup -f --show -P "$img5") || die "losetup -P"
track_loop "$pdev"
printf 'label: dos\n,8M\n,\n' | sfdisk -q "$pdev" >/dev/null 2>&1 || die "sfdisk (scripts/deps.sh check)"
part_nodes "$pdev" 1 2 || die "no partitions ${pdev}p1, ${pdev}p2 after sfdisk"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "${pdev}p2" || die "mkfs p2"
mkdir "$T/m5"
mount "${pdev}p2" "$T/m5" || die "mount p2"
track_mount "$T/m5"
q=$(losetup -f --show "${pdev}p1") || die "losetup over ${pdev}p1"
track_loop "$q"
fill_marker "$q" 4
sync	# through q into p1's cache, then to the disk
# p1 only: the mounted ext4 on p2 may write its own blocks meanwhile
before=$(dsum "${pdev}p1")
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r6" "$q" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "loop over a partition of a disk in use: expected exit 4, got $rc ($(cat "$T/err"))"
grep -qx "dispose: $q: device shares its medium with ${pdev}p1: ${pdev}p2 is mounted on $T/m5" "$T/err" ||
	die "loop over a partition: message: $(cat "$T/err")"
sync
[ "$(dsum "${pdev}p1")" = "$before" ] || die "the disk was written through the loop"
[ ! -e "$T/r6" ] || die "run dir made"
umount "$T/m5" || die "umount"
ok "a loop device over a partition of a disk with a mounted partition is refused"

# a filesystem unmounted lazily stays alive under a loop device over a file on it
y=$(mkloop 32) || die "mkloop"
mkfs.ext4 -q -F "$y" || die "mkfs"
mkdir "$T/m4"
mount "$y" "$T/m4" || die "mount"
truncate -s 4M "$T/m4/inner.img"
l=$(losetup -f --show "$T/m4/inner.img") || die "losetup inner"
track_loop "$l"
fill_marker "$l" 4
umount -l "$T/m4" || die "umount -l"
before=$(dsum "$y")
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r4" "$y" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "device under a lazily unmounted fs in use: expected exit 4, got $rc ($(cat "$T/err"))"
grep -qx "dispose: $y: device is held by $l" "$T/err" || die "message: $(cat "$T/err")"
[ "$(dsum "$y")" = "$before" ] || die "device written under a live loop device"
[ "$(count_marker "$l")" -gt 0 ] || die "the inner loop device lost its data"
ok "a device with a loop device over a file on its (lazily unmounted) filesystem is refused"

# while c (over a, whose alias is b) is erased, a and b cannot be claimed (mounted)
losetup -d "$c"
c=$(losetup -f --show "$a") || die "losetup over $a"
track_loop "$c"
"$DISPOSE" erase --yes --progress none --method zero --verify none \
	--checkpoint-interval 1M --test-delay-ms 1000 --run-dir "$T/r5" "$c" \
	>"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 300); do
	grep -q '"event":"checkpoint"' "$T/r5/events.jsonl" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
grep -q '"event":"checkpoint"' "$T/r5/events.jsonl" 2>/dev/null ||
	die "the erase did not start ($(cat "$T/err"))"
held=$(excl_busy "$a" "$b" "$x")
kill -INT "$pid"
wait "$pid"
rc=$?
[ $rc = 130 ] || die "SIGINT: expected exit 130, got $rc ($(cat "$T/err"))"
# below the target, alias of the target, another medium
[ "$held" = "busy busy free" ] || die "held during the erase: $held (want busy busy free)"
[ "$(excl_busy "$a" "$b")" = "free free" ] || die "still held after the erase ended"
ok "during an erase the rest of its medium is held exclusively, and released after"
