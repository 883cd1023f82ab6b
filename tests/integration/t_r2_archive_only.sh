#!/bin/bash
# t_r2_archive_only.sh - R2: a run whose policy erases nothing (as the shipped
# records-archive): everything asked was done, yet the run printed status
# "success" with exit 1 and signed a "sanitization failure report" whose
# failures say "no target". Its outcome must agree with itself: status
# success is exit 0, and no document claims a failure nothing had (nor a
# sanitization nothing did).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
make_signer "$T/signer"
s=$T/srv
make_server "$s"
cat >"$T/p.json" <<JSON
{"schema": "dispose-policy/1", "name": "t-r2", "description": "archive only",
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": true, "sysroot": "$s"},
 "retain": [{"name": "records", "paths": ["$s/etc/**", "$s/srv/records/**"],
	     "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
	     "organization": "Test Org", "legal_hold": false}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON
"$DISPOSE" run --policy "$T/p.json" --yes --progress json --run-dir "$T/r" >"$T/out" 2>"$T/err"
rc=$?
python3 - "$T/out" "$rc" "$T/r/certificate.json" <<'PY' || die "archive-only run (exit $rc): $(tail -1 "$T/out") $(cat "$T/err")"
import json, os, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
res = lines[-1]
assert res["event"] == "result", res
rc = int(sys.argv[2])
assert res["exit"] == rc, ("result exit differs from the exit status", res["exit"], rc)
assert res["status"] == "success", res["status"]
assert rc == 0, ("status success but exit %d" % rc)
if os.path.exists(sys.argv[3]):
    c = json.load(open(sys.argv[3]))
    assert c["kind"] != "certificate-of-sanitization", "claims a sanitization of nothing"
    assert not c["summary"].get("failures"), ("failures claimed", c["summary"]["failures"])
PY
for f in etc/app.conf srv/records/r2.txt srv/data/a.txt; do
	cmp -s "$s/$f" "$s.orig/$f" || die "$f changed by an archive-only run"
done
ok "archive-only run: success, exit 0, no failure claimed"
