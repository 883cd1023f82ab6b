#!/bin/bash
# t_r1_own_inputs.sh - (review R1) the run's own inputs lie under an erase
# glob: the policy file and its signing key and certificate in $SERVER/srv.
# The run must not destroy what it needs to finish: killed after the erase
# step (or during it), --resume must still be able to read the policy and
# sign. Either the plan keeps them (as it keeps the run directory and the
# archive destinations) or it refuses the policy up front (exit 2 or 4,
# nothing erased). Today the erase takes them and the run can never finish.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
# no plan/run in this build: a refusal below would pass for the wrong reason
"$DISPOSE" plan --help >/dev/null 2>&1 && "$DISPOSE" run --help >/dev/null 2>&1 ||
	die "dispose plan/run not in this build"
s=$T/srv
mkdir -p "$s/srv/data" "$s/srv/conf" || die "mkdir"
printf 'customer %s\n' "$MARKER" >"$s/srv/data/f"
"$DISPOSE" keygen --subject "/CN=r1 own inputs" -o "$s/srv/conf/sign" >/dev/null 2>&1 || die "keygen"
cat >"$s/srv/conf/policy.json" <<JSON
{"schema": "dispose-policy/1", "name": "r1-own-inputs",
 "inventory": {"roots": ["$s"], "categories": ["data"], "hash": true},
 "erase": [{"name": "data", "paths": ["$s/srv/**"], "method": "zero"}],
 "certificate": {"key": "$s/srv/conf/sign.key", "cert": "$s/srv/conf/sign.crt",
                 "media_destination": "recycling"},
 "keep_running_system": true}
JSON
cp "$s/srv/conf/policy.json" "$T/policy.orig"
env DISPOSE_TEST_RUN_KILL=erase:end "$DISPOSE" run --policy "$s/srv/conf/policy.json" --yes \
	--progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
if [ $rc = 2 ] || [ $rc = 4 ]; then
	# refused up front: nothing erased
	[ "$(count_marker "$s/srv/data/f")" = 1 ] || die "refused (exit $rc) but data erased"
	ok "refused up front (exit $rc): $(tail -1 "$T/out")"
	exit 0
fi
[ $rc = 137 ] || { cat "$T/out"; die "not killed at erase:end (exit $rc)"; }
cmp -s "$s/srv/conf/policy.json" "$T/policy.orig" || die "the run erased its own policy file"
[ -s "$s/srv/conf/sign.key" ] || die "the run erased its own signing key"
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$T/out"; die "resume after erase:end: exit $rc"; }
[ -s "$T/run/certificate.json.p7s" ] || die "no certificate"
ok "the run kept its inputs and finished"
