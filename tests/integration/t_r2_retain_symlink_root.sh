#!/bin/bash
# t_r2_retain_symlink_root.sh - R2: a retained root that is a symbolic link
# into an erase target (srv/records -> ../home/records-real, /home/** erased).
# The archive follows the link and holds home/records-real/*, but the erase
# gate knows the retained roots only by the plan's names, so a file under
# the link's target changed after archiving is erased without the
# interlock: a retained record destroyed, not in any archive as it was.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
make_signer "$T/signer"
s=$T/srv
make_server "$s"
mv "$s/srv/records" "$s/home/records-real" || die "mv"
ln -s ../home/records-real "$s/srv/records" || die "ln"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "t-r2", "description": "r2",
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": true, "sysroot": "$s"},
 "retain": [{"name": "records", "paths": ["$s/srv/records/**"],
	     "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
	     "organization": "Test Org", "legal_hold": false}],
 "erase": [{"name": "data", "paths": ["$s/srv/data", "$s/home"], "method": "zero"}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON
DISPOSE_TEST_RUN_KILL=verify:end "$DISPOSE" run --policy "$T/p.json" --yes --progress none \
	--run-dir "$T/r" >"$T/out" 2>&1
rc=$?
if [ $rc != 137 ]; then
	# refusing a retained root that is a link (plan, exit 2) is a fix too
	[ $rc = 2 ] && [ -e "$s/home/records-real/r2.txt" ] && { ok "refused: $(cat "$T/out")"; exit 0; }
	die "the test hook did not kill the run at verify:end (exit $rc): $(cat "$T/out")"
fi
echo "amended after archiving" >>"$s/home/records-real/r2.txt"
cp "$s/home/records-real/r2.txt" "$T/r2.changed"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/r" >"$T/out" 2>&1
rc=$?
cmp -s "$s/home/records-real/r2.txt" "$T/r2.changed" ||
	die "a retained file changed after archiving was erased (exit $rc): $(cat "$T/out")"
[ $rc = 1 ] || die "expected exit 1, got $rc: $(cat "$T/out")"
ok "a retained root through a link: the changed file is kept"
