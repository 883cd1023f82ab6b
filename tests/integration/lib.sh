# lib.sh - shared helpers for integration tests (sourced).
# Every resource a test makes is registered and removed by the EXIT trap,
# even when the test fails: loop devices, mounts, image files, temp dirs.
set -u
T=$(mktemp -d /tmp/dispose-it.XXXXXX)
# Registrations go to files, not arrays: mkloop is called as $(mkloop ...),
# a subshell whose array changes would be lost (and the loop leaked).
: >"$T/.loops"; : >"$T/.mounts"; : >"$T/.nodes"
cleanup() {
	local m l
	# NUL-separated: a mount point's name may hold a newline (t_name_inject)
	local -a ms=()
	mapfile -d '' -t ms <"$T/.mounts" 2>/dev/null
	for ((l = ${#ms[@]} - 1; l >= 0; l--)); do umount -l "${ms[l]}" 2>/dev/null; done
	# partition nodes part_nodes made: a stale one could name another device later
	while read -r m; do [ -b "$m" ] && rm -f "$m"; done <"$T/.nodes" 2>/dev/null
	# each once: a second detach could hit someone else's new device
	while read -r l; do
		partx -d "$l" >/dev/null 2>&1
		losetup -d "$l" 2>/dev/null
	done < <(tac "$T/.loops" 2>/dev/null | awk '!seen[$0]++')
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skip: $*"; exit 77; }
ok() { echo "ok: $*"; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

# mkloop SIZE_MIB [FILE] -> prints the loop device; image at $T/img.N or FILE
mkloop() {
	local size=$1 img=${2:-$T/img.$RANDOM} dev
	truncate -s "${size}M" "$img" || return 1
	dev=$(losetup -f --show "$img") || skip "losetup unavailable"
	echo "$dev" >>"$T/.loops"
	echo "$dev"
}
# part_nodes DEV N...: make sure the partition nodes DEVpN exist (after
# sfdisk on a loop device attached with -P): ask the kernel and udev, wait
# for devtmpfs, then make a missing node from sysfs (a /dev without udev);
# nodes made here are removed by cleanup. Fails only if the kernel has no
# such partition.
part_nodes() {
	local dev=$1 name p sys n _
	name=$(basename "$dev")
	shift
	partx -u "$dev" 2>/dev/null || partx -a "$dev" 2>/dev/null
	udevadm settle 2>/dev/null
	for n in "$@"; do
		p=${dev}p$n
		sys=/sys/block/$name/${name}p$n/dev
		for _ in $(seq 20); do [ -b "$p" ] && break; sleep 0.1; done
		[ -b "$p" ] && continue
		[ -r "$sys" ] || return 1
		if mknod "$p" b "$(cut -d: -f1 "$sys")" "$(cut -d: -f2 "$sys")" 2>/dev/null; then
			echo "$p" >>"$T/.nodes"
		fi
		[ -b "$p" ] || return 1
	done
}

# register an already attached loop device / mountpoint for cleanup
track_loop() { echo "$1" >>"$T/.loops"; }
track_mount() { printf '%s\0' "$1" >>"$T/.mounts"; }

# fill_marker DEV|FILE SIZE_MIB: write a recognisable marker everywhere
MARKER=DISPOSE-MARKER-7f3a9c
fill_marker() {
	python3 - "$1" "$2" "$MARKER" <<'PY'
import os, sys
path, mib, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
block = (marker * (1 + (1 << 20) // len(marker)))[:1 << 20]
with open(path, "r+b" if os.path.exists(path) else "wb") as f:
    for _ in range(mib):
        f.write(block)
PY
}
# count_marker FILE: how many times the marker appears (reads raw bytes)
count_marker() { grep -c -a -o "$MARKER" "$1" 2>/dev/null || true; }

# expect_exit CODE CMD...: run and check the exit code
expect_exit() {
	local want=$1; shift
	"$@"; local rc=$?
	[ "$rc" -eq "$want" ] || die "expected exit $want, got $rc: $*"
}
