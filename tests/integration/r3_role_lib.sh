# r3_role_lib.sh - sourced by the t_r3_* role tests: a light fleet of local
# hosts (no package: dispose_installed with $DISPOSE as dispose_bin), each with
# a scratch tree whose srv/ the policy erases (no loop device), a signer each
# and a test CA on the "controller".
#   r3_setup HOSTS...          trees, keys, the policy, $T/ctl
#   r3_inventory FILE [EXTRA]  the inventory (EXTRA: lines appended to the group vars)
#   r3_play NAME INV [args]    ansible-playbook site.yml; $T/NAME.out, $T/NAME.rc
#   r3_erased HOST             true if HOST's srv/data/records.db is gone
for c in ansible-playbook openssl; do
	command -v "$c" >/dev/null || skip "$c not installed (scripts/deps.sh check)"
done
A=$SRCDIR/contrib/ansible
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 \
	ANSIBLE_LOCAL_TEMP=$T/ansible-tmp ANSIBLE_REMOTE_TEMP=$T/ansible-tmp \
	ANSIBLE_ASYNC_DIR=$T/ansible-async ANSIBLE_HOST_KEY_CHECKING=0 \
	ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_ROLES_PATH=$A/roles ANSIBLE_PIPELINING=1
R3_BIN=$(readlink -f "${DISPOSE_REL:-$DISPOSE}")
R3_HOSTS=()
declare -A R3_RUN R3_SRV R3_SET_EXTRA R3_ID
r3_setup() {
	local h P=$T/pki i=0
	R3_HOSTS=("$@")
	# files by index: a host's name may hold '/' (t_r3_fetch_name)
	for h in "$@"; do i=$((i + 1)); R3_ID[$h]=n$i; done
	mkdir -p "$P" "$T/ctl"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/ca.key" \
		-out "$P/ca.crt" -days 30 -subj "/CN=R3 Test CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		2>"$P/log" || die "openssl: $(cat "$P/log")"
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' >"$P/leaf.ext"
	for h in "$@"; do
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/${R3_ID[$h]}.key" \
			-out "$P/${R3_ID[$h]}.csr" -subj "/CN=${R3_ID[$h]} signer/O=Test" 2>>"$P/log" &&
		openssl x509 -req -in "$P/${R3_ID[$h]}.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
			-days 30 -sha256 -extfile "$P/leaf.ext" -out "$P/${R3_ID[$h]}.crt" 2>>"$P/log" ||
			die "openssl: $(cat "$P/log")"
		R3_RUN[$h]=$T/${R3_ID[$h]}/run
		R3_SRV[$h]=$T/${R3_ID[$h]}/server
		r3_tree "$h" || die "tree $h"
	done
	cat >"$T/policy.json" <<'EOF'
{
	"schema": "dispose-policy/1",
	"name": "r3-test",
	"description": "r3: erase the scratch tree's srv/ (and EXTRA, a second tree)",
	"inventory": { "roots": ["${SERVER}"], "categories": ["data"], "sysroot": "${SERVER}" },
	"erase": [
		{ "name": "data", "paths": ["${SERVER}/srv/**", "${EXTRA}/**"], "method": "zero", "verify": "last" }
	],
	"keep_running_system": true,
	"certificate": {
		"key": "${KEY}", "cert": "${CERT}", "ca": "${CA}",
		"operator_name": "R3 Test", "organization": "Test Org",
		"media_destination": "internal-reuse"
	}
}
EOF
}
r3_tree() {
	mkdir -p "${R3_SRV[$1]}/srv/data" "${R3_SRV[$1]}/etc" "${R3_SRV[$1]}/none" || return 1
	printf '%s %s\n' "$MARKER" "$1" >"${R3_SRV[$1]}/srv/data/records.db"
}
r3_erased() { [ ! -e "${R3_SRV[$1]}/srv/data/records.db" ]; }
r3_inventory() {
	local f=$1 extra=${2:-} h P=$T/pki d
	{
		echo "dispose:"
		echo "  vars:"
		echo "    ansible_connection: local"
		echo "    ansible_python_interpreter: /usr/bin/python3"
		echo "    ansible_become: false"
		echo "    dispose_installed: true"
		echo "    dispose_bin: '$R3_BIN'"
		echo "    dispose_controller_bin: '$R3_BIN'"
		echo "    dispose_policy_src: '$T/policy.json'"
		echo "    dispose_verify_ca: '$P/ca.crt'"
		echo "    dispose_fetch_dir: '$T/ctl'"
		echo "    dispose_poll: 1"
		echo "    dispose_busy_delay: 1"
		[ -n "$extra" ] && printf '%s\n' "$extra"
		echo "  hosts:"
		for h in "${R3_HOSTS[@]}"; do
			d=$T/${R3_ID[$h]}
			echo "    '$h':"
			echo "      dispose_policy_dest: '$d/etc-dispose/policy.json'"
			echo "      dispose_key_src: '$P/${R3_ID[$h]}.key'"
			echo "      dispose_key_dest: '$d/etc-dispose/signing-key.pem'"
			echo "      dispose_cert_src: '$P/${R3_ID[$h]}.crt'"
			echo "      dispose_cert_dest: '$d/etc-dispose/signing-cert.pem'"
			echo "      dispose_ca_src: '$P/ca.crt'"
			echo "      dispose_ca_dest: '$d/etc-dispose/ca.pem'"
			echo "      dispose_run_dir: '${R3_RUN[$h]}'"
			echo "      dispose_set:"
			echo "        SERVER: '${R3_SRV[$h]}'"
			echo "        KEY: '$d/etc-dispose/signing-key.pem'"
			echo "        CERT: '$d/etc-dispose/signing-cert.pem'"
			echo "        CA: '$d/etc-dispose/ca.pem'"
			echo "        EXTRA: '${R3_SET_EXTRA[$h]:-${R3_SRV[$h]}/none}'"
			[ -n "${R3_HOSTLINE[$h]:-}" ] && printf '%s\n' "${R3_HOSTLINE[$h]}"
		done
	} >"$f"
}
declare -A R3_HOSTLINE
r3_play() {
	local n=$1 inv=$2
	shift 2
	ansible-playbook -i "$inv" "$A/site.yml" "$@" </dev/null >"$T/$n.out" 2>&1
	echo $? >"$T/$n.rc"
}
# r3_planned NAME HOST: the play showed HOST's plan (the setup works)
r3_planned() { grep -q "${R3_SRV[$2]}/srv" "$T/$1.out"; }
r3_why() { grep -A6 -E '^(fatal|failed): ' "$T/$1.out" | head -30; tail -8 "$T/$1.out"; }
