#!/bin/bash
# luks.sh - dispose erase -m crypto-luks on LUKS2 volumes of 1 GiB and 16 GiB
# (sparse image files on loop devices): the time does not grow with the
# volume, since only the header area is destroyed. Printed beside the
# overwrite of the same 1 GiB volume (-m nist-clear: one zero pass, every
# byte read back) and beside `cryptsetup erase` plus a hand-written header
# wipe (dd of header_end random bytes, O_DIRECT, fsync), which leaves no
# proof and no record. Whole-process wall times, median of BENCH_RUNS (3);
# the volume is formatted again (untimed) before each run.
# Usage: tests/bench/luks.sh path/to/dispose   Env: BENCH_RUNS, BENCH_DIR (/var/tmp).
set -u
bin=$(readlink -f "${1:-build/dispose}")
[ -x "$bin" ] || { echo "bench: $bin: not executable" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: luks: needs root (loop devices); skipped"; exit 0; }
command -v cryptsetup >/dev/null || { echo "bench: luks: no cryptsetup; skipped"; exit 0; }
export DISPOSE_METHODS_DIR=${DISPOSE_METHODS_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/profiles/methods}
"$bin" methods crypto-luks >/dev/null 2>&1 ||
	{ echo "bench: $bin: method crypto-luks not found" >&2; exit 1; }
runs=${BENCH_RUNS:-3}
dir=${BENCH_DIR:-/var/tmp}
work=$(mktemp -d /tmp/dispose-bench-luks.XXXXXX)
dev="" img=""
cleanup() {
	for d in $dev; do losetup -d "$d" 2>/dev/null; done
	[ -n "$img" ] && rm -f $img
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# t CMD...: wall seconds of the whole process; the command must succeed
t() {
	local s e
	s=$(date +%s.%N)
	"$@" >"$work/out" 2>&1 || { echo "bench: failed: $*" >&2; cat "$work/out" >&2; echo NaN; return; }
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# a fresh LUKS2 volume on $DEV (untimed); its header area end in $hend
format() {
	printf pw | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$DEV" - >/dev/null || { echo "bench: luksFormat failed" >&2; exit 1; }
	hend=$(cryptsetup luksDump "$DEV" | awk '/^Data segments:/ {f=1} f && /offset:/ {print $2; exit}')
	[ -n "$hend" ] || { echo "bench: no data offset in luksDump" >&2; exit 1; }
}
n=0
cat_args=()
D() {	# D METHOD: the erase, its run directory removed after
	n=$((n + 1))
	"$bin" erase --yes --progress none --method "$1" "${cat_args[@]}" \
		--run-dir "$work/run.$n" "$DEV" && rm -rf "$work/run.$n"
}
HAND() {	# what an admin does without dispose: keyslots, then the header area by hand
	cryptsetup erase --batch-mode "$DEV" &&
		dd if=/dev/urandom of="$DEV" bs=1M count=$((hend / 1048576)) oflag=direct conv=fsync status=none
}

# both volumes attached at once and measured in turn in each round, so that
# writeback from one size does not land in the other's time
img1=$dir/dispose-bench-luks-1.img img16=$dir/dispose-bench-luks-16.img
rm -f "$img1" "$img16"
truncate -s 1G "$img1" && truncate -s 16G "$img16" || exit 1
img="$img1 $img16"
dev1=$(losetup -f --show "$img1") || { echo "bench: losetup failed" >&2; exit 1; }
dev=$dev1
dev16=$(losetup -f --show "$img16") || { echo "bench: losetup failed" >&2; exit 1; }
dev="$dev1 $dev16"
# purge needs a rotational medium: elsewhere ask for clear, the work is the same
[ "$(cat "/sys/block/${dev1#/dev/}/queue/rotational" 2>/dev/null)" = 1 ] || cat_args=(--category clear)
c1=() c16=() o=() h=()
for i in $(seq "$runs"); do
	for g in 1 16; do
		v=dev$g
		DEV=${!v}
		format
		tt=$(t D crypto-luks)
		cryptsetup isLuks "$DEV" && { echo "bench: $DEV: still LUKS after crypto-luks" >&2; exit 1; }
		if [ "$g" = 1 ]; then c1+=("$tt"); else c16+=("$tt"); fi
	done
done
DEV=$dev1
for i in $(seq "$runs"); do
	format
	h+=("$(t HAND)")
	o+=("$(t D nist-clear)")
done
m1=$(median "${c1[@]}") m16=$(median "${c16[@]}") mo=$(median "${o[@]}") mh=$(median "${h[@]}")
echo "LUKS2 on loop devices over sparse images in $dir (header area $((hend / 1048576)) MiB), runs=$runs"
printf '  dispose crypto-luks  1 GiB           %.3fs\n' "$m1"
printf '  dispose crypto-luks 16 GiB           %.3fs  16 GiB / 1 GiB: %s (goal: about 1, under a second)\n' \
	"$m16" "$(ratio "$m16" "$m1")"
printf '  dispose nist-clear (overwrite) 1 GiB %.3fs  crypto-luks is %sx faster\n' "$mo" "$(ratio "$mo" "$m1")"
printf '  cryptsetup erase + dd header wipe    %.3fs  crypto-luks / this: %s (no read-back, no proof, no record)\n' \
	"$mh" "$(ratio "$m1" "$mh")"
