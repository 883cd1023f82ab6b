#!/bin/bash
# t_r2_cert_foreign.sh - R2: a certificate.json(.p7s) found in the run
# directory before the certify step is kept only when it is this run's,
# signed by the policy's signer. One signed by another key (a self-made
# signer, for another run) must not be kept as the run's certificate, nor
# make the run report a certificate of sanitization it did not sign.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
make_signer "$T/signer"
"$DISPOSE" keygen --subject "/CN=mallory/O=Elsewhere" -o "$T/mallory" >/dev/null 2>&1 || die "keygen"

# policy FILE SERVER: no device; records retained, the rest erased
policy() {
	cat >"$1" <<JSON
{"schema": "dispose-policy/1", "name": "t-r2", "description": "r2",
 "inventory": {"roots": ["$2"], "categories": ["data", "keys"], "hash": true, "sysroot": "$2"},
 "retain": [{"name": "records", "paths": ["$2/etc/**", "$2/var/log/**", "$2/srv/records/**"],
	     "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
	     "organization": "Test Org", "legal_hold": false}],
 "erase": [{"name": "data", "paths": ["$2/srv/**", "$2/home/**"], "method": "zero"},
	   {"name": "keys", "keys": ["any"], "method": "zero"},
	   {"name": "app", "paths": ["$2/opt/app"], "method": "zero"}],
 "certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt", "operator_name": "Op",
		 "organization": "Test Org", "media_destination": "recycling"}}
JSON
}

# another, complete run: its certificate re-signed by mallory
make_server "$T/other"
policy "$T/pother.json" "$T/other"
"$DISPOSE" run --policy "$T/pother.json" --yes --progress none --run-dir "$T/rother" \
	>"$T/out" 2>&1 || die "other run: $(cat "$T/out")"

make_server "$T/srv"
policy "$T/p.json" "$T/srv"
DISPOSE_TEST_RUN_KILL=erase:end "$DISPOSE" run --policy "$T/p.json" --yes --progress none \
	--run-dir "$T/run" >"$T/out" 2>&1
[ $? = 137 ] || die "the test hook did not kill the run at erase:end: $(cat "$T/out")"
"$DISPOSE" certify --run-dir "$T/rother" --key "$T/mallory.key" --cert "$T/mallory.crt" \
	-o "$T/run/certificate.json" >"$T/out" 2>&1 || die "mallory's certify: $(cat "$T/out")"
[ -s "$T/run/certificate.json.p7s" ] || die "no planted .p7s"

"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
openssl cms -verify -binary -inform DER -in "$T/run/certificate.json.p7s" \
	-content "$T/run/certificate.json" -CAfile "$T/signer.crt" -purpose any \
	-out /dev/null >"$T/ossl" 2>&1 ||
	die "resume kept a certificate the policy's signer did not sign (exit $rc): $(cat "$T/out")"
"$DISPOSE" verify --ca "$T/signer.crt" --run-dir "$T/run" "$T/run/certificate.json" \
	>"$T/v" 2>&1 || die "the run's certificate is not this run's: $(cat "$T/v")"
[ $rc = 0 ] || die "resume: expected exit 0, got $rc: $(cat "$T/out")"
ok "a foreign certificate in the run directory is not taken as the run's"
