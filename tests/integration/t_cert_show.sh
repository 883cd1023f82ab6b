#!/bin/bash
# t_cert_show.sh - dispose show on real certificates: the NIST form's sections
# in Appendix G order before the details, "not recorded" for null fields,
# attested fields labelled, the random pass's stream key and every caveat in
# full; a failure report marked as such on its first line (exit 0: show is not
# verify); a tampered document or signature said first, content still shown,
# exit 3; control characters and non-UTF-8 bytes in names escaped (no ESC/BEL
# byte reaches the output); --json parses and, less its "signature" member,
# equals the document; unreadable or non-JSON input exit 2.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
command -v openssl >/dev/null || skip "openssl missing"

# xrun CODE OUT CMD...: run CMD with stdout and stderr to OUT, exit CODE wanted (said on failure)
xrun() {
	local want=$1 out=$2 rc
	shift 2
	"$@" >"$out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] || { cat "$out" >&2; die "expected exit $want, got $rc: $*"; }
}

# a whole device, random pass, every byte verified; an attested name with an escape sequence
dev=$(mkloop 4) || die "mkloop"
fill_marker "$dev" 4
"$DISPOSE" erase --yes --progress none --method random --verify last --run-dir "$T/r1" "$dev" \
	>"$T/erase.out" 2>&1 || { cat "$T/erase.out"; die "erase failed"; }
"$DISPOSE" keygen --subject "/CN=show test signer/O=Example" -o "$T/signer" >"$T/kg.out" 2>&1 ||
	{ cat "$T/kg.out"; die "keygen failed"; }
"$DISPOSE" certify --run-dir "$T/r1" --key "$T/signer.key" --cert "$T/signer.crt" \
	--operator $'Ann \e[31mOp\a' --organization Example --media-destination recycling \
	-o "$T/c.json" >"$T/cert.out" 2>&1
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 3 ] || { cat "$T/cert.out"; die "certify exit $rc"; }
[ -s "$T/c.json" ] && [ -s "$T/c.json.p7s" ] || die "certify wrote no certificate"

expect_exit 0 "$DISPOSE" show "$T/c.json" >"$T/show.out" 2>"$T/show.err"
[ -s "$T/show.err" ] && { cat "$T/show.err" >&2; die "show wrote to stderr"; }
python3 - "$T/c.json" "$T/show.out" <<'PY' || die "show output"
import json, sys
doc = json.load(open(sys.argv[1]))
raw = open(sys.argv[2], "rb").read()
text = raw.decode("utf-8")                       # strict
lines = text.split("\n")
for b in (0x1b, 0x07, 0x7f):
    assert bytes([b]) not in raw, ("control byte reached the output", b)
assert all(not (0 <= ord(c) < 0x20 and c != "\n") and not (0x7f <= ord(c) <= 0x9f) for c in text)
# what it is, first
head = {"certificate-of-sanitization": "CERTIFICATE OF SANITIZATION",
        "sanitization-failure-report": "SANITIZATION FAILURE REPORT \u2014 not a certificate of sanitization"}
assert lines[0] == head[doc["kind"]], lines[0]
sig = [l for l in lines[:12] if l.startswith("Signature: ")]
assert sig and sig[0].startswith("Signature: valid, signer ") and \
    "not checked against a CA: run dispose verify --ca" in sig[0], sig
assert "show test signer" in sig[0]
# the form's sections in Appendix G order, then the details
order = ["PERSON PERFORMING SANITIZATION (attested by the operator)", "MEDIA INFORMATION",
         "SANITIZATION DETAILS", "MEDIA DESTINATION (attested by the operator)", "SIGNATURE",
         "VALIDATION (attested by the operator)", "DETAILS"]
at = [lines.index(s) for s in order]
assert at == sorted(at), at
sec = lambda a, b: lines[lines.index(a):lines.index(b)]
person = sec(order[0], order[1])
assert any(l.split(":")[0].strip() == "Name" and "Ann \\x1b[31mOp\\x07" in l for l in person), person
assert any(l.split(":")[0].strip() == "Title" and l.endswith("not recorded") for l in person), person
assert any(l.split(":")[0].strip() == "Organization" and l.endswith("Example") for l in person)
media = sec(order[1], order[2])
t = doc["targets"][0]
assert any(t["path"] in l for l in media), media
for label in ("Make/Vendor", "Model number", "Serial number", "Media property number", "Media type",
              "Source", "Classification", "Data backed up", "Backup location"):
    assert any(l.strip().startswith(label + ":") for l in media), label
assert any(l.strip().startswith("Media property number:") and
           l.endswith("not recorded (attested by the operator)") for l in media)
details = sec(order[2], order[3])
for label in ("Method type", "Method used", "Method details", "Tool used", "Verification method",
              "Post sanitization classification"):
    assert any(l.strip().startswith(label + ":") for l in details), label
assert any(l.strip().startswith("Method type:") and l.endswith(t["nist"]["sanitization"]) for l in details)
dest = sec(order[3], order[4])
assert any(l.strip().startswith("Destination:") and l.endswith("recycling") for l in dest), dest
assert any("I attest that the information provided on this statement is accurate" in l
           for l in sec(order[4], order[5]))
# every null of the form said, never dropped: as many "not recorded" as nulls at least in nist
nulls = sum(v is None for v in t["nist"].values())
assert sum("not recorded" in l for l in media + details) >= nulls
# the details: the stream key, every caveat in full, the run's chain head
key = t["passes"][-1]["pattern"].get("key")
assert key and key in text, "stream key not shown"
for c in t["caveats"]:
    assert c in text, ("caveat cut or missing", c)
assert doc["runs"][0]["head"] in text
print("kind", doc["kind"], "caveats", len(t["caveats"]))
PY
ok "show: what it is and the signature first, the NIST form's sections in order, nulls as 'not recorded', key and caveats in full, escapes"

# --json: the document, plus its signature status, one object
expect_exit 0 "$DISPOSE" show --json "$T/c.json" >"$T/show.json"
expect_exit 0 "$DISPOSE" show -J "$T/c.json" >"$T/show2.json"
cmp -s "$T/show.json" "$T/show2.json" || die "-J and --json differ"
python3 - "$T/c.json" "$T/show.json" <<'PY' || die "show --json"
import json, sys
doc = json.load(open(sys.argv[1]))
out = json.load(open(sys.argv[2]))
sig = out.pop("signature")
assert out == doc, "show --json is not the document"
assert list(out) == list(doc), "key order"
assert sig["valid"] is True and sig["trusted"] is None and sig["outcome"] == "untrusted", sig
assert "show test signer" in sig["signer"] and sig["signing_time"]
PY
ok "show --json: the document itself plus a signature member"

# a failure report: unverified erase of another device
dev2=$(mkloop 2) || die "mkloop"
"$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r2" "$dev2" \
	>"$T/erase2.out" 2>&1 || { cat "$T/erase2.out"; die "erase 2 failed"; }
xrun 3 "$T/cert2.out" "$DISPOSE" certify --run-dir "$T/r2" --key "$T/signer.key" \
	--cert "$T/signer.crt" -o "$T/f.json"
xrun 0 "$T/fshow.out" "$DISPOSE" show "$T/f.json"
head -1 "$T/fshow.out" | grep -qx 'SANITIZATION FAILURE REPORT — not a certificate of sanitization' ||
	{ head -5 "$T/fshow.out"; die "failure report not marked on its first line"; }
sed -n 2p "$T/fshow.out" | grep -qx 'Failures:' || die "failures not listed"
sed -n 3p "$T/fshow.out" | grep -q '^  - t1 ' || die "the failing target not named"
grep -q '^CERTIFICATE OF SANITIZATION' "$T/fshow.out" && die "a failure report shown as a certificate"
ok "show: a failure report is marked as such, exit 0"

# tampered: one byte of the document changed (still canonical JSON), and the signature
python3 - "$T/c.json" "$T/t.json" <<'PY' || die "tamper"
import sys
b = open(sys.argv[1], "rb").read()
i = b.index(b'"Example"') + 1
open(sys.argv[2], "wb").write(b[:i] + b"F" + b[i + 1:])
PY
cp "$T/c.json.p7s" "$T/t.json.p7s"
xrun 3 "$T/tshow.out" "$DISPOSE" show "$T/t.json"
head -1 "$T/tshow.out" | grep -q '^WARNING: this document is INVALID' || die "tamper not said first"
grep -q '^Signature: INVALID: ' "$T/tshow.out" || die "signature not said invalid"
grep -q 'Fxample' "$T/tshow.out" || die "tampered content not shown"
grep -q '^PERSON PERFORMING SANITIZATION' "$T/tshow.out" || die "content not shown"
expect_exit 3 "$DISPOSE" show --json "$T/t.json" >"$T/tshow.json"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["signature"]; assert s["valid"] is False and s["reason"], s' \
	"$T/tshow.json" || die "--json of a tampered document"
cp "$T/c.json" "$T/s.json"
python3 - "$T/c.json.p7s" "$T/s.json.p7s" <<'PY' || die "tamper p7s"
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) - 3] ^= 0x01      # in the signature value (a flip in the embedded certificate needs --ca)
open(sys.argv[2], "wb").write(b)
PY
xrun 3 "$T/sshow.out" "$DISPOSE" show "$T/s.json"
grep -q '^Signature: INVALID: ' "$T/sshow.out" || die "a flipped signature byte not said"
cp "$T/c.json" "$T/n.json"
xrun 3 "$T/nshow.out" "$DISPOSE" show "$T/n.json"
grep -q "^Signature: INVALID: .*n.json.p7s" "$T/nshow.out" || die "a missing signature not said"
ok "show: a changed byte of the document or of the signature, or no signature: said first, shown, exit 3"

# validly signed, but breaking its own rules (kind contradicts the results): said first, exit 3
sed 's/"kind": "certificate-of-sanitization"/"kind": "sanitization-failure-report"/' "$T/c.json" >"$T/k.json"
cmp -s "$T/c.json" "$T/k.json" && die "kind not changed"
openssl cms -sign -binary -outform DER -in "$T/k.json" -signer "$T/signer.crt" -inkey "$T/signer.key" \
	-out "$T/k.json.p7s" || die "openssl cms -sign"
xrun 3 "$T/kshow.out" "$DISPOSE" show "$T/k.json"
head -1 "$T/kshow.out" | grep -q '^WARNING: this document is INVALID' || die "inconsistency not said first"
grep -q '^Signature: valid, signer .*show test signer.*, but the document is INVALID: ' "$T/kshow.out" ||
	{ grep '^Signature' "$T/kshow.out"; die "a signed inconsistent document not said invalid"; }
ok "show: a validly signed document whose kind contradicts its results: invalid, exit 3"

# unreadable or not JSON: exit 2, one line
printf 'not json\n' >"$T/bad.json"
expect_exit 2 "$DISPOSE" show "$T/bad.json" >"$T/bad.out" 2>"$T/bad.err"
[ -s "$T/bad.out" ] && die "output for a non-JSON file"
grep -q '^dispose: .*bad.json: ' "$T/bad.err" || { cat "$T/bad.err"; die "message"; }
expect_exit 2 "$DISPOSE" show "$T/missing.json" 2>/dev/null
expect_exit 2 "$DISPOSE" show "$T" 2>/dev/null
mkfifo "$T/fifo.json"
expect_exit 2 timeout 20 "$DISPOSE" show "$T/fifo.json" 2>"$T/fifo.err"
grep -q 'fifo.json: not a regular file' "$T/fifo.err" || die "a FIFO: $(cat "$T/fifo.err")"
expect_exit 2 "$DISPOSE" show 2>/dev/null
expect_exit 2 "$DISPOSE" show --frob "$T/c.json" 2>/dev/null
expect_exit 0 "$DISPOSE" show --help >/dev/null
ok "show: unreadable, not JSON, usage: exit 2"

# names with control characters and bytes that are not UTF-8 (a file target)
mkdir "$T/files"
f=$T/files/$'evil-\e]0;pwned\a-\xe9\x9b[31m.bin'
fill_marker "$f" 1
xrun 0 "$T/erase3.out" "$DISPOSE" erase --yes --progress none --run-dir "$T/r3" "$f"
"$DISPOSE" certify --run-dir "$T/r3" --key "$T/signer.key" --cert "$T/signer.crt" \
	-o "$T/e.json" >"$T/cert3.out" 2>&1
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 3 ] || { cat "$T/cert3.out"; die "certify 3 exit $rc"; }
xrun 0 "$T/eshow.out" "$DISPOSE" show "$T/e.json"
python3 - "$T/eshow.out" <<'PY' || die "a name's control characters reached the output"
import sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")
assert not any(b < 0x20 and b != 0x0a for b in raw) and 0x7f not in raw
assert b"\xc2\x9b" not in raw and b"\xe9" not in raw.replace("\u2014".encode(), b"")
assert b"evil-\\x1b]0;pwned\\x07-\\xe9\\x9b[31m.bin" in raw, "escaped name not shown"
PY
ok "show: a name with ESC, BEL, C1 and non-UTF-8 bytes is shown escaped"
