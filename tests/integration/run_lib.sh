# run_lib.sh - a scratch server for the t_run_*.sh tests (sourced after lib.sh
# and erase_lib.sh): a tree with records, data, homes, keys and an application,
# a signing key, a loop device full of markers, and a policy with absolute paths.

# make_server DIR: the tree; saves copies of the retained files in DIR.orig
make_server() {
	local s=$1
	mkdir -p "$s/etc/ssh" "$s/var/log" "$s/srv/records" "$s/srv/data" "$s/home/alice" \
		"$s/opt/app/bin" "$s/keys" || die "mkdir $s"
	echo "PermitRootLogin no" >"$s/etc/ssh/sshd_config"
	printf 'app.port = 8080\n' >"$s/etc/app.conf"
	printf 'Dec  6 12:00:00 host sshd[1]: accepted\n' >"$s/var/log/auth.log"
	head -c 70000 /dev/urandom >"$s/srv/records/ledger-2025.bin"
	printf 'record 2 %s\n' "$MARKER" >"$s/srv/records/r2.txt"
	fill_marker "$s/srv/data/big.dat" 1
	printf 'customer data %s\n' "$MARKER" >"$s/srv/data/a.txt"
	printf 'notes %s\n' "$MARKER" >"$s/home/alice/notes.txt"
	printf '#!/bin/sh\necho %s\n' "$MARKER" >"$s/opt/app/bin/run"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$s/keys/tls.key" 2>/dev/null || die "openssl genpkey"
	ssh-keygen -q -t ed25519 -N '' -C t -f "$s/keys/id_ed25519" || die "ssh-keygen"
	rm -rf "$s.orig"
	cp -a "$s" "$s.orig" || die "cp"
}

# make_signer PREFIX: PREFIX.key, PREFIX.crt
make_signer() {
	"$DISPOSE" keygen --subject "/CN=t-run signer/O=Test" -o "$1" >/dev/null 2>&1 ||
		die "keygen"
}

# server_and_signer: srv=$T/srv, a scratch server there, and the signer $T/signer
server_and_signer() {
	srv=$T/srv
	make_server "$srv"
	make_signer "$T/signer"
}

# write_policy FILE SERVER DISK KEYPREFIX [DEST]: the test's policy
write_policy() {
	local dest=""
	[ -n "${5:-}" ] && dest="\"destination\": \"$5\","
	cat >"$1" <<JSON
{
	"schema": "dispose-policy/1",
	"name": "t-run",
	"description": "integration test policy",
	"inventory": {"roots": ["$2"], "categories": ["data", "keys", "devices"],
		      "hash": true, "sysroot": "$2"},
	"retain": [{"name": "records", $dest
		    "paths": ["$2/etc/**", "$2/var/log/**", "$2/srv/records/**"],
		    "retain_until": "7y", "series": "T-1", "authority": "DA-T-1",
		    "organization": "Test Org", "legal_hold": false}],
	"erase": [
		{"name": "data", "paths": ["$2/srv/**", "$2/home/**"], "method": "zero",
		 "verify": "last"},
		{"name": "keys", "keys": ["any"], "method": "zero", "verify": "last"},
		{"name": "app", "paths": ["$2/opt/app"], "method": "zero", "verify": "last"},
		{"name": "disk", "devices": ["$3"], "method": "zero", "verify": "last"}
	],
	"keep_running_system": true,
	"certificate": {"key": "$4.key", "cert": "$4.crt", "operator_name": "Test Operator",
			"organization": "Test Org", "media_destination": "recycling"}
}
JSON
}

# files_policy NAME DESCRIPTION <<JSON RETAIN: $T/policy.json inventories $srv, keeps
# the retain rules on stdin (JSON lines), erases the server's files and keys and
# certifies with $T/signer; files_run: dispose run of it into $T/run, exit 0
files_policy() {
	cat >"$T/policy.json" <<JSON
{
	"schema": "dispose-policy/1",
	"name": "$1",
	"description": "$2",
	"inventory": {"roots": ["$srv"], "categories": ["data", "keys"], "hash": true,
		      "sysroot": "$srv"},
	"retain": [
$(cat)
	],
	"erase": [
		{"name": "data", "paths": ["$srv/srv/**", "$srv/home/**"], "method": "zero",
		 "verify": "last"},
		{"name": "keys", "keys": ["any"], "method": "zero", "verify": "last"}
	],
	"keep_running_system": true,
	"certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt",
			"operator_name": "Test Operator", "media_destination": "recycling"}
}
JSON
}
files_run() {
	local rc
	"$DISPOSE" run --policy "$T/policy.json" --yes --progress none --run-dir "$T/run" \
		>"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 0 ] || { cat "$T/out" "$T/err"; die "run failed: exit $rc"; }
}

# redact_policy NAME REDACT <<JSON RULES: $T/policy.json named NAME, the rules on stdin
# (inventory, retain, erase: JSON lines), certified by $T/signer with certificate.redact
# [REDACT]; redact_run: dispose run of it into $T/run (output in $T/out), exit 0
redact_policy() {
	cat >"$T/policy.json" <<JSON
{
	"schema": "dispose-policy/1",
	"name": "$1",
$(cat)
	"keep_running_system": true,
	"certificate": {"key": "$T/signer.key", "cert": "$T/signer.crt",
			"redact": [$2]}
}
JSON
}
redact_run() {
	"$DISPOSE" run --policy "$T/policy.json" --yes --progress none --run-dir "$T/run" \
		>"$T/out" 2>&1 || die "run: $(cat "$T/out")"
}

# check_run_record DIR: one record of dispose run, chain intact, each archive created once
check_run_record() {
	check_chain "$1"
	python3 - "$1/events.jsonl" <<'PY' || die "$1: record not as expected"
import collections, json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
starts = [e for e in evs if e["event"] == "run_start"]
assert len(starts) == 1 and starts[0]["command"] == "run", "one run_start of command run"
made = collections.Counter(e["archive"] for e in evs if e["event"] == "archive_created")
assert made and all(n == 1 for n in made.values()), ("archive created twice", made)
ended = {e["step"] for e in evs if e["event"] == "step_end"}
for s in ("inventory", "plan", "archive", "verify", "erase"):
    assert s in ended, ("no step_end", s)
assert evs[-1]["event"] == "run_end" or any(e["event"] == "run_end" for e in evs), "no run_end"
PY
}

# check_erased SERVER DEV: every erase target gone, the device without markers
check_erased() {
	local s=$1
	for f in srv/data srv/records home/alice opt/app keys/tls.key keys/id_ed25519; do
		[ -e "$s/$f" ] && die "$s/$f: still there after the run"
	done
	[ "$(count_marker "$2")" = 0 ] || die "$2: marker bytes left"
	# what is retained and not erased stays as it was
	cmp -s "$s/etc/app.conf" "$s.orig/etc/app.conf" || die "etc/app.conf changed"
}
