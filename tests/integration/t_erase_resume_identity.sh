#!/bin/bash
# t_erase_resume_identity.sh - --resume writes only to what the run started
# on: a device path that now names another device (a loop reattached to
# another image, a disk renamed after a reboot), a loop device whose backing
# file was replaced (same path and size), a device resized since, a record
# that identifies nothing, or a file path that now names another file is
# refused (exit 4), nothing written, nothing appended to the record.
. "$(dirname "$0")/lib.sh"
need_root
sum() { dd if="$1" bs=1M iflag=direct status=none | sha256sum; }
node() { mknod "$2" b "$(stat -c %Hr "$1")" "$(stat -c %Lr "$1")"; }

a=$(mkloop 16) || die "mkloop"
b=$(mkloop 16) || die "mkloop"
fill_marker "$a" 16
fill_marker "$b" 16
# the run names the device by a path we can repoint
node "$a" "$T/disk" || skip "mknod"
"$DISPOSE" erase --yes --progress none --method zero --verify none \
	--checkpoint-interval 1M --test-delay-ms 100 --run-dir "$T/r1" "$T/disk" \
	>"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 300); do
	grep -q '"event":"checkpoint"' "$T/r1/events.jsonl" 2>/dev/null && break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
[ $? = 130 ] || die "SIGINT: expected exit 130 ($(cat "$T/err"))"
# now the same path names the other device
rm -f "$T/disk"
node "$b" "$T/disk" || die "mknod"
before=$(sum "$b")
lines=$(wc -l <"$T/r1/events.jsonl")
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r1" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "resume on another device: expected exit 4, got $rc ($(cat "$T/err"))"
grep -q "not the device this run started on" "$T/err" || die "message: $(cat "$T/err")"
[ "$(sum "$b")" = "$before" ] || die "resume wrote to another device"
[ "$(wc -l <"$T/r1/events.jsonl")" = "$lines" ] || die "record grew on a refusal"
# back on the right device the resume completes
rm -f "$T/disk"
node "$a" "$T/disk" || die "mknod"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r1" >"$T/out" 2>"$T/err" ||
	die "resume on the right device: $(cat "$T/err")"
[ "$(count_marker "$a")" = 0 ] || die "marker left on the erased device"
ok "resume refuses a path that names another device"

# --jobs 1: the second device was never started when the run stopped; its
# identity from run_start still counts
c=$(mkloop 16) || die "mkloop"
fill_marker "$a" 16
fill_marker "$b" 16
fill_marker "$c" 16
rm -f "$T/disk" "$T/disk2"
node "$a" "$T/disk" && node "$b" "$T/disk2" || die "mknod"
"$DISPOSE" erase --yes --progress none --method zero --verify none --jobs 1 \
	--checkpoint-interval 1M --test-delay-ms 100 --run-dir "$T/r3" "$T/disk" "$T/disk2" \
	>"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 300); do
	grep -q '"event":"checkpoint"' "$T/r3/events.jsonl" 2>/dev/null && break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
[ $? = 130 ] || die "SIGINT (jobs 1): expected exit 130 ($(cat "$T/err"))"
# a slow machine may start t2 before the stop: then only this case is skipped
if grep '"event":"target",' "$T/r3/events.jsonl" | grep -q '"target":"t2"'; then
	echo "skip: never-started target: the second target started before the stop"
else
	rm -f "$T/disk2"
	node "$c" "$T/disk2" || die "mknod"
	before=$(sum "$c")
	"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r3" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 4 ] || die "resume, never-started target on another device: expected 4, got $rc ($(cat "$T/err"))"
	[ "$(sum "$c")" = "$before" ] || die "resume wrote to another device"
	ok "resume refuses a never-started target that now names another device"
fi

# a file replaced by another one of the same size
fill_marker "$T/f" 32
"$DISPOSE" erase --yes --progress none --method zero --verify none \
	--checkpoint-interval 1M --test-delay-ms 100 --run-dir "$T/r2" "$T/f" \
	>"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 300); do
	grep -q '"event":"checkpoint"' "$T/r2/events.jsonl" 2>/dev/null && break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
[ $? = 130 ] || die "SIGINT (file): expected exit 130 ($(cat "$T/err"))"
mv "$T/f" "$T/f.old"
fill_marker "$T/f" 32
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r2" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "resume on another file: expected exit 4, got $rc ($(cat "$T/err"))"
[ "$(count_marker "$T/f")" -gt 0 ] || die "resume wrote to another file"
ok "resume refuses a path that names another file"

# --- the medium behind a loop device, its size, and a record that identifies nothing ---

# detach DEV: detach a loop device made here and forget it (cleanup must not
# detach a device someone else attached under the same name later)
detach() { losetup -d "$1" && sed -i "\#^$1\$#d" "$T/.loops"; }
# interrupt_run DIR PATH: start an erase of PATH, stop it at a checkpoint
interrupt_run() {
	"$DISPOSE" erase --yes --progress none --method zero --verify none \
		--checkpoint-interval 1M --test-delay-ms 100 --run-dir "$1" "$2" \
		>"$T/out" 2>"$T/err" &
	pid=$!
	for _ in $(seq 300); do
		grep -q '"event":"checkpoint"' "$1/events.jsonl" 2>/dev/null && break
		sleep 0.05
	done
	kill -INT "$pid"
	wait "$pid"
	[ $? = 130 ] || die "$2: SIGINT: expected exit 130 ($(cat "$T/err"))"
}

# the backing file replaced: same path, same size, another inode
img6=$T/six.img
d6=$(mkloop 16 "$img6") || die "mkloop"
fill_marker "$d6" 16
rm -f "$T/disk6"
node "$d6" "$T/disk6" || die "mknod"
interrupt_run "$T/r6" "$T/disk6"
grep -q '"medium":{"kind":"file"' "$T/r6/events.jsonl" || die "no medium in the record"
detach "$d6" || die "detach"
mv "$img6" "$img6.old"
fill_marker "$img6" 16
d6=$(losetup -f --show "$img6") || die "losetup"
track_loop "$d6"
rm -f "$T/disk6"
node "$d6" "$T/disk6" || die "mknod"
before=$(sha256sum <"$img6")
rec=$(sha256sum <"$T/r6/events.jsonl")
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r6" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "replaced backing file: expected exit 4, got $rc ($(cat "$T/err"))"
grep -q "^dispose: $T/disk6: not the device this run started on (medium ino was [0-9]*, is [0-9]*); nothing written\$" "$T/err" ||
	die "replaced backing file: message: $(cat "$T/err")"
[ "$(sha256sum <"$img6")" = "$before" ] || die "resume wrote to the new backing file"
[ "$(sha256sum <"$T/r6/events.jsonl")" = "$rec" ] || die "record changed on a refusal"
ok "resume refuses a loop device whose backing file was replaced (same path and size)"

# the device grew between the sessions
img7=$T/seven.img
d7=$(mkloop 16 "$img7") || die "mkloop"
fill_marker "$d7" 16
interrupt_run "$T/r7" "$d7"
truncate -s 32M "$img7"
losetup -c "$d7" || die "losetup -c"
[ "$(blockdev --getsize64 "$d7")" = $((32 << 20)) ] || die "loop device did not grow"
before=$(sha256sum <"$img7")
rec=$(sha256sum <"$T/r7/events.jsonl")
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r7" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "resized device: expected exit 4, got $rc ($(cat "$T/err"))"
grep -qx "dispose: $d7: not the device this run started on (size was 16777216, is 33554432); nothing written" "$T/err" ||
	die "resized device: message: $(cat "$T/err")"
[ "$(sha256sum <"$img7")" = "$before" ] || die "resume wrote to a resized device"
[ "$(sha256sum <"$T/r7/events.jsonl")" = "$rec" ] || die "record changed on a refusal"
ok "resume refuses a device resized between the sessions; record and bytes unchanged"

# a record that identifies nothing (what older versions wrote for a loop
# device, or a disk without serial and WWN): the chain is rebuilt so that
# only the missing identity can be the reason
truncate -s 16M "$img7"
losetup -c "$d7" || die "losetup -c"
python3 - "$T/r7/events.jsonl" <<'PY' || die "cannot rewrite the record"
import hashlib, json, sys
path = sys.argv[1]
evs = [json.loads(l) for l in open(path)]
def strip(ident):
    for k in ("medium", "serial", "wwn"):
        ident.pop(k, None)
prev = "0" * 64
out = []
for ev in evs:
    for t in ev.get("targets", []):
        if isinstance(t, dict) and "identity" in t:
            strip(t["identity"])
    if ev.get("event") == "target":
        strip(ev["identity"])
    ev["prev"] = prev
    line = json.dumps(ev, separators=(",", ":"))
    prev = hashlib.sha256(line.encode()).hexdigest()
    out.append(line)
open(path, "w").write("\n".join(out) + "\n")
PY
before=$(sha256sum <"$img7")
rec=$(sha256sum <"$T/r7/events.jsonl")
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r7" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "record without identity: expected exit 4, got $rc ($(cat "$T/err"))"
grep -q "^dispose: $d7: the run record holds nothing that identifies the medium" "$T/err" ||
	die "record without identity: message: $(cat "$T/err")"
[ "$(sha256sum <"$img7")" = "$before" ] || die "resume wrote without an identity to compare"
[ "$(sha256sum <"$T/r7/events.jsonl")" = "$rec" ] || die "record changed on a refusal"
ok "resume refuses when the record holds nothing that identifies the medium"
