#!/bin/bash
# t_r1_redact_keyfp.sh - R1 (#15): certify --redact serials,host,paths must not leave the
# public-key fingerprints of the key material found (key_material[].fingerprint, the SPKI
# SHA-256 the inventory records) in the redacted copy: a TLS key's SPKI SHA-256 is
# searchable in Certificate Transparency logs (crt.sh spkisha256) and an SSH host key's
# in scanners' databases, so the fingerprint names the host (and its domain) the copy
# is meant to hide. The copy (JSON, dispose show, PDF text) must hold no such fingerprint.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
command -v openssl >/dev/null || skip "openssl missing"
server_and_signer
redact_policy t-r1-keyfp '"serials", "host", "paths"' <<JSON
	"inventory": {"roots": ["$srv"], "categories": ["data", "keys"], "hash": true,
		      "sysroot": "$srv"},
	"erase": [{"name": "keys", "keys": ["any"], "method": "zero", "verify": "last"}],
JSON
redact_run
r=$T/run/certificate.redacted.json
[ -s "$r" ] || die "no redacted copy"
# the TLS key's public key, as Certificate Transparency indexes it
fp=$(openssl pkey -in "$srv.orig/keys/tls.key" -pubout -outform DER | sha256sum | cut -d' ' -f1)
grep -qF "$fp" "$T/run/certificate.json" ||
	die "the full certificate does not hold the TLS key's SPKI SHA-256: the test is vacuous"
! grep -qiF "$fp" "$r" || die "the redacted copy holds the TLS key's SPKI SHA-256 $fp (crt.sh finds the host's domain by it)"
python3 - "$r" <<'PY' || die "a key fingerprint in the copy"
import json, sys
d = json.load(open(sys.argv[1]))
for t in d["targets"]:
    for k in t["key_material"]:
        fp = k.get("fingerprint")
        assert fp is None or fp.startswith("redacted:"), ("plain fingerprint", t["id"], fp)
PY
"$DISPOSE" show "$r" >"$T/show.out" 2>&1
! grep -qiF "${fp:0:16}" "$T/show.out" || die "dispose show of the copy prints the fingerprint"
ok "the redacted copy names no key by its public-key fingerprint"
