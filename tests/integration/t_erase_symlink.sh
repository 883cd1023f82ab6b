#!/bin/bash
# t_erase_symlink.sh - a block device named through a symlink (as
# /dev/disk/by-id/... names are): accepted, resolved once, its bytes
# overwritten, the given name and the device node both in the record; a
# symlink to a regular file is still refused; a symlink swapped to another
# device while the operator confirms is caught (exit 4) and neither
# device is written; a whole disk is flock'ed while it is erased.
# run alone: lists the default run directory for directories it did not make
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root

# 1. accepted through a symlink: bytes overwritten, both names recorded
A=$(mkloop 4 "$T/a.img")
fill_marker "$A" 4
ln -s "$A" "$T/by-id-a"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r1" "$T/by-id-a" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || die "erase through a symlink: exit $rc ($(cat "$T/err"))"
[ "$(count_marker "$T/a.img")" = 0 ] || die "marker left on the device erased"
[ "$(head -c 4194304 "$T/a.img" | tr -d '\0' | wc -c)" = 0 ] || die "not all zero"
# the verdict line is on stderr (#11)
grep -q "^t1 $T/by-id-a: success" "$T/err" || die "verdict: $(cat "$T/err")"
check_chain "$T/r1"
python3 - "$T/r1/events.jsonl" "$T/by-id-a" "$A" <<'PY' || die "record: both names"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
given, node = sys.argv[2], sys.argv[3]
t = [e for e in evs if e["event"] == "run_start"][0]["targets"][0]
assert t["path"] == node and t["given"] == given, t
assert t["identity"]["given"] == given, t
tgt = [e for e in evs if e["event"] == "target" and e["target"] == "t1"][0]
assert tgt["path"] == node and tgt["identity"]["given"] == given, tgt
end = [e for e in evs if e["event"] == "target_end" and e["target"] == "t1"][-1]
assert end["status"] == "success" and end["bytes_written"] == 4 << 20, end
PY
ok "a loop device named through a symlink: erased, given name and node recorded"

# 2. a symlink to a regular file: refused as before, nothing written
fill_marker "$T/plain" 1
ln -s "$T/plain" "$T/to-file"
"$DISPOSE" erase --yes --progress none --method zero --run-dir "$T/r2" "$T/to-file" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "symlink to a file: expected exit 4, got $rc"
grep -q "^dispose: $T/to-file: is a symbolic link; name its target instead" "$T/err" ||
	die "message: $(cat "$T/err")"
[ "$(count_marker "$T/plain")" -gt 0 ] || die "the file behind the symlink was written"
[ ! -e "$T/r2" ] || die "run dir made"
ok "a symlink to a regular file is still refused"

# 2b. without --run-dir: a refusal or a usage error makes no default run directory
runs=/var/lib/dispose/runs
ls -A "$runs" 2>/dev/null | sort >"$T/runs.before"
"$DISPOSE" erase --yes --progress none --method zero "$T/to-file" 2>/dev/null
[ $? = 4 ] || die "refused without --run-dir: expected exit 4"
"$DISPOSE" erase --yes --progress none --verify bogus "$T/plain" 2>/dev/null
[ $? = 2 ] || die "usage error without --run-dir: expected exit 2"
sleep 1
ls -A "$runs" 2>/dev/null | sort | comm -13 "$T/runs.before" - | while read -r d; do
	# another command running now writes its record at once; ours would stay empty
	[ -n "$(ls -A "$runs/$d" 2>/dev/null)" ] || die "empty run directory left: $runs/$d"
done || exit 1
ok "a refusal or a usage error leaves no run directory behind"

# 3. the symlink swapped to another device while the operator confirms
B=$(mkloop 2 "$T/b.img")
C=$(mkloop 2 "$T/c.img")
fill_marker "$B" 2
fill_marker "$C" 2
sync
bsum=$(sha256sum <"$T/b.img")
csum=$(sha256sum <"$T/c.img")
ln -s "$B" "$T/by-id-b"
python3 - "$DISPOSE" "$T/by-id-b" "$C" "$T/r3" "$T/err3" <<'PY'
import os, pty, sys, time
dispose, link, other, run, errf = sys.argv[1:6]
pid, fd = pty.fork()
if pid == 0:
    e = os.open(errf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(e, 2)
    os.execv(dispose, [dispose, "erase", "--progress", "none", "--method", "zero",
                       "--run-dir", run, link])
buf = b""
deadline = time.time() + 60
while b"to erase it: " not in buf and time.time() < deadline:
    try:
        buf += os.read(fd, 4096)
    except OSError:
        break
assert b"to erase it: " in buf, buf
# between the check and the open: the name now leads to another device
os.unlink(link)
os.symlink(other, link)
os.write(fd, link.encode() + b"\n")
while True:
    try:
        if not os.read(fd, 4096):
            break
    except OSError:
        break
_, st = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(st))
PY
rc=$?
[ $rc = 4 ] || die "swapped symlink: expected exit 4, got $rc ($(cat "$T/err3"))"
grep -q "^dispose: $T/by-id-b: is no longer the device that was checked; nothing written" \
	"$T/err3" || die "message: $(cat "$T/err3")"
sync
[ "$(sha256sum <"$T/c.img")" = "$csum" ] || die "the device swapped in was written"
[ "$(sha256sum <"$T/b.img")" = "$bsum" ] || die "the device checked was written although refused"
[ ! -e "$T/r3/events.jsonl" ] || die "a record was started"
ok "a symlink swapped to another device after the check: refused, neither written"

# 4. a whole disk is flock'ed (LOCK_EX) while it is erased
D=$(mkloop 16 "$T/d.img")
ln -s "$D" "$T/by-id-d"
"$DISPOSE" erase --yes --progress none --method zero --verify none --checkpoint-interval 1M \
	--test-delay-ms 100 --run-dir "$T/r4" "$T/by-id-d" >/dev/null 2>"$T/err4" &
pid=$!
for _ in $(seq 400); do
	grep -q '"event":"checkpoint"' "$T/r4/events.jsonl" 2>/dev/null && break
	sleep 0.05
done
grep -q '"event":"checkpoint"' "$T/r4/events.jsonl" || die "the erase never started"
flock -n -s "$D" true && locked=no || locked=yes
wait "$pid"
rc=$?
[ $rc = 0 ] || die "slow erase: exit $rc ($(cat "$T/err4"))"
[ $locked = yes ] || die "the disk was not locked while erased"
flock -n -s "$D" true || die "the lock outlived the erase"
ok "a whole disk is locked (flock) while it is erased"
