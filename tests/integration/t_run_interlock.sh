#!/bin/bash
# t_run_interlock.sh - dispose run erases nothing retained that a verified
# archive does not cover as it is right before the erase: an archive that
# cannot be written or fails verification stops the run before the erase
# (data intact, exit 1 / 3), and a retained file changed after archiving is
# left in place, bytes intact, while the rest is erased (exit 1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
srv=$T/srv
dev=$(mkloop 4) || die "mkloop"
make_signer "$T/signer"

# intact SERVER DEV: nothing of the server or the device was touched
intact() {
	for f in srv/records/r2.txt srv/records/ledger-2025.bin srv/data/a.txt home/alice/notes.txt \
		 keys/tls.key opt/app/bin/run; do
		cmp -s "$1/$f" "$1.orig/$f" || die "$f: changed although the run stopped before the erase"
	done
	[ "$(count_marker "$2")" -gt 0 ] || die "$2: erased although the run stopped before the erase"
}

# 1. the archive destination cannot be written (a read-only file system)
mkdir "$T/ro"
mount -t tmpfs -o ro,size=1m tmpfs "$T/ro" || skip "cannot mount tmpfs"
track_mount "$T/ro"
fill_marker "$dev" 4
make_server "$srv"
write_policy "$T/p1.json" "$srv" "$dev" "$T/signer" "$T/ro/archives"
"$DISPOSE" run --policy "$T/p1.json" --yes --progress none --run-dir "$T/r1" >"$T/out" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$T/out"; die "unwritable destination: expected exit 1, got $rc"; }
intact "$srv" "$dev"
events "$T/r1" erase_start >/dev/null && die "an erase started after the archive failed"
events "$T/r1" run_end | grep -q '"failed"' || die "run_end not failed"
check_chain "$T/r1"
ok "archive not written: nothing erased, exit 1"

# 2. the archive is damaged between its creation and the verify step
rm -rf "$srv" "$srv.orig"
make_server "$srv"
write_policy "$T/p2.json" "$srv" "$dev" "$T/signer"
DISPOSE_TEST_RUN_KILL=archive:end "$DISPOSE" run --policy "$T/p2.json" --yes --progress none \
	--run-dir "$T/r2" >"$T/out" 2>&1
[ $? = 137 ] || die "the test hook did not kill the run at archive:end"
arc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["archives"][0]["archive"])' \
	"$T/r2/plan.json")
printf 'X' | dd of="$arc" bs=1 seek=2000 conv=notrunc status=none
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/r2" >"$T/out" 2>&1
rc=$?
[ $rc = 3 ] || { cat "$T/out"; die "damaged archive: expected exit 3, got $rc"; }
intact "$srv" "$dev"
events "$T/r2" erase_start >/dev/null && die "an erase started after the verify failed"
check_chain "$T/r2"
ok "archive fails verification: nothing erased, exit 3"

# 3. a retained file changed after the archive was verified
rm -rf "$srv" "$srv.orig"
make_server "$srv"
write_policy "$T/p3.json" "$srv" "$dev" "$T/signer"
DISPOSE_TEST_RUN_KILL=verify:end "$DISPOSE" run --policy "$T/p3.json" --yes --progress none \
	--run-dir "$T/r3" >"$T/out" 2>&1
[ $? = 137 ] || die "the test hook did not kill the run at verify:end"
echo "amended after archiving" >>"$srv/srv/records/r2.txt"
cp "$srv/srv/records/r2.txt" "$T/r2.changed"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/r3" >"$T/out" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$T/out"; die "changed retained file: expected exit 1, got $rc"; }
cmp -s "$srv/srv/records/r2.txt" "$T/r2.changed" || die "the changed retained file was erased"
[ -e "$srv/srv/records/ledger-2025.bin" ] && die "an unchanged, covered retained file was not erased"
[ -e "$srv/srv/data/a.txt" ] && die "data not erased"
[ "$(count_marker "$dev")" = 0 ] || die "device not erased"
events "$T/r3" interlock | grep -q '"covered": *1' || die "interlock: $(events "$T/r3" interlock)"
grep '"gate": *true' "$T/r3/events.jsonl" | grep -q 'r2.txt' ||
	die "the gate's refusal of r2.txt is not recorded"
grep -q "changed since it was archived" "$T/r3/events.jsonl" || die "no reason recorded"
check_run_record "$T/r3"
ok "retained file changed after archiving: left in place, the rest erased, exit 1"

# 4. the plan changed between its step and a resume: nothing more is done, exit 3
rm -rf "$srv" "$srv.orig"
make_server "$srv"
fill_marker "$dev" 4
write_policy "$T/p4.json" "$srv" "$dev" "$T/signer"
DISPOSE_TEST_RUN_KILL=plan:end "$DISPOSE" run --policy "$T/p4.json" --yes --progress none \
	--run-dir "$T/r4" >"$T/out" 2>&1
[ $? = 137 ] || die "the test hook did not kill the run at plan:end"
# a policy changed since the run started: refused, exit 2
cp "$T/p4.json" "$T/p4.saved"
sed -i 's/"method": "zero"/"method": "one"/' "$T/p4.json"
expect_exit 2 "$DISPOSE" run --resume --yes --progress none --run-dir "$T/r4" >"$T/out" 2>&1
grep -q "not the policy this run started with" "$T/out" || die "changed policy: $(cat "$T/out")"
mv "$T/p4.saved" "$T/p4.json"
sed -i 's/"method": *"zero"/"method": "one"/' "$T/r4/plan.json"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/r4" >"$T/out" 2>&1
rc=$?
[ $rc = 3 ] || { cat "$T/out"; die "changed plan: expected exit 3, got $rc"; }
grep -q "plan.json: changed since the plan step ended" "$T/out" || die "$(cat "$T/out")"
intact "$srv" "$dev"
events "$T/r4" archive_start >/dev/null && die "an archive started from a changed plan"
ok "policy or plan changed before a resume: nothing done, exit 2 / 3"
