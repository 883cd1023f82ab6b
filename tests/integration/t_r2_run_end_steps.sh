#!/bin/bash
# t_r2_run_end_steps.sh - R2: SIGINT in the middle of the erase (exit 130):
# the record's run_end says steps.erase "not run", although erase_start and
# overwrites of this run are in the record just above it. run_end must say
# what happened to the step that was stopped (interrupted), not that it
# never ran.
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
 "erase": [{"name": "data", "paths": ["$s/srv/**", "$s/home/**"], "method": "zero"}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON
DISPOSE_TEST_RUN_KILL=erase:write:65536:INT "$DISPOSE" run --policy "$T/p.json" --yes \
	--progress none --run-dir "$T/r" >"$T/out" 2>&1
rc=$?
[ $rc = 130 ] || die "SIGINT mid-erase: expected exit 130, got $rc: $(cat "$T/out")"
python3 - "$T/r/events.jsonl" <<'PY' || die "run_end does not say the erase was interrupted"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert any(e["event"] == "erase_start" for e in evs), "no erase_start: the hook missed the erase"
assert any(e["event"] == "pass_start" for e in evs), "no overwrite began"
end = [e for e in evs if e["event"] == "run_end"][-1]
assert end["status"] == "interrupted", end
assert end["steps"]["erase"] not in ("not run",), ("run_end steps", end["steps"])
PY
ok "run_end names the erase step interrupted"
