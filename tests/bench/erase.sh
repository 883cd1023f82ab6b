#!/bin/bash
# erase.sh - dispose erase throughput against dd, shred and nwipe on the same
# loop device, once backed by a file in /dev/shm and once by a file on disk
# (/var/tmp). Whole-process wall times, tools alternated in each round,
# median of BENCH_RUNS (7) after one warm-up write. Prints ratios against
#   W: dd if=/dev/zero of=DEV bs=4M count=N oflag=direct conv=fsync
#   R: dd if=DEV of=/dev/null bs=4M count=N iflag=direct
# (1.00 = as fast as dd). nwipe takes ~40 s per 2 GiB, so it runs
# BENCH_SLOW_RUNS (1) times. Usage: tests/bench/erase.sh path/to/dispose
# Env: BENCH_SIZE_MIB (2048), BENCH_RUNS (7), BENCH_SLOW_RUNS (1), BENCH_BACKINGS.
set -u
bin=$(readlink -f "${1:-build/dispose}")
[ -x "$bin" ] || { echo "bench: $bin: not executable" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench: erase: needs root (loop devices); skipped"; exit 0; }
# methods come from this tree unless told otherwise (the binary may be a copy)
export DISPOSE_METHODS_DIR=${DISPOSE_METHODS_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/profiles/methods}
"$bin" methods zero >/dev/null 2>&1 && "$bin" methods random >/dev/null 2>&1 ||
	{ echo "bench: $bin: methods zero/random not found" >&2; exit 1; }
size=${BENCH_SIZE_MIB:-2048}
runs=${BENCH_RUNS:-7}
slow=${BENCH_SLOW_RUNS:-1}
count=$((size / 4))
work=$(mktemp -d /tmp/dispose-bench.XXXXXX)
dev="" img=""
cleanup() {
	[ -n "$dev" ] && losetup -d "$dev" 2>/dev/null
	[ -n "$img" ] && rm -f "$img"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# t CMD...: wall seconds of the whole process; the command must succeed
t() {
	local s e
	s=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; echo NaN; return; }
	e=$(date +%s.%N)
	awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f\n", e - s }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

W() { dd if=/dev/zero of="$dev" bs=4M count="$count" oflag=direct conv=fsync status=none; }
R() { dd if="$dev" of=/dev/null bs=4M count="$count" iflag=direct status=none; }
n=0
D() {	# D METHOD VERIFY
	n=$((n + 1))
	"$bin" erase --yes --progress none --method "$1" --verify "$2" \
		--run-dir "$work/run.$n" "$dev" && rm -rf "$work/run.$n"
}
SHRED() { shred -n 1 "$dev"; }
NWIPE() { (cd "$work" && nwipe --autonuke --nogui --noblank --verify=off --method=zero "$dev"); }

for backing in ${BENCH_BACKINGS:-shm disk}; do
	case $backing in
	shm) img=/dev/shm/dispose-bench.img ;;
	disk) img=/var/tmp/dispose-bench.img ;;
	esac
	rm -f "$img"
	truncate -s "${size}M" "$img" || exit 1
	dev=$(losetup -f --show "$img") || { echo "bench: losetup failed" >&2; exit 1; }
	W	# warm: the first write to a fresh file allocates its pages
	D zero none >/dev/null 2>"$work/warm.err" ||
		{ cat "$work/warm.err" >&2; echo "bench: dispose erase fails on $dev" >&2; exit 1; }
	w=() r=() z=() x=() zv=() xv=() sh=() nw=()
	for i in $(seq "$runs"); do
		w+=("$(t W)")
		z+=("$(t D zero none)")
		r+=("$(t R)")
		x+=("$(t D random none)")
		zv+=("$(t D zero last)")
		xv+=("$(t D random last)")
		if [ "$i" -le "$slow" ]; then
			sh+=("$(t SHRED)")
			command -v nwipe >/dev/null && nw+=("$(t NWIPE)")
		fi
	done
	mw=$(median "${w[@]}") mr=$(median "${r[@]}")
	mz=$(median "${z[@]}") mx=$(median "${x[@]}")
	mzv=$(median "${zv[@]}") mxv=$(median "${xv[@]}")
	msh=$( [ ${#sh[@]} -gt 0 ] && median "${sh[@]}")
	rss=$( { /usr/bin/time -v "$bin" erase --yes --progress none --method random \
		--verify last --run-dir "$work/rss" "$dev" >/dev/null; } 2>&1 |
		awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}')
	# how the random read-back compared: "stream" (VAES) or "chunk-digest+stream"
	cmp=$(grep -ho '"compare":"[^"]*"' "$work"/rss/events.jsonl 2>/dev/null | head -1 | cut -d'"' -f4)
	rm -rf "$work/rss"
	wr=$(awk -v a="$mw" -v b="$mr" 'BEGIN { print a + b }')
	echo "backing=$backing size=${size}MiB runs=$runs (slow tools: $slow)"
	printf '  W %.3fs  R %.3fs\n' "$mw" "$mr"
	printf '  zero pass          %.3fs  ratio %s (goal >= 0.95)\n' "$mz" "$(ratio "$mw" "$mz")"
	if [ "$backing" = shm ]; then g=0.70; else g=0.90; fi
	printf '  random pass        %.3fs  ratio %s (goal >= %s)\n' "$mx" "$(ratio "$mw" "$mx")" "$g"
	printf '  zero + verify last %.3fs  ratio %s vs W+R (goal >= 0.95)\n' "$mzv" "$(ratio "$wr" "$mzv")"
	printf '  random + verify    %.3fs  ratio %s vs W+R (goal >= 0.85; compare: %s)\n' \
		"$mxv" "$(ratio "$wr" "$mxv")" "${cmp:-unknown}"
	[ ${#sh[@]} -gt 0 ] &&
		printf '  shred -n 1         %.3fs  ratio %s\n' "$msh" "$(ratio "$mw" "$msh")"
	if [ ${#nw[@]} -gt 0 ]; then
		mnw=$(median "${nw[@]}")
		printf '  nwipe zero         %.3fs  ratio %s\n' "$mnw" "$(ratio "$mw" "$mnw")"
	fi
	echo "  dispose peak RSS (random, verify last): ${rss} KiB"
	losetup -d "$dev"
	dev=""
	rm -f "$img"
	img=""
done
