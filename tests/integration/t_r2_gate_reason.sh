#!/bin/bash
# t_r2_gate_reason.sh - R2: the archive removed between its verify and the
# erase (kill -9 at verify:end, rm, --resume): nothing retained is erased
# (held), but the record and the failure report give each unchanged file
# the reason "retained, changed since it was archived", which is false: the
# file is as archived, the archive is gone. An auditor reads the record.
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
 "erase": [{"name": "data", "paths": ["$s/srv/**"], "method": "zero"}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON
DISPOSE_TEST_RUN_KILL=verify:end "$DISPOSE" run --policy "$T/p.json" --yes --progress none \
	--run-dir "$T/r" >"$T/out" 2>&1
[ $? = 137 ] || die "the test hook did not kill the run at verify:end: $(cat "$T/out")"
rm -f "$T"/r/archives/*.tar.zst
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/r" >"$T/out" 2>&1
rc=$?
[ $rc = 1 ] || die "expected exit 1, got $rc: $(cat "$T/out")"
for f in srv/records/r2.txt srv/records/ledger-2025.bin; do
	cmp -s "$s/$f" "$s.orig/$f" || die "$f: erased although its archive is gone"
done
grep '"gate": *true' "$T/r/events.jsonl" | grep -q 'ledger-2025.bin' || die "no gate skip"
grep '"gate": *true' "$T/r/events.jsonl" | grep 'ledger-2025.bin' | grep -q 'changed since' &&
	die "an unchanged file is recorded as changed since it was archived: $(grep 'ledger-2025' "$T/r/events.jsonl" | grep gate)"
grep -q 'changed since it was archived' "$T/out" "$T/r/certificate.json" &&
	die "output or certificate says changed: $(cat "$T/out")"
ok "archive gone before the erase: nothing retained erased, the reason says so"
