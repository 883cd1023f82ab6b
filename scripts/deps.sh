#!/bin/sh
# deps.sh - install the Debian packages dispose needs to build, test and demo.
# Usage: scripts/deps.sh [build|check|demo|bench|vm]
set -e
what=${1:-build}
pkgs="make gcc pkg-config libblkid-dev libssl-dev libarchive-dev libjson-c-dev \
libcryptsetup-dev libxxhash-dev libacl1-dev libudev-dev libudev1 libsmartcols-dev zstd libarchive-tools util-linux \
e2fsprogs libpango1.0-dev libcairo2-dev libqrencode-dev libpoppler-glib-dev \
fonts-dejavu-core fonts-wqy-microhei"
case $what in
check) pkgs="$pkgs libcmocka-dev clang libclang-rt-dev mandoc cryptsetup-bin \
openssl openssh-client gnupg acl attr putty-tools default-jdk-headless \
python3 python3-jsonschema dosfstools fdisk btrfs-progs poppler-utils zbar-tools \
debhelper dpkg-dev lintian fakeroot ansible-core" ;;
# the demo: python3 makes the files and images; losetup is in mount; a LUKS2
# volume (cryptsetup), SSH and TLS keys, and the stock openssl checks
demo) pkgs="$pkgs python3 mount grep coreutils diffutils cryptsetup-bin openssl openssh-client" ;;
bench) pkgs="$pkgs hyperfine nwipe coreutils time openssl cryptsetup-bin" ;;
# make check-vm: qemu (TCG), a static busybox and cpio for the initramfs; the
# guest kernel is fetched by scripts/vm/kernel.sh (apt-get download), never installed
vm) pkgs="$pkgs qemu-system-x86 busybox-static cpio kmod" ;;
esac
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "dispose: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "dispose: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
apt-get install -y -qq --no-install-recommends $missing >/dev/null
