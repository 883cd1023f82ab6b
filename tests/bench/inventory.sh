#!/bin/bash
# inventory.sh - benchmark dispose inventory: key scan against grep on /usr,
# and peak memory of a data walk over a synthetic tree of N small files.
# Usage: tests/bench/inventory.sh build/dispose   (INV_BENCH_N=1000000, INV_BENCH_KEYROOT=/usr)
set -u
DISPOSE=${1:-build/dispose}
N=${INV_BENCH_N:-1000000}
KEYROOT=${INV_BENCH_KEYROOT:-/usr}
LIMIT_KIB=$((256 * 1024))
[ -x "$DISPOSE" ] || { echo "inventory bench: $DISPOSE: not executable" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "inventory bench: /usr/bin/time missing (apt install time)" >&2; exit 2; }
W=$(mktemp -d /tmp/dispose-bench-inv.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail=0

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }

# 1. key scan: same tree, same run, warm cache for both (each is run once first)
"$DISPOSE" inventory --keys --root "$KEYROOT" -o /dev/null 2>/dev/null
grep -rlI -e 'PRIVATE KEY' "$KEYROOT" >/dev/null 2>&1
best_d=999999 best_g=999999
for i in 1 2 3; do
	t0=$(now); "$DISPOSE" inventory --keys --root "$KEYROOT" -o "$W/keys.json" 2>/dev/null; t1=$(now)
	d=$(secs "$t0" "$t1")
	t0=$(now); grep -rlI -e 'PRIVATE KEY' "$KEYROOT" >"$W/grep.txt" 2>/dev/null; t1=$(now)
	g=$(secs "$t0" "$t1")
	best_d=$(python3 -c "print(min($best_d, $d))")
	best_g=$(python3 -c "print(min($best_g, $g))")
done
ratio=$(python3 -c "print(f'{$best_g / max($best_d, 1e-6):.2f}')")
nkeys=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['keys']))" "$W/keys.json")
echo "inventory keys: dispose ${best_d}s ($nkeys keys) vs grep -rlI ${best_g}s ($(wc -l <"$W/grep.txt") files) on $KEYROOT: ratio $ratio (>= 1.00 wanted)"
python3 -c "import sys; sys.exit(0 if $ratio >= 1.0 else 1)" || fail=1

# 2. memory: N small files in 1000-file directories
echo "inventory memory: making $N files ..."
python3 - "$W/tree" "$N" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
per = 1000
for d in range((n + per - 1) // per):
    p = os.path.join(root, "d%04d" % (d // 100), "e%02d" % (d % 100))
    os.makedirs(p, exist_ok=True)
    for f in range(min(per, n - d * per)):
        fd = os.open(os.path.join(p, "f%04d" % f), os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b"x")
        os.close(fd)
PY
for mode in "--data" "--data --keys --hash"; do
	t0=$(now)
	/usr/bin/time -v "$DISPOSE" inventory $mode --root "$W/tree" -o "$W/doc.json" 2>"$W/time.txt"
	rc=$?
	t1=$(now)
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/time.txt")
	files=$(grep -o '"files":[0-9]*' "$W/doc.json" | tail -1 | cut -d: -f2)
	echo "inventory memory ($mode): $files entries in $(secs "$t0" "$t1")s, peak RSS $((rss / 1024)) MiB (limit 256 MiB), exit $rc, $(du -m "$W/doc.json" | cut -f1) MiB of JSON"
	[ "$rc" -eq 0 ] && [ "$rss" -lt "$LIMIT_KIB" ] || fail=1
done
rm -f "$W/doc.json"
exit $fail
