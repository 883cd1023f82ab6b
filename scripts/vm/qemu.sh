#!/bin/sh
# qemu.sh - boot the check-vm guest under TCG with one emulated NVMe
# controller (serial dsp-vm-1) whose namespaces 1, 2, ... are backed by the
# IMAGEs (regular files the test made: never a host device; namespace n has
# EUI-64 01:02:03:04:05:06:07:0n), and copy its
# serial console to LOG. Exits with qemu's status, 124 on timeout.
# Usage: scripts/vm/qemu.sh KERNEL INITRD LOG TIMEOUT_S IMAGE...
set -eu
kernel=${1:?usage: qemu.sh KERNEL INITRD LOG TIMEOUT_S IMAGE...}
initrd=${2:?}
log=${3:?}
tmo=${4:?}
shift 4
[ $# -ge 1 ] || { echo "dispose: qemu.sh: no image" >&2; exit 2; }
set -- "$@" --
n=0
for image; do
	[ "$image" = -- ] && break
	shift
	if [ ! -f "$image" ] || [ -L "$image" ]; then
		echo "dispose: $image: not a regular image file: refused" >&2
		exit 4
	fi
	n=$((n + 1))
	set -- "$@" -drive "file=$image,if=none,id=n$n,format=raw" \
		-device "nvme-ns,bus=c0,drive=n$n,nsid=$n,eui64=$((0x0102030405060700 + n))"
done
shift	# the --
exec timeout -k 10 "$tmo" qemu-system-x86_64 -machine q35 -accel tcg -m 1G -smp 1 \
	-nographic -no-reboot -nodefaults -serial stdio -nic none \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet" \
	-device nvme,id=c0,serial=dsp-vm-1 "$@" \
	</dev/null >"$log" 2>&1
