#!/bin/sh
# initramfs.sh - the check-vm guest's initramfs: a static busybox, INIT as
# /init, each FILE in /bin with the shared libraries ldd names, and the nvme
# driver's modules (load order in /modules.list) from the unpacked kernel.
# A FILE given as HOSTPATH=GUESTPATH is copied there as it is (data).
# Usage: scripts/vm/initramfs.sh OUT.cpio.gz KERNEL_ROOT INIT FILE...
set -eu
out=${1:?usage: initramfs.sh OUT KERNEL_ROOT INIT FILE...}
kroot=${2:?}
init=${3:?}
shift 3
busybox=$(command -v busybox || true)
if [ -z "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "dispose: initramfs.sh: a static busybox is needed (scripts/deps.sh vm)" >&2
	exit 1
fi
ver=$(ls "$kroot/lib/modules" | head -n 1)
stage=$(mktemp -d "${TMPDIR:-/tmp}/dispose-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
mkdir -p "$stage/bin" "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/run" \
	"$stage/etc" "$stage/var/tmp"
cp "$busybox" "$stage/bin/busybox"
cp "$init" "$stage/init"
chmod 0755 "$stage/init"

copy_lib() {	# keep the path: the loader and the binaries' RUNPATHs find them there
	[ -e "$stage$1" ] && return 0
	mkdir -p "$stage$(dirname "$1")"
	cp -L "$1" "$stage$1"
}
for f in "$@"; do
	case $f in
	*=/*)
		mkdir -p "$stage$(dirname "${f#*=}")"
		cp "${f%%=*}" "$stage${f#*=}"
		continue ;;
	esac
	cp "$f" "$stage/bin/$(basename "$f")"
	ldd "$f" | awk '/=> \//{print $3} /^\t\//{print $1}' | while read -r lib; do
		copy_lib "$lib"
	done
done

# the nvme driver and what it depends on, in load order, once each
modprobe -d "$kroot" -S "$ver" --show-depends nvme 2>/dev/null | awk '$1=="insmod"{print $2}' |
	awk '!seen[$0]++' | while read -r m; do
		rel=${m#"$kroot"/}
		mkdir -p "$stage/$(dirname "$rel")"
		cp "$m" "$stage/$rel"
		echo "$rel" >>"$stage/modules.list"
	done
touch "$stage/modules.list"
[ -s "$stage/modules.list" ] || grep -q '/nvme/host/nvme.ko$' "$kroot/lib/modules/$ver/modules.builtin" ||
	{ echo "dispose: initramfs.sh: no nvme module in $kroot" >&2; exit 1; }
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
