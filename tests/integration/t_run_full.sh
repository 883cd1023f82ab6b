#!/bin/bash
# t_run_full.sh - dispose run end to end on a scratch server tree and a loop
# device: the retained files restore byte-identical from the run's archive,
# every erase target is gone and the device holds no marker, the key
# fingerprints in the certificate are the inventory's, the certificate
# verifies with stock openssl and with dispose verify, one record.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
. "$(dirname "$0")/run_lib.sh"
need_root
srv=$T/srv
dev=$(mkloop 8) || die "mkloop"
fill_marker "$dev" 8
make_server "$srv"
make_signer "$T/signer"
write_policy "$T/policy.json" "$srv" "$dev" "$T/signer"

# a dry run writes nothing, not even a run directory
"$DISPOSE" run --policy "$T/policy.json" --dry-run --run-dir "$T/dry" >"$T/dry.out" 2>&1 ||
	{ cat "$T/dry.out"; die "dry run failed"; }
[ -e "$T/dry" ] && die "dry run made the run directory"
grep -q "dry run" "$T/dry.out" || die "dry run: $(cat "$T/dry.out")"
cmp -s "$srv/srv/data/a.txt" "$srv.orig/srv/data/a.txt" || die "dry run changed a file"

# no terminal and no --yes: refused before anything is done
expect_exit 4 "$DISPOSE" run --policy "$T/policy.json" --run-dir "$T/no" </dev/null \
	>"$T/no.out" 2>&1
[ -e "$T/no" ] && die "refused run made the run directory"

# a signing key that cannot sign, a rule that matches nothing: exit 2 before anything is done
python3 - "$T/policy.json" "$T/badkey.json" "$T/ghost.json" "$srv" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["certificate"]["key"] = sys.argv[4] + "/no-such.key"
json.dump(p, open(sys.argv[2], "w"))
p = json.load(open(sys.argv[1]))
p["erase"].append({"name": "ghost", "paths": [sys.argv[4] + "/nothing/**"], "method": "zero"})
json.dump(p, open(sys.argv[3], "w"))
PY
expect_exit 2 "$DISPOSE" run --policy "$T/badkey.json" --yes --progress none --run-dir "$T/bk" \
	>"$T/bk.out" 2>&1
grep -q "no-such.key" "$T/bk.out" || die "bad key: $(cat "$T/bk.out")"
expect_exit 2 "$DISPOSE" run --policy "$T/ghost.json" --yes --progress none --run-dir "$T/gh" \
	>"$T/gh.out" 2>&1
grep -q "erase\[4\] (ghost): matches nothing" "$T/gh.out" || die "ghost rule: $(cat "$T/gh.out")"
[ -e "$T/bk" ] || [ -e "$T/gh" ] && die "a refused run left its run directory"
cmp -s "$srv/srv/data/a.txt" "$srv.orig/srv/data/a.txt" || die "a refused run changed a file"
ok "dry run, no terminal, a bad key, a rule matching nothing: nothing done"

# syslog captured by the LD_PRELOAD shim of t_syslog.sh: every step's start and end
shim=()
if cc -shared -fPIC -O2 -o "$T/shim.so" "$SRCDIR/tests/integration/syslog_shim.c" 2>/dev/null
then
	shim=(env SYSLOG_CAPTURE="$T/syslog" LD_PRELOAD="$T/shim.so"
	      ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:verify_asan_link_order=0")
	: >"$T/syslog"
fi
"${shim[@]}" "$DISPOSE" run --policy "$T/policy.json" --yes --progress none --run-dir "$T/run" \
	>"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || { cat "$T/out" "$T/err"; die "run failed: exit $rc"; }
cat "$T/out"
check_run_record "$T/run"
if [ ${#shim[@]} -gt 0 ]; then
	for st in "1/6 inventory" "2/6 plan" "3/6 archive" "4/6 verify" "5/6 erase"; do
		grep -Fq "dispose run $T/run: step $st started" "$T/syslog" ||
			die "syslog: no start of $st: $(cat "$T/syslog")"
		grep -Fq "dispose run $T/run: step $st: success" "$T/syslog" ||
			die "syslog: no end of $st: $(cat "$T/syslog")"
	done
	grep -Fq "dispose run $T/run: step 6/6 certify: $T/run/certificate.json" "$T/syslog" ||
		die "syslog: no certify line: $(cat "$T/syslog")"
	ok "syslog: every step's start and end with the run id"
fi
check_erased "$srv" "$dev"
ok "run: every target erased, one record"

# the retained files restore byte-identical (the erased records too)
arc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["archives"][0]["archive"])' \
	"$T/run/plan.json") || die "no archive in the plan"
[ -f "$arc" ] || die "$arc: not there"
mkdir "$T/x"
"$DISPOSE" archive extract -C "$T/x" "$arc" >/dev/null 2>&1 || die "archive extract failed"
for f in etc/app.conf etc/ssh/sshd_config var/log/auth.log srv/records/ledger-2025.bin \
	 srv/records/r2.txt; do
	got=$(find "$T/x" -path "*/data$srv/$f" -type f | head -1)
	[ -n "$got" ] || die "$f: not in the archive"
	cmp -s "$got" "$srv.orig/$f" || die "$f: restored bytes differ"
done
# and with stock tools: bsdtar lists the bag, sha512sum checks its manifest
mkdir "$T/y"
bsdtar -xf "$arc" -C "$T/y" || die "bsdtar cannot read $arc"
(cd "$T/y"/* && sha512sum --quiet -c manifest-sha512.txt) || die "stock sha512sum: manifest fails"
ok "retained files restore byte-identical (dispose and bsdtar + sha512sum)"

cert=$T/run/certificate.json
[ -f "$cert" ] && [ -f "$cert.p7s" ] || die "no certificate"
grep -q "^certificate: $cert" "$T/out" || die "certificate path not printed"
cmd=$(sed -n 's/^verify it with: //p' "$T/out")
[ -n "$cmd" ] || die "no openssl recipe printed"
case $cmd in "openssl cms -verify "*) ;; *) die "recipe: $cmd" ;; esac
$cmd 2>"$T/ossl" || die "stock openssl: $(cat "$T/ossl")"
grep -q "Verification successful" "$T/ossl" || die "openssl: $(cat "$T/ossl")"
"$DISPOSE" verify --ca "$T/signer.crt" "$cert" >"$T/v" 2>&1 || die "dispose verify: $(cat "$T/v")"
python3 - "$cert" "$T/run/inventory.json" <<'PY' || die "key fingerprints differ"
import json, sys
cert = json.load(open(sys.argv[1]))
inv = json.load(open(sys.argv[2]))
assert cert["kind"] == "certificate-of-sanitization", cert["kind"]
def fps(o):
    out = set()
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "fingerprint" and isinstance(v, str):
                out.add(v)
            else:
                out |= fps(v)
    elif isinstance(o, list):
        for v in o:
            out |= fps(v)
    return out
inv_fps = {k["spki_sha256"] for k in inv["keys"] if k.get("spki_sha256")}
cert_fps = fps(cert)
assert len(inv_fps) >= 2, inv_fps
assert inv_fps <= cert_fps, (inv_fps - cert_fps)
PY
ok "certificate: openssl cms -verify, dispose verify, key fingerprints of the inventory"

# a second run into the same directory is refused; a resume of an ended run only certifies
expect_exit 2 "$DISPOSE" run --policy "$T/policy.json" --yes --progress none --run-dir "$T/run" \
	>/dev/null 2>&1
"$DISPOSE" run --resume --yes --progress none --run-dir "$T/run" >"$T/out2" 2>&1 ||
	die "resume of an ended run: $(cat "$T/out2")"
check_run_record "$T/run"
ok "ended run: refused as new, resume only certifies"
