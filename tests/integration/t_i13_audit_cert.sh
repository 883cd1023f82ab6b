#!/bin/bash
# t_i13_audit_cert.sh - reviewer R2 (#13): run records edited by hand (and
# re-hashed: the chain is not keyed) so that their evidence does not support
# the category they claim. dispose certify must refuse each (exit 2, no file
# written) or write a failure report that does not claim purge: an eMMC secure discard labelled purge; an NVMe sanitize whose
# status log names another action than the one claimed; a crypto-luks
# target_end saying "ok" while the record's own luks_destroyed says
# "mismatch"; a sanitize target_end with no sanitize_sent/sanitize_end at all;
# and (a guard) a crypto-luks target_end whose own luks outcome is
# "mismatch". Every case is checked; the test fails listing those certified.
. "$SRCDIR/tests/integration/lib.sh"
command -v openssl >/dev/null || skip "needs openssl"
command -v python3 >/dev/null || skip "needs python3"
. "$SRCDIR/tests/integration/cert_lib.sh"
pki_make || die "pki"
UUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0

# record NAME CASE: a whole, hash-chained run record of one block target
record() {
	mkdir -p "$T/$1" && chmod 700 "$T/$1"
	python3 - "$T/$1/events.jsonl" "$2" "$UUID" <<'PY' || die "record $1"
import hashlib, json, sys
path, case, uuid = sys.argv[1:4]
luks = case.startswith("luks")
ident = {"model": "Test Disk", "serial": "SN-%s" % case, "size": 1048576, "logical_sector": 512,
         "physical_sector": 512, "rotational": True, "partition": False,
         "name": "sdz", "devno": "8:0"}
tech = "crypto-luks" if luks else "sanitize"
action = {"emmc": "secure-discard"}.get(case, "crypto")
method = {"name": "crypto-luks" if luks else "secdiscard" if case == "emmc" else "sanitize-crypto",
          "variant": "v", "source": "s", "sha256": "7" * 64, "technique": tech,
          "category": "purge"}
if not luks:
    method["action"] = "secdiscard" if case == "emmc" else "crypto"
volume = {"version": 2, "uuid": uuid, "cipher": "aes-xts-plain64", "key_bits": 512,
          "keyslots_max": 32, "keyslots_active": 1, "keyslots": [],
          "tokens": [], "metadata_size": 16384, "keyslots_size": 16744448,
          "data_offset": 16777216, "header_area_length": 16777216,
          "header_area_sha256": "ab" * 32}
result = {"volume": volume, "keyslots_destroyed": 1, "keyslots_failed": 0,
          "bytes_overwritten": 16777216, "bytes_verified": 16777216,
          "header_found_after": False, "blkid_type_after": None,
          "blkid_ambiguous_after": False, "outcome": "ok"}
if case == "emmc":
    san = {"bus": "mmc", "action": "secure-discard", "ioctl": 0, "resumed": False,
           "deallocated": True, "polls": 0}
    bus = "mmc"
else:
    san = {"bus": "nvme", "action": "crypto", "ioctl": 0, "status": "0x0000",
           "result": "0x00000000", "cdw10": "0x00000004", "sstat": "0x0101", "sprog": "0xffff",
           "scdw10": "0x00000004", "estimated_s": [None, None, 30], "resumed": False,
           "deallocated": True, "polls": 4}
    bus = "nvme"
if case == "san-other-action":
    san["scdw10"] = "0x00000002"     # the log names a block erase, not the crypto erase claimed
health = {"critical_warning": 0, "percentage_used": 2, "media_errors": 0,
          "power_on_hours": 4321, "failing": False}
T = lambda **kw: dict(target="t1", **kw)
evs = [dict(event="run_start", schema="dispose-record/1", command="erase", tool="dispose",
            version="0.1.0", gitrev="000000000000", host="h", operator="root", uid=0,
            argv=["dispose", "erase", "/dev/sdz"],
            targets=[{"id": "t1", "path": "/dev/sdz"}])]
evs.append(dict(event="target", **T(path="/dev/sdz", kind="block", identity=ident, method=method,
                                   verify="last", technique=tech, category_requested="purge")))
end = dict(event="target_end", **T(status="success", technique=tech, category_requested="purge",
                                   verification="read back", old_data_may_remain=False, caveats=[]))
if luks:
    evs.append(dict(event="luks_header", **T(volume=volume)))
    destroyed = dict(result)
    if case == "luks-contradict":
        destroyed["outcome"] = "mismatch"   # what the destroy itself recorded
    evs.append(dict(event="luks_destroyed", **T(result=destroyed)))
    endres = dict(result)
    if case == "luks-mismatch":
        endres["outcome"] = "mismatch"
    end.update(luks=endres, header_backups=[], bytes_written=16777216, bytes_verified=16777216,
               nist_category="purge")
else:
    if case != "san-no-events":
        evs.append(dict(event="sanitize_sent", **T(bus=bus, action=action,
                                                   command="the command", health_before=health)))
        evs.append(dict(event="sanitize_end", **T(result=san, ok=True, health_after=health)))
    end.update(action=action, sanitize=san, health_before=health, health_after=health,
               dealloc=True, bytes_written=0, bytes_verified=1048576, nist_category="purge")
evs.append(end)
evs.append(dict(event="run_end", status="success", exit=0))
prev, out = "0" * 64, []
for i, ev in enumerate(evs):
    line = json.dumps(dict(seq=i + 1, time="2026-12-06T09:00:%02d.000Z" % i, event=ev.pop("event"),
                           prev=prev, **ev), separators=(",", ":"))
    prev = hashlib.sha256(line.encode()).hexdigest()
    out.append(line)
open(path, "w").write("\n".join(out) + "\n")
PY
}

certified=""
for c in emmc san-other-action luks-contradict san-no-events luks-mismatch; do
	record "r-$c" "$c"
	"$DISPOSE" certify --run-dir "$T/r-$c" --key "$P/ec.key" --cert "$P/ec.crt" \
		--chain "$P/chain.pem" -o "$T/$c.json" >"$T/$c.out" 2>&1
	rc=$?
	if [ "$rc" = 2 ] && [ ! -e "$T/$c.json" ]; then
		ok "$c: certify refuses ($(head -1 "$T/$c.out"))"
		continue
	fi
	got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["kind"], d["targets"][0]["category_achieved"])' \
		"$T/$c.json" 2>/dev/null)
	if [ "$rc" = 3 ] && [ "${got% *}" = sanitization-failure-report ] && [ "${got#* }" != purge ]; then
		ok "$c: a failure report, $got"
		continue
	fi
	echo "HOLE: $c: certify exit $rc, ${got:-?}: $(head -2 "$T/$c.out")" >&2
	# and dispose verify accepts what certify wrote
	if [ -s "$T/$c.json.p7s" ]; then
		verify_out --ca "$P/root.crt" "$T/$c.json"
		echo "      dispose verify: exit $vrc" >&2
	fi
	certified="$certified $c"
done
[ -z "$certified" ] || die "certified against their own evidence:$certified"
exit 0
