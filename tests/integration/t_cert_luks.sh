#!/bin/bash
# t_cert_luks.sh - end to end: dispose erase -m crypto-luks on a LUKS2 loop
# device (and LUKS1 with --then zero), dispose certify, the stock openssl
# recipe, dispose verify: a valid certificate of sanitization, Purge by
# "cryptographic erase" (Clear: a loop device; forged Purge rejected), the volume's UUID, cipher, key size and old header
# SHA-256 as the record holds them, shown by dispose show; the same bytes
# relabelled as an overwrite (purge on an overwrite) and re-signed are
# rejected by verify.
. "$SRCDIR/tests/integration/lib.sh"
need_root
command -v cryptsetup >/dev/null || skip "no cryptsetup"
command -v python3 >/dev/null || skip "needs python3"
. "$SRCDIR/tests/integration/cert_lib.sh"
pki_make || die "pki"
D=$DISPOSE

# luks VER: a loop device over a new LUKS volume (passphrase pw), reported rotational
luks() {
	local dev
	dev=$(mkloop 32) || die "mkloop"
	printf pw | cryptsetup luksFormat --batch-mode --type "luks$1" --pbkdf pbkdf2 \
		--pbkdf-force-iterations 1000 "$dev" - >/dev/null 2>&1 || die "luksFormat"
	# rotational, as a disk: a loop device still reaches clear at most (the medium under its
	# file is not examined); purge is covered by the unit tests with a fake non-loop device
	echo 1 >"/sys/block/${dev#/dev/}/queue/rotational" 2>/dev/null
	echo "$dev"
}

for ver in 2 1; do
	dev=$(luks $ver)
	uuid=$(cryptsetup luksUUID "$dev") || die "luksUUID"
	[ "$ver" = 1 ] && then=(--then zero) || then=()
	"$D" erase --yes --progress none -m crypto-luks --category clear "${then[@]}" --run-dir "$T/r$ver" "$dev" \
		>"$T/erase$ver.out" 2>&1 || die "erase luks$ver: $(cat "$T/erase$ver.out")"
	cryptsetup isLuks "$dev" 2>/dev/null && die "luks$ver: still a LUKS volume"
	certify_with ec "$T/r$ver" "$T/c$ver.json" --chain "$P/chain.pem" ||
		die "certify luks$ver"
	recipe "$T/c$ver.json" || die "luks$ver: openssl cms -verify rejects the certificate"
	verify_out --ca "$P/root.crt" --run-dir "$T/r$ver" "$T/c$ver.json"
	[ "$vrc" = 0 ] || die "verify luks$ver: exit $vrc: $(cat "$T/v.out" "$T/v.err")"
	grep -q "valid" "$T/v.out" || die "verify luks$ver: $(cat "$T/v.out")"
	if [ "$ver" = 2 ]; then
		# no pass of ours to re-read: said, never a silent match
		verify_out --ca "$P/root.crt" --device "$dev" "$T/c$ver.json"
		[ "$vrc" = 3 ] || die "verify --device luks2: exit $vrc: $(cat "$T/v.out")"
		grep -q "a crypto-luks wrote no overwrite pass to compare" "$T/v.out" ||
			die "verify --device luks2: $(cat "$T/v.out")"
	fi
	# the certificate against the record, read here independently of dispose
	python3 - "$T/c$ver.json" "$T/r$ver/events.jsonl" "$uuid" "$ver" <<'PY' || die "luks$ver content"
import json, sys
d = json.load(open(sys.argv[1]))
evs = [json.loads(l) for l in open(sys.argv[2])]
vol = [e for e in evs if e["event"] == "luks_header"][0]["volume"]
t = d["targets"][0]
assert d["kind"] == "certificate-of-sanitization", d["summary"]
assert d["summary"]["category_achieved"] == "clear", d["summary"]
assert t["technique"] == "crypto-luks" and t["nist"]["sanitization"] == "Clear"
want = "cryptographic erase" + (", then overwrite" if sys.argv[4] == "1" else "")
assert t["nist"]["technique"] == want, t["nist"]["technique"]
l = t["evidence"]["luks"]
assert l["uuid"] == sys.argv[3] == vol["uuid"], (l["uuid"], sys.argv[3])
assert l["version"] == int(sys.argv[4]) and l["cipher"] == vol["cipher"]
assert l["key_bits"] == vol["key_bits"] and l["keyslots"] == vol["keyslots_active"] == 1
assert l["header_sha256"] == vol["header_area_sha256"] and len(l["header_sha256"]) == 64
assert l["outcome"] == "ok" and l["header_found_after"] is False and l["blkid_type_after"] is None
assert l["bytes_verified"] == l["bytes_overwritten"] == vol["header_area_length"]
if sys.argv[4] == "1":
    assert t["then"]["name"] == "zero" and t["passes"] and t["passes"][-1]["complete"]
    assert any(c.startswith("--then zero: ") for c in t["caveats"]), t["caveats"]
else:
    assert t["then"] is None and t["passes"] == []
PY
	"$D" show "$T/c$ver.json" >"$T/show$ver" 2>&1 || die "show luks$ver: $(cat "$T/show$ver")"
	grep -q "LUKS volume UUID: *$uuid\$" "$T/show$ver" || die "show luks$ver: no LUKS UUID"
	grep -q "Method type: *Clear$" "$T/show$ver" || die "show luks$ver: not Clear: $(cat "$T/show$ver")"
	grep -q "Key material gone: *proven" "$T/show$ver" || die "show luks$ver: no proof"
done

# the loop device's clear raised to purge and re-signed: the consistency rule caps a loop at clear
sed -e 's/"category_achieved": "clear"/"category_achieved": "purge"/g' \
	-e 's/"sanitization": "Clear"/"sanitization": "Purge"/' "$T/c2.json" >"$T/loop-purge.json"
[ "$(grep -c '"category_achieved": "purge"' "$T/loop-purge.json")" -ge 1 ] || die "forge loop"
grep -q '"backing_file": "/' "$T/loop-purge.json" || die "the certificate does not show the loop's backing file"
stock_sign ec "$T/loop-purge.json" "$P/chain.pem" || die "stock sign"
verify_out --ca "$P/root.crt" "$T/loop-purge.json"
[ "$vrc" = 3 ] || die "verify of purge on a loop device: exit $vrc, want 3: $(cat "$T/v.out")"
grep -q "category_achieved purge, but a loop device: its medium is a file" "$T/v.out" "$T/v.err" ||
	die "verify of purge on a loop device does not say why: $(cat "$T/v.out" "$T/v.err")"
ok "purge claimed for crypto-luks on a loop device, re-signed: rejected"

# purge on an overwrite: the same canonical bytes but the technique (and purge), re-signed
sed -e 's/"technique": "crypto-luks"/"technique": "overwrite"/' \
	-e 's/"category_achieved": "clear"/"category_achieved": "purge"/g' \
	-e 's/"sanitization": "Clear"/"sanitization": "Purge"/' \
	-e 's/"technique": "cryptographic erase"/"technique": "overwrite"/' "$T/c2.json" >"$T/forged.json"
[ "$(grep -c '"technique": "overwrite"' "$T/forged.json")" = 2 ] || die "forge"
stock_sign ec "$T/forged.json" "$P/chain.pem" || die "stock sign"
recipe "$T/forged.json" || die "the stock recipe should accept the re-signed bytes"
verify_out --ca "$P/root.crt" "$T/forged.json"
[ "$vrc" = 3 ] || die "verify of purge on an overwrite: exit $vrc, want 3: $(cat "$T/v.out")"
grep -q "category_achieved purge, but an overwrite allows at most clear" "$T/v.out" "$T/v.err" ||
	die "verify does not say why: $(cat "$T/v.out" "$T/v.err")"
exit 0
