#!/bin/bash
# archive.sh - `dispose archive create` with one recipient (write + full
# decrypting read-back) against `tar | zstd | openssl cms -encrypt -stream`
# (write only) on the same mixed tree. Prints times, peak memory and the ratio
# stock/ours (>= 1.0 means we are as fast or faster).
# Both run ARCHIVE_BENCH_RUNS times (default 5), alternating, whole processes
# timed; medians are compared. The machine's load is printed with each run.
# Usage: tests/bench/archive.sh [build/dispose]   ARCHIVE_BENCH_MIB=2048 default,
# ARCHIVE_BENCH_FILES=200000 (files for the memory part; 0 skips it)
set -e
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DISPOSE=$(realpath "${1:-$SRC/build/dispose}")
MIB=${ARCHIVE_BENCH_MIB:-2048}
for c in tar zstd openssl python3 /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "archive bench: needs $c" >&2; exit 77; }
done
# tmpfs when it has room, so the disk does not decide
base=/dev/shm
avail=$(df -Pm "$base" 2>/dev/null | awk 'NR==2{print $4}')
[ -n "$avail" ] && [ "$avail" -gt $((MIB * 4)) ] || base=${TMPDIR:-/tmp}
T=$(mktemp -d "$base/dsp-arcbench.XXXXXX")
trap 'rm -rf "$T"' EXIT
S=$T/tree

# many small files, some large (half incompressible, half text-like), some sparse
python3 - "$S" "$MIB" <<'PY'
import base64, os, random, sys
root, mib = sys.argv[1], int(sys.argv[2])
total = mib << 20
rnd = random.Random(42)
def text(n):
    return base64.b64encode(os.urandom(n * 3 // 4 + 3))[:n]
def write(p, n, kind):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, 'wb') as f:
        while n > 0:
            c = min(n, 4 << 20)
            f.write(os.urandom(c) if kind == 'rand' else text(c))
            n -= c
small = total * 25 // 100
i = 0
while small > 0:
    n = rnd.randint(1, 32) << 10
    write('%s/small/d%03d/f%05d.%s' % (root, i // 500, i, 'bin' if i % 2 else 'txt'), n,
          'rand' if i % 2 else 'text')
    small -= n; i += 1
large = total * 65 // 100
j = 0
while large > 0:
    n = min(large, rnd.randint(64, 256) << 20)
    write('%s/large/big%02d.%s' % (root, j, 'bin' if j % 2 else 'log'), n, 'rand' if j % 2 else 'text')
    large -= n; j += 1
sparse = total * 10 // 100
os.makedirs(root + '/sparse', exist_ok=True)
for k in range(3):
    p = '%s/sparse/disk%d.img' % (root, k)
    with open(p, 'wb') as f:
        f.truncate(sparse // 3 * 4)
        for off in range(0, sparse // 3 * 4, 4 << 20):
            if (off >> 22) % 4 == 1:
                f.seek(off); f.write(os.urandom(4 << 20))
print('tree: %d small files, %d large, 3 sparse' % (i, j), file=sys.stderr)
PY

cd "$T"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -noenc \
	-keyout r.key -out r.crt -subj /CN=bench -days 2 2>/dev/null
sync
run() {	# NAME CMD...: elapsed s, max RSS KiB, user s, sys s appended to NAME.t
	local n=$1; shift
	/usr/bin/time -f '%e %M %U %S' -a -o "$n.t" "$@"
}
median() {	# FILE COLUMN
	awk -v c="$2" '{print $c}' "$1" | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'
}
cpu() {	# FILE: user+sys per run
	awk '{print $3 + $4}' "$1" | sort -n | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'
}
RUNS=${ARCHIVE_BENCH_RUNS:-5}
: > stock.t
: > ours.t
for i in $(seq "$RUNS"); do
	rm -rf stock.der "$T/run" "$T"/ours.tar.zst.enc*
	echo "  run $i: load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	run stock bash -o pipefail -c "tar --sparse --xattrs --acls -cf - -C / '${S#/}' | zstd -3 -q -c |
		openssl cms -encrypt -binary -aes-256-gcm -stream -outform DER -recip r.crt \
		-keyopt ecdh_kdf_md:sha256 -out stock.der"
	run ours "$DISPOSE" archive create -v -v --root "$S" --recipient r.crt --run-dir "$T/run" \
		-o "$T/ours.tar.zst.enc" > ours.out 2> ours.err ||
		{ cat ours.err >&2; grep -q 'not available' ours.err && exit 77; exit 1; }
	printf '    stock %6.2f s  ours %6.2f s  (%s)\n' "$(tail -1 stock.t | cut -d' ' -f1)" \
		"$(tail -1 ours.t | cut -d' ' -f1)" \
		"$(grep -h 'read back in' ours.err | sed 's/^dispose: [^:]*: //')" >&2
done
# the memory of the pipeline is the sum of its processes; report the largest
st=$(median stock.t 1); sm=$(median stock.t 2); sc=$(cpu stock.t)
ot=$(median ours.t 1); om=$(median ours.t 2); oc=$(cpu ours.t)
du -sm --apparent-size "$S" | awk '{printf "archive bench: tree %s MiB apparent", $1}'
du -sm "$S" | awk '{printf " (%s MiB on disk) on '"$base"', median of '"$RUNS"' runs\n", $1}'
printf '  stock tar|zstd -3|openssl cms -stream   %7.2f s  cpu %6.2f s  maxRSS %6d KiB (largest process)  %s bytes\n' \
	"$st" "$sc" "$sm" "$(stat -c %s stock.der)"
printf '  dispose archive create (+read-back)      %7.2f s  cpu %6.2f s  maxRSS %6d KiB  %s bytes\n' \
	"$ot" "$oc" "$om" "$(stat -c %s ours.tar.zst.enc)"
awk -v a="$st" -v b="$ot" -v m="$om" 'BEGIN{ if (b < 0.01) b = 0.01;
	printf "  ratio stock/ours %.2f (want >= 1.0); peak memory %.1f MiB (want < 128)\n", a / b, m / 1024 }'

# memory against the number of files: many tiny files, create (plain and
# encrypted) and verify; ARCHIVE_BENCH_FILES=0 skips this part
NF=${ARCHIVE_BENCH_FILES:-200000}
[ "$NF" -gt 0 ] || exit 0
rm -rf "$S" stock.der "$T"/ours.tar.zst.enc* "$T/run"	# room on tmpfs
python3 - "$T/many" "$NF" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = '%s/d%04d' % (root, i // 1000)
    if i % 1000 == 0:
        os.makedirs(d)
    with open('%s/file-with-a-longish-name-%07d.txt' % (d, i), 'w') as f:
        f.write('x' * (i % 300))
PY
mem() {	# OUT CMD...: peak RSS in KiB, or exit on failure
	local o=$1; shift
	/usr/bin/time -f '%M' -o "$o" "$@" >/dev/null 2>"$o.err" ||
		{ cat "$o.err" >&2; exit 1; }
	cat "$o"
}
mp=$(mem m1 "$DISPOSE" archive create --root "$T/many" --run-dir "$T/run" -o "$T/many.tar.zst")
me=$(mem m2 "$DISPOSE" archive create --root "$T/many" --recipient r.crt --run-dir "$T/run" \
	-o "$T/many-enc.tar.zst.enc")
mv=$(mem m3 "$DISPOSE" archive verify "$T/many.tar.zst")
awk -v n="$NF" -v a="$mp" -v b="$me" -v c="$mv" 'BEGIN{
	printf "archive memory: %d files: create %.1f MiB plain, %.1f MiB encrypted; verify %.1f MiB (want < 128)\n",
		n, a / 1024, b / 1024, c / 1024 }'
