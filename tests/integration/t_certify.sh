#!/bin/bash
# t_certify.sh - dispose certify: a signed dispose-certificate/1 built only from
# run records. A verified erase of a whole device is a Clear certificate with
# every NIST field present (null where not recorded); a file erase has no
# category; an archive run and an erase run make one certificate; --time makes
# it byte-identical; a record with a broken or torn chain, without run_end, given
# twice, an existing output or a name not ending in .json is refused (exit 2,
# nothing written); names that are not UTF-8 come back exactly from path_hex.
. "$SRCDIR/tests/integration/lib.sh"
need_root
command -v openssl >/dev/null || skip "needs openssl"
D=$DISPOSE
K=$T/keys
mkdir -p "$K"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/s.key" \
	-out "$K/s.crt" -days 30 -subj '/CN=certify test signer' \
	-addext keyUsage=critical,digitalSignature 2>/dev/null || die "signer"
SIGN=(--key "$K/s.key" --cert "$K/s.crt")
TIME=2026-12-06T10:00:00Z
erase() { "$D" erase --yes --progress none "$@" >"$T/erase.out" 2>&1 || die "erase $*: $(cat "$T/erase.out")"; }
# recipe NAME.json: the auditor's stock openssl check
recipe() {
	openssl cms -verify -binary -inform DER -in "$1.p7s" -content "$1" -CAfile "$K/s.crt" \
		-purpose any >/dev/null 2>"$T/recipe.err" || die "openssl cms -verify $1: $(cat "$T/recipe.err")"
}

# 1. a verified erase of a whole loop device: certificate-of-sanitization, Clear
dev=$(mkloop 8)
fill_marker "$dev" 8
erase --method zero --run-dir "$T/r1" "$dev"
out=$("$D" certify --run-dir "$T/r1" "${SIGN[@]}" --time "$TIME" --operator "Ann Operator" \
	--operator-title Technician --organization "Example Org" --location "Room 1" \
	--contact ann@example.org --verifier "Vic Verifier" --validator "Val Validator" \
	--media-destination other:shredder --property-number PN-7 --classification internal \
	-o "$T/c1.json" 2>"$T/err")
rc=$?
[ $rc = 0 ] || die "certify: exit $rc: $(cat "$T/err")"
[[ $out =~ ^"$T/c1.json: certificate-of-sanitization "[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", 1 target, weakest: Clear"$ ]] ||
	die "certify line: $out"
[ -s "$T/c1.json.p7s" ] || die "no signature"
recipe "$T/c1.json"
python3 - "$T/c1.json" "$dev" "$T/r1" "$TIME" <<'PY' || die "certificate 1"
import json, sys, hashlib
raw = open(sys.argv[1], "rb").read()
d = json.loads(raw.decode("utf-8"))
dev, run, time = sys.argv[2], sys.argv[3], sys.argv[4]
assert raw.endswith(b"}\n") and b"\r" not in raw
assert d["schema"] == "dispose-certificate/1" and d["kind"] == "certificate-of-sanitization", d["kind"]
assert d["created"] == time
s = d["summary"]
assert (s["targets"], s["succeeded"], s["failed"]) == (1, 1, 0), s
assert s["category_requested"] == s["category_achieved"] == "clear" and s["failures"] == [], s
assert s["backed_up"] == "no" and d["backup"] == {"backed_up": "no", "archives": []}
a = d["attested"]
assert a["sanitization"] == {"name": "Ann Operator", "title": "Technician", "organization": "Example Org",
                             "location": "Room 1", "contact": "ann@example.org"}, a
assert a["verification"] == {"name": "Vic Verifier"} and a["validation"] == {"name": "Val Validator"}
assert a["media_destination"] == {"type": "other", "details": "shredder"}
assert a["property_number"] == "PN-7" and a["classification"] == "internal"
assert "does not attest any person" in d["notice"]
r = d["runs"][0]
assert r["command"] == "erase" and r["status"] == "success" and r["exit"] == 0, r
lines = open(run + "/events.jsonl", "rb").read().split(b"\n")[:-1]
assert r["events"] == len(lines) and r["head"] == hashlib.sha256(lines[-1]).hexdigest(), r
t, = d["targets"]
assert t["path"] == dev and t["kind"] == "block" and t["result"] == "success"
assert t["category_requested"] == t["category_achieved"] == "clear" and not t["old_data_may_remain"]
assert t["identity"]["size"] == 8 << 20 and t["identity"]["transport"] == "loop"
# every NIST SP 800-88 field, present; null where the record does not say
n = t["nist"]
assert list(n) == ["manufacturer", "model", "serial", "property_number", "media_type", "media_source",
                   "classification_pre", "classification_post", "sanitization", "technique", "tool",
                   "verification_method", "destination", "backup"], list(n)
assert n["manufacturer"] is None and n["serial"] is None and n["media_source"] is None, n
assert n["classification_post"] is None and n["classification_pre"] == "internal"
assert n["property_number"] == "PN-7" and n["destination"] == "other: shredder" and n["backup"] == "no"
assert n["sanitization"] == "Clear" and n["technique"] == "overwrite" and n["verification_method"] == "full"
# a loop's rotational flag is not the medium's: never "magnetic" for a file-backed device
assert n["media_type"].startswith("loop device backed by a file") and "magnetic" not in n["media_type"], n
assert n["tool"].startswith("dispose 0.1.0 (")
assert t["method"]["name"] == "zero" and len(t["method"]["sha256"]) == 64
p, = t["passes"]
assert p["pass"] == 1 and p["bytes_written"] == 8 << 20 and p["complete"] is True
assert p["pattern"]["kind"] == "pattern" and p["pattern"]["bytes"] == "00"
v = t["verification"]
assert v["mode"] == "last" and v["bytes_read"] == 8 << 20 and v["mismatches"] == 0 and v["percent"] is None
assert any("loop device" in c for c in t["caveats"]), t["caveats"]
assert t["started"] and t["ended"] and t["key_material"] == []
PY
ok "loop device erase: certificate-of-sanitization, Clear, every NIST field present"

# 2. a file erase: no category (file-level overwrite)
head -c 65536 /dev/urandom >"$T/f1"
erase --method zero --run-dir "$T/r2" "$T/f1"
out=$("$D" certify --run-dir "$T/r2" "${SIGN[@]}" -o "$T/c2.json" 2>"$T/err") || die "certify file: $(cat "$T/err")"
[[ $out == *", 1 target, weakest: none" ]] || die "file line: $out"
python3 - "$T/c2.json" <<'PY' || die "certificate 2"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
s, t = d["summary"], d["targets"][0]
assert s["category_achieved"] == "none" and s["category_requested"] == "none", s
assert t["category_achieved"] == "none" and t["nist"]["sanitization"] == "none", t
assert t["category_reason"] == "file-level overwrite" and t["removed"] is True
assert t["identity"]["ino"] and t["identity"]["fstype"] and t["identity"]["devno"] is None
PY
recipe "$T/c2.json"
ok "file erase: category none"

# 3. an archive run and an erase run of the same machine: one certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/rec.key" \
	-out "$K/rec.crt" -days 30 -subj '/CN=records escrow/O=Example Org' 2>/dev/null || die "recipient"
mkdir -p "$T/keep" && echo "retained" >"$T/keep/a.txt"
"$D" archive create -q --run-dir "$T/ra" -r "$T/keep" --recipient "$K/rec.crt" \
	-o "$T/keep.tar.zst.enc" >/dev/null 2>"$T/err" || die "archive: $(cat "$T/err")"
# archive verify appends its archive_verified to the same record: still one archive
"$D" archive verify -q --key "$K/rec.key" --cert "$K/rec.crt" --run-dir "$T/ra" \
	"$T/keep.tar.zst.enc" >/dev/null 2>"$T/err" || die "archive verify: $(cat "$T/err")"
out=$("$D" certify --run-dir "$T/ra" --run-dir "$T/r1" "${SIGN[@]}" -o "$T/c3.json" 2>"$T/err") ||
	die "certify archive+erase: $(cat "$T/err")"
[[ $out == *"certificate-of-sanitization"*", 1 target, weakest: Clear" ]] || die "archive line: $out"
python3 - "$T/c3.json" "$T/keep.tar.zst.enc" \
	"$(openssl x509 -in "$K/rec.crt" -noout -subject)" \
	"$(openssl x509 -in "$K/rec.crt" -outform DER | sha256sum | cut -c1-64)" \
	"$(sha256sum "$T/keep.tar.zst.enc" | cut -c1-64)" <<'PY' || die "certificate 3"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
arc, subj, certsha, arcsha = sys.argv[2], sys.argv[3][len("subject="):], sys.argv[4], sys.argv[5]
assert [r["command"] for r in d["runs"]] == ["archive create", "erase"], d["runs"]
assert d["summary"]["backed_up"] == "yes" and d["backup"]["backed_up"] == "yes"
a, = d["backup"]["archives"]
assert a["run"] == 0 and a["path"] == arc and a["encrypted"] is True and a["verified"] is True, a
assert a["sha256"] == arcsha and len(a["envelope_sha256"]) == 64
r, = a["recipients"]
assert r["subject"] == subj and r["sha256"] == certsha and r["serial"] and r["issuer"] == subj, r
t, = d["targets"]
assert t["run"] == 1 and t["nist"]["backup"] == "yes"
PY
recipe "$T/c3.json"
ok "archive run + erase run: one certificate, backup.archives with recipients by identity"

# 4. same records, options and --time: byte-identical JSON
for n in a b; do
	"$D" certify -q --run-dir "$T/ra" --run-dir "$T/r1" "${SIGN[@]}" --time "$TIME" --operator Ann \
		-o "$T/c4$n.json" 2>"$T/err" || die "certify c4$n: $(cat "$T/err")"
done
cmp -s "$T/c4a.json" "$T/c4b.json" || die "certify twice with --time differs"
cmp -s "$T/c4a.json" "$T/c3.json" && die "a different --time/operator gave the same bytes"
ok "byte-identical with --time"

# 5. refusals: exit 2, one message naming the run directory, nothing written
refuse() {	# refuse WANT_MSG ARGS...
	local msg=$1; shift
	rm -f "$T/x.json" "$T/x.json.p7s"
	"$D" certify "$@" "${SIGN[@]}" -o "$T/x.json" >"$T/out" 2>"$T/err"
	local rc=$?
	[ $rc = 2 ] || die "certify $*: exit $rc, want 2: $(cat "$T/err")"
	grep -qF -- "$msg" "$T/err" || die "certify $*: message: $(cat "$T/err"), want $msg"
	[ "$(wc -l <"$T/err")" = 1 ] || [[ $msg == *"must end in"* ]] || die "more than one line: $(cat "$T/err")"
	[ ! -e "$T/x.json" ] && [ ! -e "$T/x.json.p7s" ] || die "certify $*: left output behind"
}
cp -a "$T/r1" "$T/broken"
python3 - "$T/broken/events.jsonl" <<'PY' || die "edit"
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b'"transport":"loop"')
b[i + 14] = ord("L")	# one byte of line 1 (run_start: loop -> Loop)
open(p, "wb").write(bytes(b))
PY
refuse "dispose: $T/broken: run record's hash chain is broken at line 2" --run-dir "$T/broken"
cp -a "$T/r1" "$T/torn" && head -c -1 "$T/r1/events.jsonl" >"$T/torn/events.jsonl"
refuse "dispose: $T/torn: run record ends in a torn line" --run-dir "$T/torn"
cp -a "$T/r1" "$T/noend" && head -n -1 "$T/r1/events.jsonl" >"$T/noend/events.jsonl"
refuse "dispose: $T/noend: run has no run_end" --run-dir "$T/noend"
refuse "dispose: $T/r1/: the same run record as $T/r1" --run-dir "$T/r1" --run-dir "$T/r1/"
cp -a "$T/r1" "$T/copy"
refuse "dispose: $T/copy: the same run record as $T/r1" --run-dir "$T/r1" --run-dir "$T/copy"
refuse "dispose: $T/nowhere: No such file or directory" --run-dir "$T/nowhere"
refuse "--time: '2026-02-30T10:00:00Z' is not an RFC 3339 UTC time" --run-dir "$T/r1" --time 2026-02-30T10:00:00Z
refuse "--media-destination: 'landfill' is not one of" --run-dir "$T/r1" --media-destination landfill
# an existing output is never replaced, and its signature is not written either
echo keep >"$T/exists.json"
"$D" certify --run-dir "$T/r1" "${SIGN[@]}" -o "$T/exists.json" >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] || die "existing output: exit $rc"
grep -qF "dispose: $T/exists.json: already exists; not replaced" "$T/err" || die "existing: $(cat "$T/err")"
[ "$(cat "$T/exists.json")" = keep ] && [ ! -e "$T/exists.json.p7s" ] || die "existing output touched"
# an existing signature file: the JSON is not left behind either
echo keep >"$T/sig.json.p7s"
"$D" certify --run-dir "$T/r1" "${SIGN[@]}" -o "$T/sig.json" >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] && [ ! -e "$T/sig.json" ] && [ "$(cat "$T/sig.json.p7s")" = keep ] ||
	die "existing .p7s: exit $rc, $(ls "$T"/sig.json* 2>&1): $(cat "$T/err")"
"$D" certify --run-dir "$T/r1" "${SIGN[@]}" -o "$T/x.txt" >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -qF 'x.txt: the output name must end in ".json"' "$T/err" && [ ! -e "$T/x.txt" ] ||
	die "not .json: exit $rc: $(cat "$T/err")"
ok "refusals: broken chain, torn, no run_end, same run twice, bad --time/destination, existing output, not .json"

# 6. a tree whose names are not UTF-8: valid JSON, the exact bytes in path_hex
tree=$T/$'tr\xff\xfe'
fname=$'f\x80'
mkdir -p "$tree/sub" && echo a >"$tree/$fname" && echo b >"$tree/sub/b"
erase --method zero --run-dir "$T/r6" "$tree"
"$D" certify -q --run-dir "$T/r6" "${SIGN[@]}" -o "$T/c6.json" 2>"$T/err" || die "certify tree: $(cat "$T/err")"
python3 - "$T/c6.json" "$tree" <<'PY' || die "certificate 6"
import json, os, sys
raw = open(sys.argv[1], "rb").read()
d = json.loads(raw.decode("utf-8"))	# strict UTF-8
want = os.fsencode(sys.argv[2])
t, = d["targets"]
assert t["kind"] == "tree" and bytes.fromhex(t["path_hex"]) == want, t
assert t["path"] == want.decode("utf-8", "backslashreplace"), t["path"]
assert t["passes"][0]["bytes_written"] == 4 and t["verification"]["bytes_read"] == 4, t
PY
recipe "$T/c6.json"
ok "names that are not UTF-8: valid JSON, recoverable from path_hex"
