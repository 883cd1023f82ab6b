#!/bin/bash
# t_cert_technique.sh - certificates of crypto-luks and device sanitize runs,
# from records written here as the #13 producers write them (wiring.md: target,
# luks_header, luks_destroyed, sanitize_sent, sanitize_end, target_end with
# technique, category_requested, luks, header_backups, sanitize, health):
# certify -> the stock openssl recipe -> dispose verify valid, Purge with the
# technique's words, the volume and the device's status shown; the shipped
# JSON Schema accepts them; a surviving header backup is a failure report
# naming it; purge on an overwrite is refused by certify and, stock-signed,
# rejected by verify.
. "$SRCDIR/tests/integration/lib.sh"
command -v openssl >/dev/null || skip "needs openssl"
command -v python3 >/dev/null || skip "needs python3"
. "$SRCDIR/tests/integration/cert_lib.sh"
pki_make || die "pki"
D=$DISPOSE
UUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0

# record NAME KIND: a whole run record of one block target, hash-chained
record() {
	mkdir -p "$T/$1" && chmod 700 "$T/$1"
	python3 - "$T/$1/events.jsonl" "$2" "$UUID" <<'PY' || die "record $1"
import hashlib, json, sys
path, kind, uuid = sys.argv[1:4]
luks = kind.startswith("luks")
ident = {"model": "Test Disk", "serial": "SN-%s" % kind, "size": 1048576, "logical_sector": 512,
         "physical_sector": 512, "rotational": kind != "san", "partition": False,
         "name": "sdz", "devno": "8:0"}
tech = "crypto-luks" if luks else "sanitize" if kind == "san" else "overwrite"
method = {"name": {"crypto-luks": "crypto-luks", "sanitize": "sanitize-crypto",
                   "overwrite": "zero"}[tech], "variant": "v", "source": "s",
          "sha256": "7" * 64, "technique": tech, "category": "purge" if tech != "overwrite" else "clear"}
if tech == "sanitize":
    method["action"] = "crypto"
volume = {"version": 2, "uuid": uuid, "cipher": "aes-xts-plain64", "key_bits": 512,
          "keyslots_max": 32, "keyslots_active": 1, "keyslots": [],
          "tokens": [], "metadata_size": 16384, "keyslots_size": 16744448,
          "data_offset": 16777216, "header_area_length": 16777216,
          "header_area_sha256": "ab" * 32}
result = {"volume": volume, "keyslots_destroyed": 1, "keyslots_failed": 0,
          "bytes_overwritten": 16777216, "bytes_verified": 16777216,
          "header_found_after": False, "blkid_type_after": None,
          "blkid_ambiguous_after": False, "outcome": "ok"}
san = {"bus": "nvme", "action": "crypto", "ioctl": 0, "status": "0x0000", "result": "0x00000000",
       "cdw10": "0x00000004", "sstat": "0x0001", "sprog": "0xffff", "scdw10": "0x00000004",
       "estimated_s": [None, None, 30], "resumed": False, "deallocated": True, "polls": 4}
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
    evs.append(dict(event="luks_destroyed", **T(result=result)))
    end.update(luks=result, header_backups=[], bytes_written=16777216, bytes_verified=16777216,
               nist_category="purge")
    if kind == "luks-backup":
        end["header_backups"] = [{"path": "/root/sdz-header.img", "uuid": uuid,
                                  "erased_in_run": False}]
        end.update(nist_category="clear", status="failed",
                   category_reason="a LUKS header backup survives: /root/sdz-header.img",
                   error="purge requested, clear reached: a header backup survives",
                   caveats=["LUKS header backup /root/sdz-header.img holds the volume's key material"])
elif kind == "san":
    evs.append(dict(event="sanitize_sent", **T(bus="nvme", action="crypto",
                                               command="opcode 84 cdw10 00000004",
                                               health_before=health)))
    evs.append(dict(event="sanitize_end", **T(result=san, health_after=health)))
    end.update(action="crypto", sanitize=san, health_before=health, health_after=health,
               dealloc=True, bytes_written=0, bytes_verified=1048576, nist_category="purge",
               caveats=["read-back after a deallocating purge is not evidence of the media state"])
else:   # an overwrite whose record claims purge: a forgery
    evs.append(dict(event="pass_start", **T(pass_=1)))
    evs[-1]["pass"] = evs[-1].pop("pass_")
    evs[-1].update(label="0x00", npasses=1, pattern={"kind": "pattern", "bytes": "00"})
    evs.append(dict(event="pass_end", **T(bytes_written=1048576, complete=True)))
    evs[-1]["pass"] = 1
    end.update(bytes_written=1048576, bytes_verified=1048576, nist_category="purge")
evs.append(end)
evs.append(dict(event="run_end", status=end["status"], exit=0 if end["status"] == "success" else 1))
prev, out = "0" * 64, []
for i, ev in enumerate(evs):
    line = json.dumps(dict(seq=i + 1, time="2026-12-06T09:00:%02d.000Z" % i, event=ev.pop("event"),
                           prev=prev, **ev), separators=(",", ":"))
    prev = hashlib.sha256(line.encode()).hexdigest()
    out.append(line)
open(path, "w").write("\n".join(out) + "\n")
PY
}

for r in luks san luks-backup over; do record "r-$r" "${r#r-}"; done

# crypto-luks: Purge, signed, the stock recipe and dispose verify accept it
certify_with ec "$T/r-luks" "$T/luks.json" --chain "$P/chain.pem" --time 2026-12-06T10:00:00Z || die "certify luks"
recipe "$T/luks.json" || die "openssl cms -verify rejects the crypto-luks certificate"
verify_out --ca "$P/root.crt" "$T/luks.json"
[ "$vrc" = 0 ] || die "verify luks: exit $vrc: $(cat "$T/v.out" "$T/v.err")"
python3 - "$T/luks.json" "$UUID" <<'PY' || die "luks certificate content"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["targets"][0]
assert d["kind"] == "certificate-of-sanitization", d["kind"]
assert t["technique"] == "crypto-luks" and t["nist"]["technique"] == "cryptographic erase", t["nist"]
assert t["nist"]["sanitization"] == "Purge" and t["category_requested"] == "purge"
l = t["evidence"]["luks"]
assert l["uuid"] == sys.argv[2] and l["cipher"] == "aes-xts-plain64" and l["key_bits"] == 512
assert l["keyslots"] == 1 and l["header_sha256"] == "ab" * 32 and l["outcome"] == "ok"
assert l["header_found_after"] is False and t["evidence"]["header_backups"] == []
PY
"$D" show "$T/luks.json" >"$T/show-luks" 2>&1 || die "show luks: $(cat "$T/show-luks")"
grep -q "LUKS volume UUID: *$UUID\$" "$T/show-luks" || die "show does not print the LUKS UUID"
grep -q "Method used: *cryptographic erase\$" "$T/show-luks" || die "show: technique words"
grep -q "Method type: *Purge\$" "$T/show-luks" || die "show: Purge"
grep -q "Key material gone: *proven" "$T/show-luks" || die "show: the proof"

# device sanitize: Purge, the device's status and the drive's health shown
certify_with ec "$T/r-san" "$T/san.json" --chain "$P/chain.pem" || die "certify sanitize"
recipe "$T/san.json" || die "openssl cms -verify rejects the sanitize certificate"
verify_out --ca "$P/root.crt" "$T/san.json"
[ "$vrc" = 0 ] || die "verify sanitize: exit $vrc: $(cat "$T/v.out" "$T/v.err")"
"$D" show "$T/san.json" >"$T/show-san" 2>&1 || die "show san"
grep -q "Device reported: *success\$" "$T/show-san" || die "show: sanitize completion"
grep -q "Drive health before: .*power on hours 4321" "$T/show-san" || die "show: health"
grep -q "read-back after a deallocating purge is not evidence" "$T/show-san" || die "show: caveat"

# a surviving header backup: clear, a failure report that names it
certify_with ec "$T/r-luks-backup" "$T/backup.json" --chain "$P/chain.pem" || die "certify backup"
python3 - "$T/backup.json" <<'PY' || die "backup certificate content"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["targets"][0]
assert d["kind"] == "sanitization-failure-report"
assert t["category_achieved"] == "clear" and t["nist"]["sanitization"] == "Clear"
assert t["evidence"]["header_backups"][0]["path"] == "/root/sdz-header.img"
assert t["evidence"]["header_backups"][0]["erased_in_run"] is False
assert any("sdz-header.img" in c for c in t["caveats"]), t["caveats"]
assert "category clear, requested purge" in d["summary"]["failures"][0], d["summary"]
PY
"$D" show "$T/backup.json" >"$T/show-backup" 2>&1
grep -q "LUKS header backup: */root/sdz-header.img (UUID $UUID), survives" "$T/show-backup" ||
	die "show does not name the surviving backup"

# purge on an overwrite: certify writes nothing; a stock-signed edit is invalid
"$D" certify --run-dir "$T/r-over" --key "$P/ec.key" --cert "$P/ec.crt" -o "$T/over.json" \
	>"$T/over.out" 2>&1
rc=$?
[ "$rc" = 2 ] || die "certify of an overwrite claiming purge: exit $rc, want 2"
grep -q "an overwrite allows at most clear" "$T/over.out" || die "certify: $(cat "$T/over.out")"
[ ! -e "$T/over.json" ] && [ ! -e "$T/over.json.p7s" ] || die "certify left a file"
# the same bytes but the technique: still canonical, so only the rules can reject it
sed -e 's/"technique": "crypto-luks"/"technique": "overwrite"/' \
	-e 's/"technique": "cryptographic erase"/"technique": "overwrite"/' "$T/luks.json" >"$T/tampered.json"
[ "$(grep -c '"technique": "overwrite"' "$T/tampered.json")" = 2 ] || die "tamper"
stock_sign ec "$T/tampered.json" "$P/chain.pem" || die "stock sign"
recipe "$T/tampered.json" || die "the stock recipe should accept the re-signed bytes"
verify_out --ca "$P/root.crt" "$T/tampered.json"
[ "$vrc" = 3 ] || die "verify of purge on an overwrite: exit $vrc, want 3: $(cat "$T/v.out")"
grep -q "category_achieved purge, but an overwrite allows at most clear" "$T/v.out" "$T/v.err" ||
	die "verify does not say why: $(cat "$T/v.out" "$T/v.err")"

# the shipped JSON Schema accepts every shape written here
if python3 -c 'import jsonschema' 2>/dev/null; then
	python3 - "$SRCDIR/profiles/schemas/dispose-certificate-1.schema.json" "$T" <<'PY' || die "schema"
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for n in ("luks", "san", "backup"):
    d = json.load(open("%s/%s.json" % (sys.argv[2], n)))
    errs = list(v.iter_errors(d))
    assert not errs, "%s: %s" % (n, errs[0].message)
    d["targets"][0]["evidence"]["luks_extra"] = 1
    assert list(v.iter_errors(d)), "%s: an unknown evidence key accepted" % n
PY
fi
exit 0
