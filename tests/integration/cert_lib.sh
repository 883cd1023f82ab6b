# cert_lib.sh - shared helpers of the certificate tests (sourced after lib.sh).
# Test PKI made with the openssl CLI under $T/pki: a root CA, an intermediate,
# EC and RSA leaves, self-signed signers, an expired signer and signers
# without digitalSignature; real certificates from an erase of a loop device.
command -v openssl >/dev/null || skip "openssl missing"

# The stock auditor recipe (dispose-certificate(5), README): exit 0 = accepted.
recipe() { # NAME.json [CA.pem]
	openssl cms -verify -binary -inform DER -in "$1.p7s" -content "$1" \
		-CAfile "${2:-$P/root.crt}" -purpose any -out /dev/null 2>/dev/null
}

P=$T/pki
_ec() { echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256"; }

# pki_make: everything below, once per test
pki_make() {
	mkdir -p "$P" || return 1
	(
	cd "$P" || exit 1
	set -e
	exec 2>openssl.log
	cat >ca.cnf <<'EOF'
[ ca ]
default_ca = d
[ d ]
dir = .
database = idx
new_certs_dir = .
serial = ser
default_md = sha256
policy = p
copy_extensions = none
unique_subject = no
[ p ]
commonName = supplied
organizationName = optional
[ v3_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_int ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ leaf_nods ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,nonRepudiation,keyEncipherment
[ leaf_noku ]
basicConstraints = critical,CA:FALSE
subjectKeyIdentifier = hash
EOF
	: >idx
	echo 1000 >ser
	# root CA (self-signed) and an intermediate it signs
	openssl req -x509 $(_ec) -nodes -keyout root.key -out root.crt -days 3650 \
		-subj "/CN=Test Disposal Root CA" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
	openssl req -new $(_ec) -nodes -keyout int.key -out int.csr -subj "/CN=Test Intermediate CA"
	openssl ca -batch -config ca.cnf -cert root.crt -keyfile root.key -in int.csr -out int.crt \
		-days 3000 -extensions v3_int -notext
	# leaves: EC and RSA under the intermediate; one expired; two without digitalSignature
	leaf() { # NAME KEYARGS EXT [START END]
		openssl req -new $2 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1 signer/O=Test"
		if [ $# -gt 3 ]; then
			openssl ca -batch -config ca.cnf -cert int.crt -keyfile int.key -in "$1.csr" \
				-out "$1.crt" -startdate "$4" -enddate "$5" -extensions "$3" -notext
		else
			openssl ca -batch -config ca.cnf -cert int.crt -keyfile int.key -in "$1.csr" \
				-out "$1.crt" -days 800 -extensions "$3" -notext
		fi
	}
	leaf ec "$(_ec)" leaf
	leaf rsa "-newkey rsa:2048" leaf
	leaf expired "$(_ec)" leaf 20200101000000Z 20210101000000Z
	leaf nods "$(_ec)" leaf_nods
	leaf noku "$(_ec)" leaf_noku
	# a second, unrelated root (the wrong --ca)
	openssl req -x509 $(_ec) -nodes -keyout other.key -out other.crt -days 3650 \
		-subj "/CN=Some Other CA" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
	# self-signed signers, as dispose keygen makes them
	openssl req -x509 $(_ec) -nodes -keyout ss-ec.key -out ss-ec.crt -days 800 \
		-subj "/CN=self-signed ec" -addext "keyUsage=critical,digitalSignature"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ss-rsa.key -out ss-rsa.crt -days 800 \
		-subj "/CN=self-signed rsa" -addext "keyUsage=critical,digitalSignature"
	cp int.crt chain.pem
	)
}

# selfsigned NAME SUBJECT [openssl req args]: NAME.key and NAME.crt in the current
# directory, a self-signed EC P-256 certificate valid 30 days
selfsigned() {
	local n=$1 s=$2
	shift 2
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$n.key" -out "$n.crt" \
		-days 30 -subj "$s" "$@" 2>/dev/null
}

# cert_erase_runs: two real runs under $T: r-ok (a loop device, random pass,
# every byte verified: a certificate of sanitization) and r-fail (a file,
# not verified: a failure report).
cert_erase_runs() {
	local dev
	dev=$(mkloop 4) || return 1
	fill_marker "$dev" 4
	"$DISPOSE" erase --yes --progress none --method random --verify last --run-dir "$T/r-ok" \
		"$dev" >"$T/erase-ok.out" 2>&1 || { cat "$T/erase-ok.out"; return 1; }
	echo data >"$T/victim"
	"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r-fail" \
		"$T/victim" >"$T/erase-fail.out" 2>&1
	[ -s "$T/r-fail/events.jsonl" ] || { cat "$T/erase-fail.out"; return 1; }
}

# certify_with SIGNER RUNDIR OUT [extra certify args]: dispose certify signed by $P/SIGNER
certify_with() {
	local s=$1 r=$2 out=$3
	shift 3
	# exit 3 for a failure report: the files tell
	"$DISPOSE" certify --run-dir "$r" --key "$P/$s.key" --cert "$P/$s.crt" "$@" -o "$out" \
		>"$out.certify.out" 2>&1
	[ -s "$out" ] && [ -s "$out.p7s" ] || { cat "$out.certify.out"; return 1; }
	return 0
}

# stock_sign SIGNER JSON [CHAIN]: (re)sign JSON with the openssl CLI (bypasses
# dispose's own signer checks: expired, no digitalSignature, crafted documents)
stock_sign() {
	rm -f "$2.p7s"
	openssl cms -sign -binary -in "$2" -signer "$P/$1.crt" -inkey "$P/$1.key" -md sha256 \
		-outform DER -out "$2.p7s" ${3:+-certfile "$3"} 2>>"$P/openssl.log"
}

# verify_out ARGS...: dispose verify's stdout in $T/v.out, stderr in $T/v.err, exit code in $vrc
verify_out() {
	"$DISPOSE" verify "$@" >"$T/v.out" 2>"$T/v.err"
	vrc=$?
}
