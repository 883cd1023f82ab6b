#!/bin/bash
# t_r2_resume_messages.sh - R2: a --resume refused before anything is done
# (a record whose hash chain is broken: exit 2; an erase's record: exit 4)
# says so in one line "dispose: <thing>: <what>". Today it adds a second
# error line, "run directory: DIR ()" with an empty status, and advises
# "certify later with: dispose certify --run-dir DIR", a record that
# cannot be certified (broken) or is not a run's.
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
 "retain": [{"name": "records", "paths": ["$s/etc/**"],
	     "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
	     "organization": "Test Org", "legal_hold": false}],
 "erase": [{"name": "data", "paths": ["$s/srv/**"], "method": "zero"}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON

# one_line FILE: exactly one line, the error
one_line() {
	[ "$(wc -l <"$1")" = 1 ] || die "$2: not one line: $(cat "$1")"
	grep -q '^dispose: [^ ].*[^.]$' "$1" || die "$2: not 'dispose: thing: what': $(cat "$1")"
	grep -q 'certify later\|()' "$1" && die "$2: $(cat "$1")"
	return 0
}

DISPOSE_TEST_RUN_KILL=erase:start "$DISPOSE" run --policy "$T/p.json" --yes --progress none \
	--run-dir "$T/r" >"$T/out" 2>&1
[ $? = 137 ] || die "the test hook did not kill the run at erase:start: $(cat "$T/out")"
sed -i '3s/"status":"success"/"status":"succes5"/' "$T/r/events.jsonl"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/r" >"$T/out" 2>&1
rc=$?
[ $rc = 2 ] || die "broken chain: expected exit 2, got $rc"
one_line "$T/out" "broken chain"
ok "broken chain: one line, exit 2"

mkdir "$T/e"
"$DISPOSE" erase --yes --progress none --run-dir "$T/e" --method zero "$s/home" >"$T/out" 2>&1 ||
	die "erase: $(cat "$T/out")"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/e" >"$T/out" 2>&1
rc=$?
[ $rc = 4 ] || die "erase record: expected exit 4, got $rc"
one_line "$T/out" "an erase's record"
ok "an erase's record: one line, exit 4"
