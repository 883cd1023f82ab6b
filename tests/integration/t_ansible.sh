#!/bin/bash
# t_ansible.sh - the Ansible role (contrib/ansible, site.yml as shipped) against
# three inventory hosts on this machine (ansible_connection=local), each with its
# own scratch tree, loop device, run directory and signing key under $T, a test
# CA on the "controller". The package is installed by the role from
# $DISPOSE_DEB (else `make deb` into $T) and purged by the trap.
#  a) by default: plan only; nothing erased (bytes on the loops, the trees), no certificate
#  b) --check: plan only, the same
#  c) dispose_confirm per host: three runs, three certificates fetched and
#     verified in one batch (the play's summary: 3 valid), the bytes gone
#  d) h3 killed (kill -9) mid-erase: the play fails naming h3; a re-run
#     resumes it to a valid certificate, h1 and h2 unchanged (changed=0)
#  e) a host whose run fails (an immutable file in its tree): the play fails
#     naming it; the others' certificates still verify
# Runs beside other tests (its own loops, trees and run dirs); t_deb.sh, which
# also installs the package, runs alone afterwards, and the lock below orders them.
. "$(dirname "$0")/lib.sh"
need_root
for c in ansible-playbook openssl chattr dpkg; do
	command -v "$c" >/dev/null || skip "$c not installed (scripts/deps.sh check)"
done
# one test at a time installs the package (t_deb.sh takes this lock too)
exec 9>/run/lock/dispose-deb-test.lock || die "cannot open the package test lock"
flock -w 900 9 || skip "another test has held /run/lock/dispose-deb-test.lock for 15 minutes"
# the package's own install is tested: never one that was there before
if dpkg-query -W -f='${Status}' dispose 2>/dev/null | grep -q 'install ok installed'; then
	skip "the dispose package is installed already; this test installs and purges it"
fi
deb=${DISPOSE_DEB:-}
if [ -z "$deb" ]; then
	make -s -C "$SRCDIR" deb B="$T/b" >"$T/deb.log" 2>&1 || die "make deb: $(tail -5 "$T/deb.log")"
	deb=$(ls "$T"/b/deb/dispose_*.deb 2>/dev/null | head -1)
fi
[ -f "$deb" ] || die "no package: DISPOSE_DEB=$deb"
case $deb in /*) ;; *) deb=$SRCDIR/$deb ;; esac
installed=0
trap '[ "$installed" = 1 ] && dpkg --purge dispose >/dev/null 2>&1;
	for h in h1 h2 h3; do chattr -R -i "$T/$h" 2>/dev/null; done; cleanup' EXIT

A=$SRCDIR/contrib/ansible
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 \
	ANSIBLE_LOCAL_TEMP=$T/ansible-tmp ANSIBLE_REMOTE_TEMP=$T/ansible-tmp \
	ANSIBLE_ASYNC_DIR=$T/ansible-async ANSIBLE_HOST_KEY_CHECKING=0 \
	ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_ROLES_PATH=$A/roles ANSIBLE_PIPELINING=1

# the test CA and one signer a host, signed by it (keyUsage digitalSignature)
P=$T/pki
mkdir -p "$P" "$T/ctl"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/ca.key" \
	-out "$P/ca.crt" -days 30 -subj "/CN=Test Fleet CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	2>"$P/log" || die "openssl: $(cat "$P/log")"
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' >"$P/leaf.ext"
for h in h1 h2 h3; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/$h.key" \
		-out "$P/$h.csr" -subj "/CN=$h disposal signer/O=Test" 2>>"$P/log" &&
	openssl x509 -req -in "$P/$h.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
		-days 30 -sha256 -extfile "$P/leaf.ext" -out "$P/$h.crt" 2>>"$P/log" ||
		die "openssl: $(cat "$P/log")"
done

# the test policy: the host's scratch tree SERVER (its srv/ erased) and DISKS
cat >"$T/policy.json" <<'EOF'
{
	"schema": "dispose-policy/1",
	"name": "ansible-test",
	"description": "t_ansible: erase the scratch tree's srv/ and the loop device DISKS",
	"vars": { "METHOD": "zero" },
	"inventory": { "roots": ["${SERVER}"], "categories": ["data", "devices"], "sysroot": "${SERVER}" },
	"erase": [
		{ "name": "data", "paths": ["${SERVER}/srv/**"], "method": "zero", "verify": "last" },
		{ "name": "disk", "devices": ["${DISKS}"], "method": "${METHOD}", "verify": "last" }
	],
	"keep_running_system": true,
	"certificate": {
		"key": "${KEY}", "cert": "${CERT}", "ca": "${CA}",
		"operator_name": "Ansible Test", "organization": "Test Org",
		"media_destination": "internal-reuse"
	}
}
EOF

# tree HOST NAME: a scratch server tree $T/HOST/NAME with a marker in srv/
tree() {
	mkdir -p "$T/$1/$2/srv/data" "$T/$1/$2/etc" || return 1
	printf '%s %s\n' "$MARKER" "$1" >"$T/$1/$2/srv/data/records.db"
	printf 'kept %s\n' "$1" >"$T/$1/$2/etc/hostname"
}
declare -A DISK
for h in h1 h2 h3; do
	tree $h server || die "tree $h"
	DISK[$h]=$(mkloop 4 "$T/$h-disk.img") || die "mkloop"
	fill_marker "${DISK[$h]}" 4
done

# inventory FILE CONFIRMED... : the three hosts; HOST=... overrides as name:key=value
declare -A RUN SRV METHOD
for h in h1 h2 h3; do RUN[$h]=$T/$h/run; SRV[$h]=$T/$h/server; METHOD[$h]=zero; done
inventory() {
	local f=$1 h c
	shift
	{
		echo "dispose:"
		echo "  vars:"
		echo "    ansible_connection: local"
		echo "    ansible_python_interpreter: /usr/bin/python3"
		echo "    ansible_become: false"
		echo "    dispose_deb: '$deb'"
		echo "    dispose_policy_src: '$T/policy.json'"
		echo "    dispose_verify_ca: '$P/ca.crt'"
		echo "    dispose_controller_bin: /usr/sbin/dispose"
		echo "    dispose_fetch_dir: '$T/ctl'"
		echo "    dispose_poll: 1"
		echo "    dispose_busy_delay: 1"
		echo "    dispose_install_throttle: 1"
		echo "    dispose_installed: ${INSTALLED:-false}"
		echo "  hosts:"
		for h in h1 h2 h3; do
			echo "    $h:"
			echo "      dispose_deb_dest: '$T/$h/pkg/dispose.deb'"
			echo "      dispose_policy_dest: '$T/$h/etc-dispose/policy.json'"
			echo "      dispose_key_src: '$P/$h.key'"
			echo "      dispose_key_dest: '$T/$h/etc-dispose/signing-key.pem'"
			echo "      dispose_cert_src: '$P/$h.crt'"
			echo "      dispose_cert_dest: '$T/$h/etc-dispose/signing-cert.pem'"
			echo "      dispose_ca_src: '$P/ca.crt'"
			echo "      dispose_ca_dest: '$T/$h/etc-dispose/ca.pem'"
			echo "      dispose_run_dir: '${RUN[$h]}'"
			echo "      dispose_set:"
			echo "        SERVER: '${SRV[$h]}'"
			echo "        DISKS: '${DISK[$h]}'"
			echo "        METHOD: '${METHOD[$h]}'"
			echo "        KEY: '$T/$h/etc-dispose/signing-key.pem'"
			echo "        CERT: '$T/$h/etc-dispose/signing-cert.pem'"
			echo "        CA: '$T/$h/etc-dispose/ca.pem'"
			for c in "$@"; do [ "$c" = "$h" ] && echo "      dispose_confirm: $h"; done
		done
	} >"$f"
}
# play NAME INVENTORY [ansible-playbook args]: output in $T/NAME.out, exit in $T/NAME.rc
play() {
	local n=$1 inv=$2 s
	shift 2
	s=$(date +%s)
	ansible-playbook -i "$inv" "$A/site.yml" "$@" </dev/null 2>&1 |
		while IFS= read -r l; do printf '%s\n' "$l"; [ -n "${T_ANSIBLE_KEEP:-}" ] && printf '%(%T)T %s\n' -1 "$l" >>"$T/$n.times"; done >"$T/$n.out"
	echo "${PIPESTATUS[0]}" >"$T/$n.rc"
	echo "play $n: exit $(cat "$T/$n.rc"), $(($(date +%s) - s))s"
	# T_ANSIBLE_KEEP=DIR: keep each play's output (and its timed copy) there
	if [ -n "${T_ANSIBLE_KEEP:-}" ]; then
		mkdir -p "$T_ANSIBLE_KEEP" && cp "$T/$n.out" "$T/$n.times" "$T_ANSIBLE_KEEP/"
	fi
}
# why NAME: the failed tasks of a play, for a message
why() { grep -A6 -E '^(fatal|failed): ' "$T/$1.out" | head -40; tail -6 "$T/$1.out"; }
# recap NAME HOST: that host's PLAY RECAP line
recap() { grep -E "^$2 +: ok=" "$T/$1.out"; }
markers() { # the markers left on the loop devices and in the trees
	local h n=0
	for h in h1 h2 h3; do
		n=$((n + $(count_marker "${DISK[$h]}")))
		[ -e "${SRV[$h]}/srv/data/records.db" ] && n=$((n + $(count_marker "${SRV[$h]}/srv/data/records.db")))
	done
	echo $n
}
t0=$(date +%s)
want_markers=$(markers)
[ "$want_markers" -gt 3 ] || die "setup: $want_markers markers"

# a) by default: install, place, plan; nothing erased, no certificate
inventory "$T/inv-plan.yml"
installed=1	# purged by the trap from now on (it was not installed before)
play a "$T/inv-plan.yml"
[ "$(cat "$T/a.rc")" = 0 ] || die "a) plan-only play: exit $(cat "$T/a.rc"): $(why a)"
dpkg-query -W -f='${Status}' dispose | grep -q 'install ok installed' || die "a) the package is not installed"
[ "$(stat -c '%a %U' "$T/h1/etc-dispose/signing-key.pem")" = "600 root" ] || die "a) the key is not 0600 root"
cmp -s "$P/h2.crt" "$T/h2/etc-dispose/signing-cert.pem" || die "a) the signing certificate is not placed"
for h in h1 h2 h3; do
	grep -q "plan only: nothing erased; to run it set dispose_confirm: $h" "$T/a.out" || die "a) $h: no plan-only line"
	[ ! -e "${RUN[$h]}" ] || die "a) $h: a run directory was made"
done
grep -q "targets (2): erased" "$T/a.out" || die "a) the plan is not shown: $(why a)"
grep -q "$T/h1/server/srv" "$T/a.out" || die "a) the plan does not name h1's tree"
[ "$(markers)" = "$want_markers" ] || die "a) markers erased by a plan-only play"
[ -z "$(ls -A "$T/ctl")" ] || die "a) something fetched: $(ls -R "$T/ctl")"
grep -q 'no certificate fetched: nothing to verify' "$T/a.out" || die "a) no 'nothing to verify'"
ok "a) default: plan only on 3 hosts, the package installed, nothing erased"

# b) check mode, every host confirmed: plan only
inventory "$T/inv-run.yml" h1 h2 h3
play b "$T/inv-run.yml" --check
[ "$(cat "$T/b.rc")" = 0 ] || die "b) check mode: exit $(cat "$T/b.rc"): $(why b)"
[ "$(grep -c 'targets (2): erased' "$T/b.out")" = 3 ] || die "b) check mode: the plan not shown for 3 hosts"
grep -q 'Run the policy' "$T/b.out" && ! grep -A4 'TASK \[dispose : Run the policy' "$T/b.out" | grep -q '^changed:\|^ok:' ||
	die "b) check mode ran the policy: $(grep -A4 'Run the policy' "$T/b.out")"
for h in h1 h2 h3; do [ ! -e "${RUN[$h]}" ] || die "b) $h: a run directory was made"; done
[ "$(markers)" = "$want_markers" ] || die "b) markers erased in check mode"
[ -z "$(ls -A "$T/ctl")" ] || die "b) something fetched in check mode"
ok "b) --check: plan only, nothing erased"

# c) confirmed per host: three runs, three certificates fetched, one batch verify
play c "$T/inv-run.yml"
[ "$(cat "$T/c.rc")" = 0 ] || die "c) exit $(cat "$T/c.rc"): $(why c)"
grep -q '3 certificates: 3 valid' "$T/c.out" || die "c) no '3 certificates: 3 valid': $(why c)"
for h in h1 h2 h3; do
	for f in certificate.json certificate.json.p7s events.jsonl plan.json; do
		[ -s "$T/ctl/$h/$f" ] || die "c) $h: $f not fetched"
	done
	grep -q "$T/ctl/$h/certificate.json: valid: certificate-of-sanitization" "$T/c.out" ||
		die "c) $h: not said valid"
	cmp -s "$T/ctl/$h/certificate.json" "${RUN[$h]}/certificate.json" || die "c) $h: fetched certificate differs"
	openssl cms -verify -binary -inform DER -in "$T/ctl/$h/certificate.json.p7s" \
		-content "$T/ctl/$h/certificate.json" -CAfile "$P/ca.crt" -purpose any -out /dev/null \
		2>/dev/null || die "c) $h: openssl cms -verify refuses the fetched certificate"
	[ "$(count_marker "${DISK[$h]}")" = 0 ] || die "c) $h: markers left on ${DISK[$h]}"
	[ ! -e "${SRV[$h]}/srv/data/records.db" ] || die "c) $h: srv/data/records.db still there"
	[ -e "${SRV[$h]}/etc/hostname" ] || die "c) $h: etc/hostname (not in the policy) erased"
done
[ "$(markers)" = 0 ] || die "c) markers left"
ok "c) three runs, three certificates fetched and verified in one batch, the bytes gone"

# d) h3 anew (a new run directory, tree and a slower loop): killed mid-erase
RUN[h3]=$T/h3/run2; SRV[h3]=$T/h3/server2; METHOD[h3]=gutmann
tree h3 server2 || die "tree h3 server2"
DISK[h3]=$(mkloop 128 "$T/h3-big.img") || die "mkloop"
fill_marker "${DISK[h3]}" 128
inventory "$T/inv-run.yml" h1 h2 h3
# the watcher: once h3's record shows 3 passes ended (its tree's, two of
# gutmann's 35), kill -9 the dispose working in h3's run directory
(
	for _ in $(seq 600); do
		n=$(grep -c '"event":"pass_end"' "${RUN[h3]}/events.jsonl" 2>/dev/null)
		if [ "${n:-0}" -ge 3 ]; then
			for p in /proc/[0-9]*; do
				c=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
				case $c in "/usr/sbin/dispose run "*"--run-dir ${RUN[h3]} "*)
					kill -9 "${p#/proc/}" && echo "killed ${p#/proc/}: $c" ;;
				esac
			done
			exit 0
		fi
		sleep 0.1
	done
	echo "watcher: h3 never got to its third pass"
) >"$T/watcher.out" 2>&1 &
watcher=$!
# (the package as installed: a and c install it, d's re-run checks it changes nothing)
INSTALLED=true inventory "$T/inv-installed.yml" h1 h2 h3
play d1 "$T/inv-installed.yml"
wait "$watcher"
grep -q '^killed ' "$T/watcher.out" || die "d) nothing killed: $(cat "$T/watcher.out"); $(why d1)"
[ "$(cat "$T/d1.rc")" != 0 ] || die "d) the play with h3 killed passed"
grep -q 'h3: dispose run interrupted (exit -9); re-run the play to resume it' "$T/d1.out" ||
	die "d) the failure does not name h3: $(why d1)"
recap d1 h3 | grep -q ' failed=1 ' || die "d) h3 not failed: $(recap d1 h3)"
for h in h1 h2; do recap d1 $h | grep -q ' changed=0 .* failed=0 ' || die "d) $h: $(recap d1 $h)"; done
grep -q '"event":"erase_end"' "${RUN[h3]}/events.jsonl" && die "d) h3's erase ended: not killed mid-erase"
# killed mid-erase: gutmann's 35 passes not all done (the first, random, hid the marker)
[ "$(grep -c '"event":"pass_end"' "${RUN[h3]}/events.jsonl")" -lt 36 ] || die "d) h3's passes all ended before the kill"
grep -q '2 certificates: 2 valid' "$T/d1.out" || die "d) h1, h2 not verified: $(why d1)"
ok "d) h3 killed mid-erase: the play fails naming it"
play d2 "$T/inv-run.yml"
[ "$(cat "$T/d2.rc")" = 0 ] || die "d) re-run: exit $(cat "$T/d2.rc"): $(why d2)"
grep -q "${RUN[h3]}: unfinished: resumed when confirmed" "$T/d2.out" || die "d) h3 not said unfinished"
grep -q '"event":"run_resumed"' "${RUN[h3]}/events.jsonl" || die "d) h3 not resumed"
grep -q '"event":"run_end".*"status":"success"' "${RUN[h3]}/events.jsonl" || die "d) h3: no successful run_end"
[ "$(count_marker "${DISK[h3]}")" = 0 ] || die "d) markers left on h3's loop"
[ ! -e "${SRV[h3]}/srv/data/records.db" ] || die "d) h3's tree not erased"
grep -q '3 certificates: 3 valid' "$T/d2.out" || die "d) re-run: not 3 valid: $(why d2)"
grep -q "$T/ctl/h3/certificate.json: valid: certificate-of-sanitization" "$T/d2.out" || die "d) h3 not valid"
for h in h1 h2; do recap d2 $h | grep -q ' changed=0 .* failed=0 ' || die "d) re-run $h: $(recap d2 $h)"; done
recap d2 h3 | grep -q ' failed=0 ' || die "d) re-run h3: $(recap d2 h3)"
ok "d) the re-run resumes h3 to a valid certificate; h1, h2 unchanged (changed=0)"

# e) h2 anew with a file that cannot be erased (immutable): the play fails naming h2
RUN[h2]=$T/h2/run2; SRV[h2]=$T/h2/server2
tree h2 server2 || die "tree h2 server2"
chattr +i "${SRV[h2]}/srv/data/records.db" || die "chattr +i"
INSTALLED=true inventory "$T/inv-installed.yml" h1 h2 h3
play e "$T/inv-installed.yml"
chattr -i "${SRV[h2]}/srv/data/records.db"
[ "$(cat "$T/e.rc")" != 0 ] || die "e) the play with h2 failing passed"
grep -q 'h2: dispose run failed (exit 1: failed or completed with errors); its record and failure report fetched' "$T/e.out" ||
	die "e) the failure does not name h2: $(why e)"
recap e h2 | grep -q ' failed=1 ' || die "e) h2 not failed: $(recap e h2)"
grep -q '"kind": "sanitization-failure-report"' "$T/ctl/h2/certificate.json" || die "e) h2's failure report not fetched"
grep -q '2 certificates: 2 valid' "$T/e.out" || die "e) h1, h3 not verified: $(why e)"
ok "e) a failed run fails the play naming h2; the others verify"

# the play's summary when every host is done (d's re-run)
sed -n '/TASK \[dispose : Show the batch verification\]/,/^$/p' "$T/d2.out"
sed -n '/^PLAY RECAP/,$p' "$T/d2.out"
ok "t_ansible: $(($(date +%s) - t0))s"
