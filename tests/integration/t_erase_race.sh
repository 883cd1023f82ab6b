#!/bin/bash
# t_erase_race.sh - a path whose parent directory is swapped with a symlink
# to a victim (renameat2 RENAME_EXCHANGE, from python3 ctypes) in a tight
# loop while dispose erases it, over and over for a fixed time. Whatever the
# timing: the victim tree's bytes never change, every run ends in success
# (the real tree erased) or a refusal (exit 4), never anything else.
. "$(dirname "$0")/lib.sh"
W=$T/w
SECS=${RACE_SECS:-20}
python3 -c 'import ctypes; ctypes.CDLL(None).renameat2' 2>/dev/null || skip "no renameat2 in libc"

# a = the real directory, s = a symlink to v (the victim); the target is a/tree
mkdir -p "$W/a" "$W/v/tree/sub"
ln -s v "$W/s"
for f in x y sub/z; do
	python3 -c 'import sys; open(sys.argv[1], "wb").write(b"victim!\n" * 8192)' "$W/v/tree/$f"
done
vsum=$(cd "$W/v" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)

# swapper DIR: exchange a and s until killed; a second RENAME_EXCHANGE undoes the first
cat >"$T/swap.py" <<'PY'
import ctypes, os, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
RENAME_EXCHANGE = 2
n = 0
def done(*_):
    # leave a as the real directory
    if os.path.islink(os.path.join(sys.argv[1], "a")):
        libc.renameat2(fd, b"a", fd, b"s", RENAME_EXCHANGE)
    print(n)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
open(sys.argv[2], "w").close()	# ready: handler in place
while True:
    if libc.renameat2(fd, b"a", fd, b"s", RENAME_EXCHANGE) != 0:
        sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
    n += 1
    time.sleep(0.0002)
PY

end=$(( $(date +%s) + SECS ))
runs=0 erased=0 refused=0 swaps=0 i=0
while [ "$(date +%s)" -lt "$end" ]; do
	i=$((i + 1))
	[ -L "$W/a" ] && die "a left as the symlink"
	rm -rf "$W/a/tree"
	mkdir -p "$W/a/tree/sub"
	for f in x y sub/z; do
		head -c 65536 /dev/urandom >"$W/a/tree/$f"
	done
	rm -f "$T/ready"
	python3 "$T/swap.py" "$W" "$T/ready" >"$T/swaps" 2>"$T/swap.err" &
	spid=$!
	for _ in $(seq 600); do [ -e "$T/ready" ] && break; sleep 0.05; done
	[ -e "$T/ready" ] || die "the swapper did not start"
	"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/run$i" "$W/a/tree" \
		>"$T/out" 2>"$T/err"
	rc=$?
	kill -TERM "$spid"
	wait "$spid" || die "swapper: $(cat "$T/swap.err")"
	swaps=$((swaps + $(cat "$T/swaps")))
	[ "$(cd "$W/v" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)" = "$vsum" ] ||
		die "run $i (exit $rc): the victim tree changed: $(cat "$T/err")"
	runs=$((runs + 1))
	case $rc in
	0) erased=$((erased + 1))
	   [ ! -e "$W/a/tree" ] || die "run $i: success, but the tree is still there" ;;
	4) refused=$((refused + 1))
	   grep -q "symbolic link\|no longer the directory\|changed while" "$T/err" || die "run $i: refusal: $(cat "$T/err")" ;;
	*) die "run $i: exit $rc: $(cat "$T/err")" ;;
	esac
	rm -rf "$T/run$i"
done
[ "$swaps" -gt 100 ] || die "the swapper hardly ran ($swaps swaps)"
ok "$runs runs against $swaps swaps: $erased erased, $refused refused; the victim never changed"
