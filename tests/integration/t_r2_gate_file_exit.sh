#!/bin/bash
# t_r2_gate_file_exit.sh - R2: a retained file named as a file target of its
# own (not inside a tree), changed after the archive was verified: the gate
# leaves it in place and, as dispose(8) RUN says for a file the interlock
# keeps, the run completes with errors, exit 1 (not 4: no safety rule
# refused anything, the rest was erased).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
make_signer "$T/signer"
s=$T/srv
make_server "$s"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "t-r2", "description": "r2",
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": true, "sysroot": "$s"},
 "retain": [{"name": "records", "paths": ["$s/srv/records/**"],
	     "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
	     "organization": "Test Org", "legal_hold": false}],
 "erase": [{"name": "one", "paths": ["$s/srv/records/r2.txt"], "method": "zero"},
	   {"name": "data", "paths": ["$s/srv/data"], "method": "zero"}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON
DISPOSE_TEST_RUN_KILL=verify:end "$DISPOSE" run --policy "$T/p.json" --yes --progress none \
	--run-dir "$T/r" >"$T/out" 2>&1
[ $? = 137 ] || die "the test hook did not kill the run at verify:end: $(cat "$T/out")"
echo "amended after archiving" >>"$s/srv/records/r2.txt"
cp "$s/srv/records/r2.txt" "$T/r2.changed"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/r" >"$T/out" 2>&1
rc=$?
cmp -s "$s/srv/records/r2.txt" "$T/r2.changed" || die "the changed retained file was erased"
[ -e "$s/srv/data" ] && die "data not erased"
grep '"gate": *true' "$T/r/events.jsonl" | grep -q r2.txt || die "no gate skip recorded"
[ $rc = 1 ] || die "gated file target: expected exit 1 (dispose(8) RUN), got $rc: $(cat "$T/out")"
events "$T/r" run_end | grep -q '"exit": *1' || die "run_end: $(events "$T/r" run_end)"
ok "a gated file target: left in place, exit 1"
