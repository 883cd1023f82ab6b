#!/bin/sh
# qemu.sh - boot the check-vm guest under TCG with one emulated NVMe disk
# backed by IMAGE (a regular file the test made: never a host device) and
# copy its serial console to LOG. Exits with qemu's status, 124 on timeout.
# Usage: scripts/vm/qemu.sh KERNEL INITRD IMAGE LOG TIMEOUT_S
set -eu
kernel=${1:?usage: qemu.sh KERNEL INITRD IMAGE LOG TIMEOUT_S}
initrd=${2:?}
image=${3:?}
log=${4:?}
tmo=${5:?}
if [ ! -f "$image" ] || [ -L "$image" ] || [ -b "$image" ]; then
	echo "dispose: $image: not a regular image file: refused" >&2
	exit 4
fi
exec timeout -k 10 "$tmo" qemu-system-x86_64 -machine q35 -accel tcg -m 1G -smp 1 \
	-nographic -no-reboot -nodefaults -serial stdio -nic none \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet" \
	-drive "file=$image,if=none,id=n0,format=raw" \
	-device nvme,serial=dsp-vm-1,drive=n0 \
	</dev/null >"$log" 2>&1
