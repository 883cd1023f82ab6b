#!/bin/bash
# t_cert_verify.sh - dispose verify on real certificates: EC and RSA round
# trips, self-signed (--ca the signer itself) and root -> intermediate -> leaf
# (--chain); the line and exit code of each outcome: untrusted (no --ca, the
# wrong CA), an expired signer, a signer without digitalSignature (and one
# without keyUsage at all), --run-dir with an edited chain or a directory that
# is not one of the runs, a crafted document whose kind contradicts its
# results (signed with stock openssl, so only the consistency check catches
# it), a failure report (exit 3), unreadable input (exit 2), --json, and a
# batch summary line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"

pki_make || { cat "$P/openssl.log"; die "test PKI"; }
cert_erase_runs || die "erase runs"
C=$T/c
mkdir -p "$C"

# --- round trips: EC/RSA, self-signed and CA -> intermediate -> leaf ---
certify_with ss-ec "$T/r-ok" "$C/ss-ec.json" || die "certify ss-ec"
certify_with ss-rsa "$T/r-ok" "$C/ss-rsa.json" || die "certify ss-rsa"
certify_with ec "$T/r-ok" "$C/ec.json" --chain "$P/chain.pem" || die "certify ec"
certify_with rsa "$T/r-ok" "$C/rsa.json" --chain "$P/chain.pem" || die "certify rsa"
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificate_id"])' "$C/ec.json")
for s in ss-ec ss-rsa; do
	verify_out --ca "$P/$s.crt" "$C/$s.json"
	[ "$vrc" = 0 ] || { cat "$T/v.out" "$T/v.err"; die "$s: exit $vrc"; }
	grep -Eq "^$C/$s.json: valid: certificate-of-sanitization [0-9a-f-]{36}, signer CN=self-signed ${s#ss-}, signed 20[0-9-]{8}T[0-9:]{8}Z, weakest category clear$" "$T/v.out" ||
		{ cat "$T/v.out"; die "$s: valid line"; }
	recipe "$C/$s.json" "$P/$s.crt" || die "$s: the stock recipe rejects it"
done
for s in ec rsa; do
	verify_out --ca "$P/root.crt" "$C/$s.json"
	[ "$vrc" = 0 ] || { cat "$T/v.out" "$T/v.err"; die "$s: exit $vrc"; }
	grep -q "^$C/$s.json: valid: certificate-of-sanitization [0-9a-f-]*, signer CN=$s signer, O=Test, signed " \
		"$T/v.out" || { cat "$T/v.out"; die "$s: valid line"; }
	recipe "$C/$s.json" || die "$s: the stock recipe rejects it"
done
grep -q ": valid: certificate-of-sanitization $id," <("$DISPOSE" verify --ca "$P/root.crt" "$C/ec.json") ||
	die "the line does not carry the certificate id"
ok "round trips: EC and RSA, self-signed and root -> intermediate -> leaf; recipe agrees"

# a batch: one line each and a summary; -q keeps only what is not valid
verify_out --ca "$P/root.crt" "$C/ec.json" "$C/rsa.json"
[ "$vrc" = 0 ] && [ "$(wc -l <"$T/v.out")" = 3 ] && [ "$(tail -1 "$T/v.out")" = "2 certificates: 2 valid" ] ||
	{ cat "$T/v.out"; die "batch of two"; }
verify_out -q --ca "$P/root.crt" "$C/ec.json" "$C/rsa.json"
[ "$vrc" = 0 ] && [ ! -s "$T/v.out" ] || { cat "$T/v.out"; die "-q printed a valid certificate"; }
ok "batch summary; -q"

# --- untrusted: no --ca, the wrong CA, a self-signed signer under the root ---
verify_out "$C/ec.json"
[ "$vrc" = 3 ] && grep -qx "$C/ec.json: untrusted: signature valid, signer not trusted (no --ca)" "$T/v.out" ||
	{ cat "$T/v.out"; die "no --ca: exit $vrc"; }
verify_out --ca "$P/other.crt" "$C/ec.json"
[ "$vrc" = 3 ] && grep -q "^$C/ec.json: untrusted: signature valid, signer not trusted (" "$T/v.out" ||
	{ cat "$T/v.out"; die "wrong CA: exit $vrc"; }
recipe "$C/ec.json" "$P/other.crt" && die "the recipe accepts the wrong CA"
verify_out --ca "$P/root.crt" "$C/ss-ec.json"
[ "$vrc" = 3 ] && grep -q "^$C/ss-ec.json: untrusted: " "$T/v.out" || { cat "$T/v.out"; die "self-signed under root"; }
ok "untrusted: no --ca, wrong CA, self-signed signer not under the CA (exit 3)"

# --- signers dispose would not sign with, so signed by the openssl CLI ---
for s in expired nods noku; do
	cp "$C/ec.json" "$C/$s.json"
	stock_sign "$s" "$C/$s.json" "$P/chain.pem" || die "stock sign $s"
done
verify_out --ca "$P/root.crt" "$C/expired.json"
[ "$vrc" = 3 ] && grep -q "^$C/expired.json: invalid: signer certificate had expired at signing time 20" "$T/v.out" ||
	{ cat "$T/v.out"; die "expired: exit $vrc"; }
verify_out --ca "$P/root.crt" "$C/nods.json"
[ "$vrc" = 3 ] && grep -qx "$C/nods.json: invalid: signer certificate keyUsage lacks digitalSignature" "$T/v.out" ||
	{ cat "$T/v.out"; die "no digitalSignature: exit $vrc"; }
verify_out --ca "$P/root.crt" "$C/noku.json"
[ "$vrc" = 3 ] && grep -qx "$C/noku.json: invalid: signer certificate has no keyUsage extension (digitalSignature is required)" "$T/v.out" ||
	{ cat "$T/v.out"; die "no keyUsage: exit $vrc"; }
# and dispose itself refuses to sign with them
for s in expired nods noku; do
	"$DISPOSE" certify --run-dir "$T/r-ok" --key "$P/$s.key" --cert "$P/$s.crt" -o "$C/by-$s.json" \
		>"$T/cs.out" 2>&1 && die "certify signed with the $s signer"
	[ ! -e "$C/by-$s.json" ] || die "certify left $C/by-$s.json"
done
ok "expired signer, no digitalSignature, no keyUsage: invalid with the reason; certify refuses them"

# --- --run-dir: the record as certified, edited, and not one of the runs ---
verify_out --ca "$P/root.crt" --run-dir "$T/r-ok" "$C/ec.json"
[ "$vrc" = 0 ] || { cat "$T/v.out" "$T/v.err"; die "--run-dir as certified: exit $vrc"; }
verify_out --ca "$P/root.crt" --run-dir "$T/r-fail" "$C/ec.json"
[ "$vrc" = 3 ] && grep -q "^$C/ec.json: invalid: run directory $T/r-fail: not one of the certificate's runs" "$T/v.out" ||
	{ cat "$T/v.out"; die "foreign --run-dir: exit $vrc"; }
cp -a "$T/r-ok" "$T/r-edit"
# one digit of a middle event changed: the chain breaks there
python3 - "$T/r-edit/events.jsonl" <<'PY' || die "edit the record"
import re, sys
p = sys.argv[1]
lines = open(p, "rb").read().split(b"\n")
i = len(lines) // 2
m = re.search(rb'"seq": *([0-9])', lines[i]) or re.search(rb'[0-9]', lines[i])
j = m.start(1) if m.re.groups else m.start()
lines[i] = lines[i][:j] + bytes([b"0123456789"[(lines[i][j] - 48 + 1) % 10]]) + lines[i][j + 1:]
open(p, "wb").write(b"\n".join(lines))
PY
verify_out --ca "$P/root.crt" --run-dir "$T/r-edit" "$C/ec.json"
[ "$vrc" = 3 ] && grep -q "^$C/ec.json: invalid: run directory $T/r-edit: its record was edited (the hash chain breaks at line" "$T/v.out" ||
	{ cat "$T/v.out"; die "edited record: exit $vrc"; }
# a record that went on after certify (its own path, a later head)
cp -a "$T/r-ok" "$T/r-more"
certify_with ec "$T/r-more" "$C/more.json" --chain "$P/chain.pem" || die "certify r-more"
tail -1 "$T/r-more/events.jsonl" >>"$T/r-more/events.jsonl"
verify_out --ca "$P/root.crt" --run-dir "$T/r-more" "$C/more.json"
[ "$vrc" = 3 ] && grep -q "^$C/more.json: invalid: run directory $T/r-more: " "$T/v.out" ||
	{ cat "$T/v.out"; die "record changed after certify: exit $vrc"; }
expect_exit 2 "$DISPOSE" verify --ca "$P/root.crt" --run-dir "$T/nonexistent" "$C/ec.json" >/dev/null 2>&1
ok "--run-dir: as certified valid; edited chain, foreign dir, changed record invalid naming the dir"

# --- a crafted document: kind certificate-of-sanitization over a failed target ---
certify_with ss-ec "$T/r-fail" "$C/fail.json" || die "certify r-fail"
grep -q '"kind": "sanitization-failure-report"' "$C/fail.json" || die "r-fail did not make a failure report"
verify_out --ca "$P/ss-ec.crt" "$C/fail.json"
[ "$vrc" = 3 ] && grep -q "^$C/fail.json: failure report: valid as signed, but a sanitization failure report: .*not verified" "$T/v.out" ||
	{ cat "$T/v.out"; die "failure report: exit $vrc"; }
recipe "$C/fail.json" "$P/ss-ec.crt" || die "the recipe rejects a well-signed failure report"
python3 - "$C/fail.json" "$C/crafted.json" <<'PY' || die "craft"
import sys
s = open(sys.argv[1], encoding="utf-8").read()
# keep the canonical form: change values in place, nothing else
s = s.replace('"kind": "sanitization-failure-report"', '"kind": "certificate-of-sanitization"', 1)
a = s.index('"failures": [')
b = s.index(']', a)
s = s[:a] + '"failures": [\n    ]' + s[b + 1:]
open(sys.argv[2], "w", encoding="utf-8").write(s)
PY
stock_sign ss-ec "$C/crafted.json" || die "stock sign crafted"
recipe "$C/crafted.json" "$P/ss-ec.crt" || die "the recipe rejects the crafted document's signature"
verify_out --ca "$P/ss-ec.crt" "$C/crafted.json"
[ "$vrc" = 3 ] && grep -q "^$C/crafted.json: invalid: kind: certificate-of-sanitization, but target t1 is not verified$" "$T/v.out" ||
	{ cat "$T/v.out" "$T/v.err"; die "kind contradicting results: exit $vrc"; }
ok "failure report: exit 3 with its failures; crafted kind over a failed target: invalid (recipe accepts it)"

# --- unreadable input, the worst exit wins, --json ---
cp "$C/ec.json" "$C/nosig.json"
verify_out --ca "$P/root.crt" "$C/ec.json" "$C/nosig.json" "$C/missing.json"
[ "$vrc" = 2 ] || { cat "$T/v.out" "$T/v.err"; die "unreadable: exit $vrc"; }
grep -qx "dispose: $C/nosig.json: $C/nosig.json.p7s: No such file or directory" "$T/v.err" &&
	grep -qx "dispose: $C/missing.json: No such file or directory" "$T/v.err" &&
	grep -qx "3 certificates: 1 valid, 2 unreadable" "$T/v.out" || { cat "$T/v.out" "$T/v.err"; die "unreadable lines"; }
mkfifo "$C/fifo.json"
verify_out --ca "$P/root.crt" "$C/fifo.json" "$C"
[ "$vrc" = 2 ] && grep -qx "dispose: $C/fifo.json: not a regular file" "$T/v.err" &&
	grep -qx "dispose: $C: Is a directory" "$T/v.err" || { cat "$T/v.err"; die "FIFO and directory: exit $vrc"; }
verify_out --ca "$P/root.crt" "$C/ec.json" "$C/crafted.json" "$C/missing.json"
[ "$vrc" = 3 ] || die "invalid and unreadable: exit $vrc (3 wins over 2)"
certify_with ec "$T/r-fail" "$C/fail-ec.json" --chain "$P/chain.pem" || die "certify fail-ec"
verify_out --json --ca "$P/root.crt" "$C/ec.json" "$C/fail-ec.json" "$C/noku.json"
[ "$vrc" = 3 ] || die "--json: exit $vrc"
python3 - "$T/v.out" "$id" <<'PY' || die "--json document"
import json, sys
d = json.load(open(sys.argv[1]))
c = d["certificates"]
assert [x["outcome"] for x in c] == ["valid", "failure-report", "invalid"], c
assert c[0]["certificate_id"] == sys.argv[2] and c[0]["kind"] == "certificate-of-sanitization"
assert c[0]["signer"] == "CN=ec signer, O=Test" and c[0]["category"] == "clear" and c[0]["signing_time"]
assert "keyUsage" in c[2]["reason"], c[2]
assert c[1]["reason"].startswith("valid as signed, but a sanitization failure report: "), c[1]
assert d["summary"] == {"certificates": 3, "valid": 1, "failure-report": 1, "untrusted": 0,
                        "invalid": 1, "unreadable": 0, "exit": 3}, d["summary"]
PY
verify_out -J --ca "$P/ss-ec.crt" "$C/fail.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["certificates"][0]["outcome"]=="failure-report", d' \
	"$T/v.out" || die "-J failure report"
expect_exit 2 "$DISPOSE" verify >/dev/null 2>&1
expect_exit 2 "$DISPOSE" verify --ca "$T/nonexistent.pem" "$C/ec.json" >/dev/null 2>&1
expect_exit 2 "$DISPOSE" verify --sample 5 "$C/ec.json" >/dev/null 2>&1
expect_exit 2 "$DISPOSE" verify --ca "$C/ec.json" "$C/ec.json" >/dev/null 2>&1
ok "unreadable exit 2 with a line each; invalid wins over unreadable; --json and -J; usage errors"
