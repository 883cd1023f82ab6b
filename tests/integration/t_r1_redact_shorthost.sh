#!/bin/bash
# t_r1_redact_shorthost.sh - R1 (#15): a host name shorter than 4 bytes ("db1", "vm",
# "ns1": common) is hidden only where it is a whole string, but dispose itself writes it
# into the names of the archives it makes (records-db1-YYYYMMDD.tar.zst): with
# certificate.redact ["host"] the copy's backup.archives[].path names the host. A short
# value must be hidden where it stands as a word (between separators) too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
command -v unshare >/dev/null || skip "unshare missing"
command -v python3 >/dev/null || skip "python3 missing"
H=db1
server_and_signer
redact_policy t-r1-shorthost '"host"' <<JSON
	"inventory": {"roots": ["$srv"], "categories": ["data"], "hash": true, "sysroot": "$srv"},
	"retain": [{"name": "records", "destination": "$T/dest",
		    "paths": ["$srv/srv/records/**"], "retain_until": "1y"}],
	"erase": [{"name": "data", "paths": ["$srv/srv/data/**"], "method": "zero", "verify": "last"}],
JSON
unshare -u /bin/sh -c "hostname $H && \"$DISPOSE\" run --policy \"$T/policy.json\" --yes \
	--progress none --run-dir \"$T/run\" >\"$T/out\" 2>&1" || die "run: $(cat "$T/out")"
c=$T/run/certificate.json
r=$T/run/certificate.redacted.json
[ -s "$r" ] || die "no redacted copy"
python3 - "$c" "$r" "$H" <<'PY' || die "the short host name in the copy"
import json, re, sys
full, copy = (json.load(open(p)) for p in sys.argv[1:3])
h = sys.argv[3]
assert full["host"]["hostname"] == h
names = [a["path"] for a in full["backup"]["archives"]]
assert any(re.search(r"(^|[^A-Za-z0-9])%s([^A-Za-z0-9]|$)" % h, n) for n in names), \
    ("vacuous: no archive named after the host", names)
text = open(sys.argv[2]).read()
m = re.search(r"(^|[^A-Za-z0-9])%s([^A-Za-z0-9]|$)" % h, text)
assert not m, "'%s' as a word in the copy: ...%s..." % (h, text[max(0, m.start() - 60):m.end() + 20])
PY
ok "a 3-byte host name: not in the copy as a word (archive names)"
