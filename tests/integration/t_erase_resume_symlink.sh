#!/bin/bash
# t_erase_resume_symlink.sh - a run started on a block device named through
# a symlink (/dev/disk/by-id/... style) is resumed by that same name: the
# recorded device is continued, never what the name leads to now (a link
# repointed to another device leaves that device untouched). A dry run
# without --run-dir refuses a tree holding the default run directory, as
# the real run does.
# run alone: detaches a loop device and expects its number reused
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root

# interrupt LINK RUN IMG: start an erase through the symlink LINK, stop it
# with SIGINT after its first checkpoint, while IMG still holds markers
interrupt() {
	"$DISPOSE" erase --yes --progress none --method zero --verify last \
		--checkpoint-interval 4M --test-delay-ms 40 --run-dir "$T/$2" "$T/$1" \
		>"$T/out" 2>"$T/err" &
	local pid=$! rc
	for _ in $(seq 300); do
		grep -q '"event":"checkpoint"' "$T/$2/events.jsonl" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	[ $rc = 130 ] || die "interrupted run: expected exit 130, got $rc ($(cat "$T/err"))"
	[ "$(count_marker "$T/$3")" -gt 0 ] || die "run finished before the interrupt; slow it down"
}

# 1. started through a symlink, interrupted; the link repointed; resumed by its name
A=$(mkloop 64 "$T/a.img") || die "mkloop"
B=$(mkloop 8 "$T/b.img") || die "mkloop"
fill_marker "$A" 64
fill_marker "$B" 8
sync
bsum=$(sha256sum <"$T/b.img")
ln -s "$A" "$T/by-id-a"
interrupt by-id-a r1 a.img
ln -sfn "$B" "$T/by-id-a"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r1" "$T/by-id-a" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || die "resume by the given name: expected exit 0, got $rc ($(cat "$T/err"))"
[ "$(count_marker "$T/a.img")" = 0 ] || die "the recorded device was not finished"
[ "$(head -c 67108864 "$T/a.img" | tr -d '\0' | wc -c)" = 0 ] || die "a.img not all zero"
[ "$(sha256sum <"$T/b.img")" = "$bsum" ] || die "the device the link leads to now was written"
check_chain "$T/r1"
events "$T/r1" run_resumed >/dev/null || die "no run_resumed event"
events "$T/r1" run_end | tail -1 | grep -q '"success"' || die "run_end not success"
ok "resumed by the symlink it was started with: the recorded device finished, the link's new target untouched"

# 2. after a "reboot" the medium comes back under another node: the by-id name finds it
A=$(mkloop 64 "$T/m.img") || die "mkloop"
fill_marker "$A" 64
sync
ln -s "$A" "$T/by-id-m"
interrupt by-id-m r2 m.img
losetup -d "$A" || die "detach $A"
sed -i "\#^$A\$#d" "$T/.loops"	# cleanup must not detach the node's next owner
# the old node taken again (by C, else by someone else): the medium comes back elsewhere
truncate -s 8M "$T/c.img" || die "truncate"
if losetup "$A" "$T/c.img" 2>/dev/null; then C=$A; track_loop "$C"; else C=$(mkloop 8 "$T/c.img") || die "mkloop"; fi
fill_marker "$C" 8
sync
csum=$(sha256sum <"$T/c.img")
A2=$(losetup -f --show "$T/m.img") || die "reattach"
track_loop "$A2"
[ "$A2" != "$A" ] || die "the medium came back under the same node"
ln -sfn "$A2" "$T/by-id-m"
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r2" "$T/by-id-m" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || die "resume after the node changed: expected exit 0, got $rc ($(cat "$T/err"))"
grep -qx "dispose: $T/by-id-m: the recorded medium is now $A2 (was $A)" "$T/err" ||
	die "message: $(cat "$T/err")"
[ "$(count_marker "$T/m.img")" = 0 ] || die "the medium was not finished"
[ "$(sha256sum <"$T/c.img")" = "$csum" ] || die "the device now at the old node was written"
check_chain "$T/r2"
ok "a medium back under another node is found again through its by-id name; the old node's new device untouched"

# 3. a name that is neither the path nor the given name of a target stays refused
"$DISPOSE" erase --yes --progress none --resume --run-dir "$T/r1" "$T/other" 2>"$T/err"
rc=$?
[ $rc = 2 ] || die "unknown name on resume: expected exit 2, got $rc"
grep -qx "dispose: $T/other: not a target of the run in $T/r1" "$T/err" ||
	die "message: $(cat "$T/err")"
ok "a name no target had is still not a target of the run"

# 4. --dry-run without --run-dir checks the default run directory as the real run does
runs=/var/lib/dispose/runs
mkdir -p "$runs" || die "mkdir $runs"
"$DISPOSE" erase --dry-run --progress none /var/lib/dispose >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 4 ] || die "dry run over the default run directory: expected exit 4, got $rc ($(cat "$T/err"))"
grep -qx "dispose: /var/lib/dispose: holds the run directory $runs" "$T/err" ||
	die "message: $(cat "$T/err")"
ok "a dry run refuses a tree holding the default run directory, as the real run does"
