#!/bin/bash
# t_r1_redact_recipient_fp.sh - R1 (#15): --redact serials hides an archive recipient's
# X.509 serial, but keeps recipients[].sha256, the SHA-256 fingerprint of that very
# certificate: whoever holds the (public) recipient certificate matches the fingerprint and
# reads the serial off it. Hiding the serial means hiding what identifies the certificate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
D=$DISPOSE
cd "$T" || die "cd"
selfsigned s '/CN=recipient test signer' -addext keyUsage=critical,digitalSignature || die "signer"
selfsigned rec '/CN=records escrow/O=Example Org' || die "recipient"
mkdir -p keep && echo r >keep/a.txt
"$D" archive create -q --run-dir "$T/ra" -r "$T/keep" --recipient "$T/rec.crt" \
	-o "$T/keep.tar.zst.enc" >/dev/null 2>"$T/err" || die "archive: $(cat "$T/err")"
"$D" certify --run-dir "$T/ra" --key s.key --cert s.crt --redact serials -o "$T/c.json" \
	>"$T/c.out" 2>&1 || [ $? = 3 ] || die "certify: $(cat "$T/c.out")"
[ -s "$T/c.redacted.json" ] || die "no copy: $(cat "$T/c.out")"
fp=$(openssl x509 -in rec.crt -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
python3 - "$T/c.json" "$T/c.redacted.json" "$fp" <<'PY' || die "the recipient's identity in the copy"
import json, sys
full, copy = (json.load(open(p)) for p in sys.argv[1:3])
fp = sys.argv[3]
f = full["backup"]["archives"][0]["recipients"][0]
c = copy["backup"]["archives"][0]["recipients"][0]
assert f["sha256"] == fp, ("vacuous: the full certificate's recipient sha256", f)
if c["serial"].startswith("redacted:"):
    assert fp not in open(sys.argv[2]).read(), \
        "serial hidden, but the certificate's SHA-256 %s is in the copy: the serial is one lookup away" % fp
PY
ok "a recipient whose serial is hidden is not named by its fingerprint either"
