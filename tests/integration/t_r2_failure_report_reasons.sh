#!/bin/bash
# t_r2_failure_report_reasons.sh - R2: the failure report of a run that
# stopped before erasing (1: the archive cannot be written, exit 1; 2: the
# erase refused by its checks, a key file with a second name, exit 4) says
# only "no target: the run records erased nothing": it names neither the
# archive that failed nor the planned targets that were refused. An
# auditor must read from the signed document why nothing was erased.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
make_signer "$T/signer"

# policy FILE SERVER [DEST]
policy() {
	local dest=""
	[ -n "${3:-}" ] && dest="\"destination\": \"$3\","
	cat >"$1" <<JSON
{"schema": "dispose-policy/1", "name": "t-r2", "description": "r2",
 "inventory": {"roots": ["$2"], "categories": ["data", "keys"], "hash": true, "sysroot": "$2"},
 "retain": [{"name": "records", $dest "paths": ["$2/etc/**"],
	     "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
	     "organization": "Test Org", "legal_hold": false}],
 "erase": [{"name": "data", "paths": ["$2/srv/**", "$2/home/**"], "method": "zero"},
	   {"name": "keys", "keys": ["any"], "method": "zero"}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON
}

# failures CERT WORD: the signed failures name WORD
failures_name() {
	python3 - "$1" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
f = " ".join(c["summary"].get("failures", []))
assert c["kind"] == "sanitization-failure-report", c["kind"]
assert sys.argv[2] in f, ("failures do not name", sys.argv[2], f)
PY
}

make_server "$T/s1"
: >"$T/blocker"
policy "$T/p1.json" "$T/s1" "$T/blocker/arch"
"$DISPOSE" run --policy "$T/p1.json" --yes --progress none --run-dir "$T/r1" >"$T/out" 2>&1
rc=$?
[ $rc = 1 ] || die "archive cannot be written: expected exit 1, got $rc"
[ -e "$T/s1/srv/data/a.txt" ] || die "erased although the archive failed"
failures_name "$T/r1/certificate.json" archive || die "archive failure not in the report"
ok "the failure report names the archive that failed"

make_server "$T/s2"
ln "$T/s2/keys/tls.key" "$T/s2/etc/tls-link.key" || die "ln"
policy "$T/p2.json" "$T/s2"
"$DISPOSE" run --policy "$T/p2.json" --yes --progress none --run-dir "$T/r2" >"$T/out" 2>&1
rc=$?
[ $rc = 4 ] || die "erase refused: expected exit 4, got $rc"
failures_name "$T/r2/certificate.json" tls.key || die "the refused targets are not in the report"
ok "the failure report names the refused targets"
