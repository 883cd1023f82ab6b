#!/bin/bash
# t_r1_redact_vocab.sh - R1 (#15): a hidden value equal to one of dispose's own words is
# replaced in dispose's fixed vocabulary too. A host named "file": targets[].kind "file"
# becomes a token, the copy fails its own schema and certify --redact host refuses BOTH
# certificates (exit 2, nothing written; dispose run would end without a certificate). A
# host named "zero": method.name "zero" becomes the hostname's token, so an outsider who
# knows the method (method.sha256, .source are plain) reads the hostname back from the
# token (an oracle). Enumerated / dispose-made words must stay as they are.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v unshare >/dev/null || skip "unshare missing"
command -v python3 >/dev/null || skip "python3 missing"
D=$DISPOSE
cd "$T" || die "cd"
selfsigned s '/CN=vocab test signer' -addext keyUsage=critical,digitalSignature || die "signer"
for h in zero file; do
	mkdir -p "$T/$h" && echo data >"$T/$h/f.txt"
	unshare -u /bin/sh -c "hostname $h && \"$D\" erase --yes --progress none --method zero \
		--verify last --run-dir \"$T/$h/r\" \"$T/$h/f.txt\" >\"$T/$h/e.out\" 2>&1 &&
		\"$D\" certify --run-dir \"$T/$h/r\" --key \"$T/s.key\" --cert \"$T/s.crt\" \
		--redact host -o \"$T/$h/c.json\" >\"$T/$h/c.out\" 2>&1"
	rc=$?
	[ $rc = 0 ] || die "host '$h': certify --redact host: exit $rc: $(cat "$T/$h/c.out" "$T/$h/e.out")"
	"$D" verify --ca "$T/s.crt" "$T/$h/c.redacted.json" >"$T/$h/v.out" 2>&1 ||
		die "host '$h': the copy does not verify: $(cat "$T/$h/v.out")"
	python3 - "$T/$h/c.json" "$T/$h/c.redacted.json" "$h" <<'PY' || die "host '$h': vocabulary replaced"
import json, sys
full, copy = (json.load(open(p)) for p in sys.argv[1:3])
assert full["host"]["hostname"] == sys.argv[3]
assert copy["host"]["hostname"].startswith("redacted:")
for ft, ct in zip(full["targets"], copy["targets"]):
    for k in ("kind", "technique", "result", "category_requested", "category_achieved"):
        assert ct[k] == ft[k], (k, ct[k])
    assert ct["method"]["name"] == ft["method"]["name"], ("method.name", ct["method"]["name"])
    assert ct["nist"]["media_type"] == ft["nist"]["media_type"], ct["nist"]["media_type"]
    for p, q in zip(ft["passes"], ct["passes"]):
        assert p["label"] == q["label"], q["label"]
PY
done
ok "a host named 'file' or 'zero': both certificates written, dispose's own words kept in the copy"
