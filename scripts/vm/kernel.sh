#!/bin/sh
# kernel.sh - a Debian kernel for the check-vm guest, fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into a cache directory.
# Never installed on the host: nothing under /boot or /lib/modules changes.
# Usage: scripts/vm/kernel.sh CACHEDIR   prints the unpacked root's path
# ($DISPOSE_VM_KERNEL_PKG picks the package; default: what linux-image-amd64 depends on)
set -eu
cache=${1:?usage: kernel.sh CACHEDIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
pkg=${DISPOSE_VM_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		# an old or missing package list: refresh it once
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	fi
fi
case $pkg in
linux-image-*-amd64) ;;
*) echo "dispose: kernel.sh: no linux-image-*-amd64 package found (apt-cache depends linux-image-amd64)" >&2; exit 1 ;;
esac
root=$cache/$pkg
if [ ! -f "$root/.done" ]; then
	rm -rf "$root" "$cache/dl"
	mkdir -p "$cache/dl"
	# apt's _apt user must be able to write the download directory
	chmod 0777 "$cache/dl"
	(cd "$cache/dl" && apt-get download -q "$pkg" >&2)
	deb=$(ls "$cache/dl"/"$pkg"_*.deb | head -n 1)
	dpkg-deb -x "$deb" "$root"
	rm -rf "$cache/dl"
	ver=${pkg#linux-image-}
	[ -f "$root/boot/vmlinuz-$ver" ] || { echo "dispose: kernel.sh: $pkg has no boot/vmlinuz-$ver" >&2; exit 1; }
	# modules.dep for this tree only (-b: the unpacked root, not the host's)
	depmod -b "$root" "$ver"
	touch "$root/.done"
fi
echo "$root"
