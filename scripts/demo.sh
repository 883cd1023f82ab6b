#!/bin/bash
# demo.sh - a two-minute tour of dispose erase on a scratch image.
# Usage: scripts/demo.sh [path/to/dispose]
# As root the 64 MiB image is attached as a loop device and the device is
# erased; otherwise the image file itself is erased as a file target.
# The run record is kept: its directory and the erase's verdict are the last
# lines printed, so it can be opened afterwards.
set -u
bin=$(readlink -f "${1:-build/dispose}")
[ -x "$bin" ] || { echo "demo: $bin: not executable (run make first)" >&2; exit 2; }
for c in python3 grep dd cut; do
	command -v "$c" >/dev/null ||
		{ echo "demo: $c: not installed (scripts/deps.sh demo installs it)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/dispose-demo.XXXXXX)
loop=""
keep=""		# set once the erase has written its record
cleanup() {
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	if [ -n "$keep" ]; then
		rm -f "$work/disk.img"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
marker=DISPOSE-DEMO-MARKER
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "a 64 MiB scratch image full of a marker"
python3 - "$work/disk.img" "$marker" <<'PY'
import sys
m = sys.argv[2].encode()
blk = (m * ((1 << 20) // len(m) + 1))[:1 << 20]
with open(sys.argv[1], "wb") as f:
    for _ in range(64):
        f.write(blk)
PY
[ -s "$work/disk.img" ] || { echo "demo: $work/disk.img: cannot make the scratch image" >&2; exit 1; }
target=$work/disk.img
if [ "$(id -u)" != 0 ]; then
	echo "not root: erasing the image file itself"
elif loop=$(losetup -f --show "$work/disk.img"); then
	target=$loop
	echo "attached as $loop"
else
	loop=""
	echo "no loop device to attach (see above): erasing the image file itself"
fi
echo "marker occurrences: $(grep -a -o "$marker" "$target" | wc -l)"

say "the overwrite methods"
run "$bin" methods

say "what would happen (--dry-run writes nothing)"
run "$bin" erase --dry-run --method dod-5220-22m "$target"

say "erase with every byte of the last pass read back"
# its output is shown again at the end: the verdict and where the record is
erase=("$bin" erase --yes --method dod-5220-22m --verify last --run-dir "$work/run")
[ -t 2 ] && erase+=(--progress bar)	# stderr goes through tee: keep the bar
erase+=("$target")
printf '$ %s\n' "${erase[*]}"
"${erase[@]}" > >(tee "$work/erase.out") 2> >(tee "$work/erase.err" >&2)
rc=$?
wait
[ -e "$work/run/events.jsonl" ] && keep=1
[ "$rc" = 0 ] || { echo "demo: erase failed (exit $rc)" >&2; exit 1; }

say "the run record (first lines, then the target's end)"
cut -c1-160 "$work/run/events.jsonl" | head -4
grep '"event":"target_end"' "$work/run/events.jsonl"

say "the marker is gone"
if [ -n "$loop" ]; then
	count=$(dd if="$loop" bs=1M iflag=direct status=none | grep -a -o "$marker" | wc -l)
else
	# a file target is overwritten and removed: nothing left to read
	[ -e "$target" ] && count=$(grep -a -o "$marker" "$target" | wc -l) || count=0
	echo "$target removed: $([ -e "$target" ] && echo no || echo yes)"
fi
echo "marker occurrences: $count"
[ "$count" = 0 ] || { echo "demo: marker still there" >&2; exit 1; }

say "the hash chain verifies (python3 hashlib, independent of dispose)"
python3 - "$work/run/events.jsonl" <<'PY' || exit 1
import hashlib, json, sys
prev = "0" * 64
for n, raw in enumerate(open(sys.argv[1], "rb"), 1):
    line = raw.rstrip(b"\n")
    ev = json.loads(line)
    if ev["prev"] != prev or ev["seq"] != n:
        sys.exit(f"chain broken at line {n}")
    prev = hashlib.sha256(line).hexdigest()
print(f"{n} events, chain intact, head {prev}")
PY
say "done: the erase's verdict, and its run record (kept)"
# the verdict lines (one per target, "t1 ..."), without the progress drawing
tr '\r' '\n' <"$work/erase.err" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' | grep -E '^t[0-9]+ '
cat "$work/erase.out"
echo "open it with: less $work/run/events.jsonl"
