#!/bin/bash
# t_cert_forged.sh - a run record edited and its (unkeyed) chain re-hashed
# never yields a certificate that claims more than its own events show:
# a category the medium cannot have is refused before anything is written
# (exit 2, no file), a "success" whose passes or read-back do not cover the
# medium is a failure report (certify and verify exit 3), and a stock-signed
# document claiming such a success is invalid for verify.
. "$SRCDIR/tests/integration/lib.sh"
need_root
command -v openssl >/dev/null || skip "needs openssl"
command -v python3 >/dev/null || skip "needs python3"
. "$SRCDIR/tests/integration/cert_lib.sh"
P=$T/pki
pki_make || die "pki"
D=$DISPOSE

dev=$(mkloop 4)
"$D" erase --yes --progress none --method zero --verify last --run-dir "$T/r-blk" "$dev" \
	>/dev/null 2>&1 || die "erase device"
head -c 65536 /dev/urandom >"$T/victim"
"$D" erase --yes --progress none --method zero --verify last --run-dir "$T/r-file" "$T/victim" \
	>/dev/null 2>&1 || die "erase file"

# forge NAME FROM PYTHON: copy run FROM to NAME, apply PYTHON to its events, re-hash the chain
forge() {
	rm -rf "${T:?}/$1"
	cp -r "$T/$2" "$T/$1"
	python3 - "$T/$1/events.jsonl" "$3" <<'PY' || die "forge $1"
import hashlib, json, sys
path = sys.argv[1]
evs = [json.loads(l) for l in open(path)]
def end(): return [e for e in evs if e["event"] == "target_end"][0]
exec(sys.argv[2])
prev = "0" * 64
out = []
for i, ev in enumerate(evs):
    ev["seq"], ev["prev"] = i + 1, prev
    line = json.dumps(ev, separators=(",", ":"))
    prev = hashlib.sha256(line.encode()).hexdigest()
    out.append(line)
open(path, "w").write("\n".join(out) + "\n")
PY
}
# certify_rc NAME: certify run NAME into $T/NAME.json; exit code in $crc
certify_rc() {
	"$D" certify --run-dir "$T/$1" --key "$P/ec.key" --cert "$P/ec.crt" --chain "$P/chain.pem" \
		-o "$T/$1.json" >"$T/$1.out" 2>"$T/$1.err"
	crc=$?
}
# refused NAME WHY: certify exit 2, one line naming WHY, neither file left
refused() {
	certify_rc "$1"
	[ $crc = 2 ] || die "$1: certify exit $crc, want 2: $(cat "$T/$1.out" "$T/$1.err")"
	grep -q "^dispose: $T/$1.json: not written: .*$2" "$T/$1.err" || die "$1: $(cat "$T/$1.err")"
	[ "$(wc -l <"$T/$1.err")" = 1 ] || die "$1: not one line: $(cat "$T/$1.err")"
	[ ! -e "$T/$1.json" ] && [ ! -e "$T/$1.json.p7s" ] || die "$1: a file was left"
}
# failed NAME WHY: certify exit 3, a failure report whose one failure says WHY, verify exit 3
failed() {
	certify_rc "$1"
	[ $crc = 3 ] || die "$1: certify exit $crc, want 3: $(cat "$T/$1.out" "$T/$1.err")"
	python3 - "$T/$1.json" "$2" <<'PY' || die "$1: document"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["kind"] == "sanitization-failure-report", d["kind"]
s, t = d["summary"], d["targets"][0]
assert s["succeeded"] == 0 and s["failed"] == 1, s
assert len(s["failures"]) == 1 and sys.argv[2] in s["failures"][0], s["failures"]
assert s["category_achieved"] == "none" and t["category_achieved"] == "none", s
assert t["nist"]["sanitization"] == "none", t["nist"]
PY
	verify_out --ca "$P/root.crt" "$T/$1.json"
	[ $vrc = 3 ] || die "$1: verify exit $vrc: $(cat "$T/v.out" "$T/v.err")"
	grep -q "failure report" "$T/v.out" || die "$1: verify: $(cat "$T/v.out")"
	recipe "$T/$1.json" "$P/root.crt" || die "$1: the recipe rejects it"
}

# the untouched records certify (the forgeries below start from good runs)
certify_rc r-blk
[ $crc = 0 ] || die "r-blk: certify exit $crc: $(cat "$T/r-blk.err")"
grep -q '"category_achieved": "clear"' "$T/r-blk.json" || die "r-blk: not clear"

# 1. a category the medium cannot have: refused, nothing written
forge f-purge r-blk 'end()["nist_category"] = "purge"'
refused f-purge "category_achieved purge, but an overwrite allows at most clear"
forge f-fileclear r-file 'end()["nist_category"] = "clear"'
refused f-fileclear "category_achieved clear, but not a whole block device"
forge f-huge r-blk 'end()["bytes_verified"] = 2**64 + 5'
refused f-huge "bytes_verified"
ok "a category or number the medium and the record cannot have: refused (exit 2, no file)"

# 2. "success" the passes do not show: a failure report, category none
forge f-short r-blk '
for e in evs:
    if e["event"] == "pass_end": e["complete"] = False; e["bytes_written"] = 4096
end()["bytes_written"] = 4096'
failed f-short "the record shows an overwrite pass that did not complete"
forge f-nopass r-blk 'evs[:] = [e for e in evs if e["event"] not in ("pass_start", "pass_end", "checkpoint")]'
failed f-nopass "the record shows no overwrite pass"
forge f-lesspass r-blk '
for e in evs:
    if e["event"] == "pass_end": e["bytes_written"] = 4096'
failed f-lesspass "the record shows a pass that wrote less than the medium's size"
forge f-readback r-blk '
for e in evs:
    if e["event"] == "verify_end": e["bytes_read"] = 512
end()["bytes_verified"] = 512'
failed f-readback "a full read-back of fewer bytes than the medium's size"
forge f-overread r-file 'end()["bytes_verified"] = 10**12'
failed f-overread "more bytes written or read back than its passes cover"
ok "a success whose passes or read-back do not cover the medium: failure report (exit 3)"

# 3. the same claim signed without dispose's builder: verify says invalid, naming it
python3 - "$T/f-short.json" "$T/crafted.json" <<'PY' || die "craft"
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
# keep the canonical form: change values in place, nothing else
for a, b in (('"kind": "sanitization-failure-report"', '"kind": "certificate-of-sanitization"'),
             ('"succeeded": 0', '"succeeded": 1'), ('"failed": 1', '"failed": 0'),
             ('"category_achieved": "none"', '"category_achieved": "clear"'),
             ('"sanitization": "none"', '"sanitization": "Clear"')):
    assert a in s, a
    s = s.replace(a, b)
assert '"old_data_may_remain": false' in s
s, n = re.subn(r'"failures": \[\n      "[^\n]*"\n    \]', '"failures": [\n    ]', s)
assert n == 1
open(sys.argv[2], "w", encoding="utf-8").write(s)
PY
"$D" certify --help >/dev/null 2>&1 || die "no certify"
stock_sign ec "$T/crafted.json" "$P/chain.pem" || die "stock sign"
verify_out --ca "$P/root.crt" "$T/crafted.json"
[ $vrc = 3 ] || die "crafted: verify exit $vrc: $(cat "$T/v.out" "$T/v.err")"
grep -q "invalid: .*the record shows an overwrite pass that did not complete" "$T/v.out" ||
	die "crafted: $(cat "$T/v.out")"
ok "a signed certificate claiming a success its passes do not show: invalid (exit 3)"

# 4. a --chain that is not the signer's issuer chain: verify would reject what it carries,
# so certify refuses before signing (exit 2, one line naming it, no file)
cat "$P/ec.crt" "$P/other.crt" >"$T/ec+other.crt"
for args in "--cert $P/ec.crt --chain $P/other.crt" "--cert $P/ec.crt --chain $P/ss-rsa.crt" \
	    "--cert $T/ec+other.crt"; do
	rm -f "$T/badchain.json" "$T/badchain.json.p7s"
	# shellcheck disable=SC2086
	"$D" certify --run-dir "$T/r-blk" --key "$P/ec.key" $args -o "$T/badchain.json" \
		>"$T/bc.out" 2>"$T/bc.err"
	rc=$?
	[ $rc = 2 ] || die "chain ($args): certify exit $rc: $(cat "$T/bc.out" "$T/bc.err")"
	grep -q "^dispose: .*: certificate .*CN = \(Some Other CA\|self-signed rsa\) is not in the chain of the signer" \
		"$T/bc.err" && [ "$(wc -l <"$T/bc.err")" = 1 ] || die "chain ($args): $(cat "$T/bc.err")"
	[ ! -e "$T/badchain.json" ] && [ ! -e "$T/badchain.json.p7s" ] || die "chain ($args): a file was left"
done
# the signer's own chain, root included, still signs and verifies
cat "$P/int.crt" "$P/root.crt" >"$T/full.pem"
"$D" certify --run-dir "$T/r-blk" --key "$P/ec.key" --cert "$P/ec.crt" --chain "$T/full.pem" \
	-o "$T/goodchain.json" >/dev/null 2>"$T/gc.err" || die "good chain: $(cat "$T/gc.err")"
verify_out --ca "$P/root.crt" "$T/goodchain.json"
[ $vrc = 0 ] || die "good chain: verify exit $vrc: $(cat "$T/v.out")"
ok "certify refuses a --chain (or extra --cert certificates) outside the signer's issuer chain"
