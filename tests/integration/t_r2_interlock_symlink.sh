#!/bin/bash
# t_r2_interlock_symlink.sh - R2: symbolic links inside a retained root that
# is also erased (archived as links, as they should be). The interlock
# event lists them as not covered and warns "2 retained files not covered
# by a verified archive as they are now: not erased", yet the erase
# removes them and the run reports success, exit 0, a certificate of
# sanitization: the record contradicts itself. What the interlock says is
# not erased must not be erased, or it must not say so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
make_signer "$T/signer"
s=$T/srv
make_server "$s"
ln -s ../../home/alice "$s/srv/records/alice" || die "ln"
ln -s ../../home/alice/notes.txt "$s/srv/records/notes-link.txt" || die "ln"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "t-r2", "description": "r2",
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": true, "sysroot": "$s"},
 "retain": [{"name": "records", "paths": ["$s/srv/records/**"],
	     "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
	     "organization": "Test Org", "legal_hold": false}],
 "erase": [{"name": "data", "paths": ["$s/srv/**", "$s/home/**"], "method": "zero"}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON
"$DISPOSE" run --policy "$T/p.json" --yes --progress none --run-dir "$T/r" >"$T/out" 2>&1
rc=$?
python3 - "$T/r/events.jsonl" "$rc" <<'PY' || die "record contradicts itself (exit $rc): $(cat "$T/out")"
import json, os, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
il = [e for e in evs if e["event"] == "interlock"][0]
rc = int(sys.argv[2])
for p in il.get("not_covered", []):
    assert os.path.lexists(p), ("listed as not covered, not erased, yet erased", p)
if il.get("not_covered"):
    assert rc != 0, "items not covered, yet exit 0"
PY
grep -q 'not covered by a verified archive as the' "$T/out" && [ $rc = 0 ] &&
	die "warns 'not erased' and exits 0: $(cat "$T/out")"
ok "the interlock's count agrees with what was erased"
