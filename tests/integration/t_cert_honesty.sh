#!/bin/bash
# t_cert_honesty.sh - the certificate claims no more than the record shows
# (standards.md section 8): an unverified, interrupted, mismatching or
# bad-sector erase gives a signed sanitization-failure-report naming why
# (certify exit 3, verify exit 3); sampled verification is named with its
# parameters; a non-rotational device is at most Clear with the spare-area
# caveat; the summary of a file and a device is the weaker, none.
. "$SRCDIR/tests/integration/lib.sh"
need_root
command -v openssl >/dev/null || skip "needs openssl"
D=$DISPOSE
K=$T/keys
mkdir -p "$K"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/s.key" \
	-out "$K/s.crt" -days 30 -subj '/CN=honesty test signer' \
	-addext keyUsage=critical,digitalSignature 2>/dev/null || die "signer"
E=(erase --yes --progress none)

# certify_want EXIT NAME RUNDIR...: certify, check the exit code, the signature
# with stock openssl, and (for a failure report) that verify says exit 3
certify_want() {
	local want=$1 name=$2 rc; shift 2
	local args=() d
	for d in "$@"; do args+=(--run-dir "$d"); done
	"$D" certify "${args[@]}" --key "$K/s.key" --cert "$K/s.crt" -o "$T/$name.json" \
		>"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ $rc = "$want" ] || die "certify $name: exit $rc, want $want: $(cat "$T/$name.err")"
	openssl cms -verify -binary -inform DER -in "$T/$name.json.p7s" -content "$T/$name.json" \
		-CAfile "$K/s.crt" -purpose any >/dev/null 2>&1 || die "$name: the recipe rejects it"
	"$D" verify --ca "$K/s.crt" "$T/$name.json" >"$T/$name.vout" 2>&1
	rc=$?
	[ $rc = "$want" ] || die "verify $name: exit $rc, want $want: $(cat "$T/$name.vout")"
}
# failure NAME WHY: a failure report whose one failure says WHY
failure() {
	grep -q "^$T/$1.json: sanitization-failure-report .*, 1 target, weakest: .*; failures: 1) t1 .*: .*$2" \
		"$T/$1.out" || die "$1: certify said: $(cat "$T/$1.out")"
	python3 - "$T/$1.json" "$2" <<'PY' || die "$1: document"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["kind"] == "sanitization-failure-report", d["kind"]
s = d["summary"]
assert s["targets"] == 1 and s["succeeded"] == 0 and s["failed"] == 1, s
assert len(s["failures"]) == 1 and sys.argv[2] in s["failures"][0], s["failures"]
PY
}

# 1. --verify none: written, not verified -> failure report
dev=$(mkloop 4)
"$D" "${E[@]}" --method zero --verify none --run-dir "$T/r1" "$dev" >/dev/null 2>&1 || die "erase r1"
certify_want 3 c1 "$T/r1"
failure c1 "not verified"
ok "--verify none: failure report, certify and verify exit 3"

# 2. interrupted (SIGINT): failure report
dev2=$(mkloop 32)
"$D" "${E[@]}" --method zero --checkpoint-interval 1M --test-delay-ms 100 --run-dir "$T/r2" \
	"$dev2" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do
	grep -q '"event":"checkpoint"' "$T/r2/events.jsonl" 2>/dev/null && break
	sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ $rc = 130 ] || die "interrupted erase: exit $rc"
certify_want 3 c2 "$T/r2"
failure c2 "interrupted"
python3 - "$T/c2.json" <<'PY' || die "c2 document"
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))["targets"][0]
assert t["result"] == "interrupted" and t["category_achieved"] == "none" and t["old_data_may_remain"], t
assert t["nist"]["sanitization"] == "none" and t["passes"][0]["complete"] is False, t
PY
ok "interrupted: failure report"
# resumed to its end: a certificate, each byte counted once over the two sessions
"$D" "${E[@]}" --resume --run-dir "$T/r2" >/dev/null 2>&1 || die "resume r2"
certify_want 0 c2r "$T/r2"
python3 - "$T/c2r.json" <<'PY' || die "c2r document"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
t = d["targets"][0]
assert d["kind"] == "certificate-of-sanitization" and t["result"] == "success", t["result"]
assert t["passes"][0]["bytes_written"] == 32 << 20 and t["passes"][0]["complete"], t["passes"]
assert t["verification"]["bytes_read"] == 32 << 20, t["verification"]
PY
ok "interrupted then resumed: certificate, bytes counted once"

# 3. a verification mismatch (a byte reads back inverted)
dev3=$(mkloop 4)
DISPOSE_TEST_FAULT="flip-read@8192" "$D" "${E[@]}" --method zero --run-dir "$T/r3" "$dev3" \
	>/dev/null 2>&1 && die "erase with a mismatch: exit 0"
certify_want 3 c3 "$T/r3"
failure c3 "completed-with-errors"
python3 - "$T/c3.json" <<'PY' || die "c3 document"
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))["targets"][0]
assert t["verification"]["mismatches"] >= 1 and t["category_achieved"] == "none", t
PY
ok "verification mismatch: failure report"

# 4. a bad sector (a write fails EIO): failure report with the bad range
dev4=$(mkloop 4)
DISPOSE_TEST_FAULT="eio-write@1M" "$D" "${E[@]}" --method zero --run-dir "$T/r4" "$dev4" \
	>/dev/null 2>&1 && die "erase with a bad sector: exit 0"
certify_want 3 c4 "$T/r4"
failure c4 "completed-with-errors"
python3 - "$T/c4.json" <<'PY' || die "c4 document"
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))["targets"][0]
assert t["bad_ranges"] and all(len(r) == 2 for r in t["bad_ranges"]), t["bad_ranges"]
assert t["old_data_may_remain"] is True and t["category_achieved"] == "none", t
PY
ok "bad sector: failure report with bad_ranges"

# 5. sampled verification: a certificate that names its sampling
dev5=$(mkloop 8)
"$D" "${E[@]}" --method random --verify sample --run-dir "$T/r5" "$dev5" >/dev/null 2>&1 || die "erase r5"
certify_want 0 c5 "$T/r5"
python3 - "$T/c5.json" <<'PY' || die "c5 document"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["kind"] == "certificate-of-sanitization"
t = d["targets"][0]
v = t["verification"]
assert v["mode"] == "sample" and v["percent"] == "10" and len(v["seed"]) == 16, v
assert v["sampling"] == "sampled-800-88r1" and 0 < v["bytes_read"] < 8 << 20, v
assert t["nist"]["verification_method"] == "sampling"
assert any(c.startswith("sampled verification") for c in t["caveats"]), t["caveats"]
p = t["passes"][0]["pattern"]
assert p["kind"] == "random" and len(p["key"]) == 32 and len(p["iv"]) == 32, p
PY
ok "sampled verification: percent, seed and sampling method named"

# 6. a non-rotational device: at most Clear, with the spare-area caveat
dev6=$(mkloop 4)
rot=/sys/block/${dev6#/dev/}/queue/rotational
if echo 0 >"$rot" 2>/dev/null && [ "$(cat "$rot")" = 0 ]; then
	"$D" "${E[@]}" --method zero --run-dir "$T/r6" "$dev6" >/dev/null 2>&1 || die "erase r6"
	certify_want 0 c6 "$T/r6"
	python3 - "$T/c6.json" <<'PY' || die "c6 document"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
t = d["targets"][0]
assert t["identity"]["rotational"] is False, t["identity"]
assert t["category_achieved"] == "clear" and d["summary"]["category_achieved"] == "clear"
assert "non-rotational" in t["nist"]["media_type"], t["nist"]
assert any("spare areas not addressed" in c for c in t["caveats"]), t["caveats"]
PY
	ok "non-rotational: Clear at most, with the spare-area caveat"
else
	echo "note: $rot is not writable here; the non-rotational row is skipped"
fi

# 7. two targets, a file and a device: the summary is the weaker, none
dev7=$(mkloop 4)
head -c 10000 /dev/urandom >"$T/f7"
"$D" "${E[@]}" --method zero --run-dir "$T/r7" "$T/f7" "$dev7" >/dev/null 2>&1 || die "erase r7"
certify_want 0 c7 "$T/r7"
grep -q ", 2 targets, weakest: none$" "$T/c7.out" || die "c7 line: $(cat "$T/c7.out")"
python3 - "$T/c7.json" <<'PY' || die "c7 document"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
s = d["summary"]
assert s["targets"] == 2 and s["category_requested"] == "clear" and s["category_achieved"] == "none", s
assert sorted(t["category_achieved"] for t in d["targets"]) == ["clear", "none"]
PY
ok "a file and a device: summary weakest none"
