#!/bin/bash
# t_erase_hostile.sh - a hostile reviewer's cases against erase: the run
# record reached through another name (a bind mount of a tree holding the
# run directory, a hard link of events.jsonl in a resumed tree or as a
# resumed file target), a loop device reattached to another image while the
# operator confirms. Each must be refused with the record and the data
# nobody named untouched.
# run alone: re-attaches a loop device under the same number
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root

# want CODE CMD...: run with output in $T/out and $T/err, check the exit code
want() {
	local code=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$code" ] || die "exit $rc, wanted $code: $*: $(cat "$T/err")"
}

# 1. the run directory inside the tree, named through a bind mount of the tree
mkdir -p "$T/tree/sub" "$T/view"
echo keep-me >"$T/tree/sub/a"
mount --bind "$T/tree" "$T/view" || die "mount --bind"
track_mount "$T/view"
want 4 "$DISPOSE" erase --yes --progress none --method zero --verify none \
	--run-dir "$T/view/run" "$T/tree"
grep -q "holds the run directory" "$T/err" || die "bind-mounted run dir: $(cat "$T/err")"
[ "$(cat "$T/tree/sub/a")" = keep-me ] || die "bind-mounted run dir: the tree was written"
[ ! -e "$T/tree/run" ] || die "bind-mounted run dir: a record was made"
# the same through a symlinked parent of the run directory
ln -s "$T/tree" "$T/tlink"
want 4 "$DISPOSE" erase --yes --progress none --method zero --verify none \
	--run-dir "$T/tlink/run" "$T/tree"
[ "$(cat "$T/tree/sub/a")" = keep-me ] || die "symlinked run dir: the tree was written"
umount "$T/view"
ok "a run directory reached through a bind mount or symlink of the tree is refused"

# 2. a resumed tree holding a hard link of the run's events.jsonl, with
#    --erase-shared-inodes: the record must survive (it was overwritten and
#    truncated, and the resume said success)
mkdir -p "$T/t2"
head -c $((8 << 20)) /dev/urandom >"$T/t2/big"
echo small >"$T/t2/s"
"$DISPOSE" erase --yes --progress none --erase-shared-inodes --method zero --verify none \
	--checkpoint-interval 1M --test-delay-ms 300 --run-dir "$T/r2" "$T/t2" \
	>"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 100); do
	grep -q '"checkpoint"' "$T/r2/events.jsonl" 2>/dev/null && break
	sleep 0.1
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] || die "first session: exit $rc, wanted 130: $(cat "$T/err")"
ln "$T/r2/events.jsonl" "$T/t2/rec" || die "ln"
lines=$(wc -l <"$T/r2/events.jsonl")
sum=$(sha256sum <"$T/r2/events.jsonl")
want 4 "$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r2"
grep -q "rec, another name of a file of the run directory" "$T/err" ||
	die "hard link of the record: $(cat "$T/err")"
[ "$(sha256sum <"$T/r2/events.jsonl")" = "$sum" ] || die "hard link of the record: record changed"
[ "$(wc -l <"$T/r2/events.jsonl")" = "$lines" ] || die "record grew"
check_chain "$T/r2"
# once the link is gone the run resumes and ends in success
rm "$T/t2/rec"
want 0 "$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r2"
[ ! -e "$T/t2" ] || die "resumed tree not erased"
check_chain "$T/r2"
ok "a resumed tree with a hard link of the record is refused, the record intact"

# 3. a file target replaced, before a resume, by a hard link of the record:
#    the second target never started, so no identity of it was compared
head -c $((8 << 20)) /dev/urandom >"$T/f1"
echo other >"$T/f2"
"$DISPOSE" erase --yes --progress none --erase-shared-inodes --jobs 1 --method zero \
	--verify none --checkpoint-interval 1M --test-delay-ms 300 --run-dir "$T/r3" \
	"$T/f1" "$T/f2" >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 100); do
	grep -q '"checkpoint"' "$T/r3/events.jsonl" 2>/dev/null && break
	sleep 0.1
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] || die "first session: exit $rc, wanted 130: $(cat "$T/err")"
grep -q '"target": *"t2"' "$T/r3/events.jsonl" && die "t2 started: the case needs it pending"
rm "$T/f2"
ln "$T/r3/events.jsonl" "$T/f2"
sum=$(sha256sum <"$T/r3/events.jsonl")
rc=0
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r3" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 4 ] || die "file target linked to the record: exit $rc: $(cat "$T/err")"
[ "$(sha256sum <"$T/r3/events.jsonl")" = "$sum" ] || die "file target linked to the record: record changed"
check_chain "$T/r3"
ok "a file target that is a hard link of the record is refused"

# 4. a loop device detached and attached to another image while the operator
#    types its name: same /dev/loopN, same device number, other medium
cat >"$T/drive.py" <<'PY'
# drive.py ANSWER SWAPCMD CMD...: CMD on a pty; at the typed prompt run SWAPCMD, then type ANSWER
import os, pty, select, subprocess, sys, time
answer, swap, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
buf, swapped, deadline = b"", False, time.time() + 60
while time.time() < deadline:
    if select.select([fd], [], [], 0.2)[0]:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        buf += d
    if not swapped and b"Type '" in buf:
        swapped = True
        if subprocess.call(swap, shell=True) != 0:
            sys.exit("swap command failed")
        os.write(fd, answer.encode() + b"\n")
else:
    os.kill(pid, 9)
    sys.exit("timeout")
sys.stdout.buffer.write(buf)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PY
for how in other-path same-path; do
	a=$T/a-$how.img b=$T/b-$how.img
	fill_marker "$a" 4
	fill_marker "$b" 4
	dev=$(mkloop 4 "$a")
	if [ $how = other-path ]; then
		swap="losetup -d $dev && losetup $dev $b"
	else	# the same path now names another file: only the inode tells
		swap="losetup -d $dev && mv $b $a && losetup $dev $a"
	fi
	want 4 python3 "$T/drive.py" "$dev" "$swap" "$DISPOSE" erase --progress none --method zero \
		--verify none --run-dir "$T/r4$how" "$dev"
	grep -q "is no longer the medium that was checked" "$T/out" || die "reattach ($how): $(cat "$T/out")"
	# what is attached now (b, under its name or a's) still holds every marker
	now=$b
	[ $how = same-path ] && now=$a
	[ "$(count_marker "$now")" = "$(count_marker "$T/a-other-path.img")" ] ||
		die "reattach ($how): the image attached at the erase was written"
	[ ! -e "$T/r4$how" ] || die "reattach ($how): a record was made"
done
ok "a loop device reattached to another image during the confirmation is refused"

# 5. a loop device grown (losetup -c after the image grew) while its erase
#    runs: the bytes past the size at the open were never written, so the
#    result is not success and the record says the size now
img5=$T/grow.img
fill_marker "$img5" 32
dev=$(mkloop 32 "$img5")
"$DISPOSE" erase --yes --progress none --method zero --verify none \
	--checkpoint-interval 1M --test-delay-ms 500 --run-dir "$T/r5" "$dev" \
	>"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 100); do
	grep -q '"checkpoint"' "$T/r5/events.jsonl" 2>/dev/null && break
	sleep 0.1
done
grep -q '"checkpoint"' "$T/r5/events.jsonl" || die "grown device: no checkpoint"
fill_marker "$T/tail5" 4
cat "$T/tail5" >>"$img5"
losetup -c "$dev" || die "losetup -c"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 1 ] || die "grown device: exit $rc, wanted 1: $(cat "$T/err")"
grep -q "$dev: size changed during the erase (33554432 bytes when opened, 37748736 now)" "$T/err" ||
	die "grown device: $(cat "$T/err")"
events "$T/r5" target_end | grep -q '"status": *"completed-with-errors"' ||
	die "grown device: $(events "$T/r5" target_end)"
events "$T/r5" target_end | grep -q '"size_now": *37748736' || die "grown device: no size_now"
check_chain "$T/r5"
# the erase stopped at the old end: the first 32 MiB hold no marker
head -c $((32 << 20)) "$img5" >"$T/head5"
[ "$(count_marker "$T/head5")" = 0 ] || die "grown device: first 32 MiB not erased"
ok "a device grown during its erase is not reported erased"
