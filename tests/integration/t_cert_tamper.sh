#!/bin/bash
# t_cert_tamper.sh - a certificate does not survive a single changed byte.
# Every offset of NAME.json.p7s changed (two ways: xor 0x01 and xor 0xff),
# and one byte of every line of NAME.json (so every field is hit), plus a
# byte added or removed at the end: one `dispose verify` batch over all the
# copies finds none valid. The stock recipe is run over every p7s offset
# too: the offsets it ACCEPTS are printed by field, must all be fields
# dispose-certificate(5) VERIFICATION names (SignedData/SignerInfo version,
# eContentType, signatureAlgorithm), and dispose rejects them naming that rule.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"

pki_make || { cat "$P/openssl.log"; die "test PKI"; }
cert_erase_runs || die "erase runs"
certify_with ec "$T/r-ok" "$T/c.json" --chain "$P/chain.pem" || die "certify"
"$DISPOSE" verify --ca "$P/root.crt" "$T/c.json" >"$T/v0.out" 2>&1 || { cat "$T/v0.out"; die "original not valid"; }
recipe "$T/c.json" || die "the recipe rejects the original"

mkdir -p "$T/p" "$T/j"
python3 - "$T/c.json" "$T/p" "$T/j" <<'PY' || die "make copies"
import os, sys
src, pdir, jdir = sys.argv[1:4]
j = open(src, "rb").read()
p = open(src + ".p7s", "rb").read()
for x in (0x01, 0xff):
    for i in range(len(p)):
        q = bytearray(p); q[i] ^= x
        n = os.path.join(pdir, "%02x-%05d.json" % (x, i))
        open(n, "wb").write(j)
        open(n + ".p7s", "wb").write(bytes(q))
# one byte in every line (the middle of its text, else its newline), then the end
lines = j.split(b"\n")
edits, off = [], 0
for ln in lines[:-1]:
    edits.append(off + (len(ln) // 2 if ln.strip() else len(ln)))
    off += len(ln) + 1
variants = [("x%05d" % e, j[:e] + bytes([j[e] ^ 0x01]) + j[e + 1:]) for e in edits]
variants += [("cut-end", j[:-1]), ("add-end", j + b"\n"), ("add-space", j[:-1] + b" \n")]
for name, b in variants:
    n = os.path.join(jdir, name + ".json")
    open(n, "wb").write(b)
    open(n + ".p7s", "wb").write(p)
print(len(p), len(variants))
PY

# one batch over every copy
"$DISPOSE" verify --json --ca "$P/root.crt" "$T"/p/*.json "$T"/j/*.json >"$T/batch.json" 2>"$T/batch.err"
rc=$?
[ "$rc" = 3 ] || { tail "$T/batch.err"; die "batch exit $rc"; }
for f in "$T"/p/01-*.json; do
	recipe "$f" && echo "${f##*/}"
done >"$T/recipe-p7s.acc"
for f in "$T"/j/*.json; do
	recipe "$f" && echo "${f##*/}"
done >"$T/recipe-json.acc"
[ -s "$T/recipe-json.acc" ] && { cat "$T/recipe-json.acc"; die "the recipe accepts a changed document"; }

python3 - "$T/c.json.p7s" "$T/batch.json" "$T/recipe-p7s.acc" <<'PY' || die "tamper results"
import json, os, sys
der = open(sys.argv[1], "rb").read()
res = json.load(open(sys.argv[2]))
acc = [int(l.split("-")[1].split(".")[0]) for l in open(sys.argv[3]).read().split()]

valid = [c["file"] for c in res["certificates"] if c["outcome"] != "invalid" and c["outcome"] != "untrusted"]
assert not valid, ("dispose accepts a changed byte", valid[:5])
assert res["summary"]["valid"] == 0 and res["summary"]["certificates"] == 2 * len(der) + \
    len(os.listdir(os.path.dirname(res["certificates"][-1]["file"]))) // 2, res["summary"]
# every changed document byte: the signature, not anything later, says no
for c in res["certificates"]:
    if "/j/" in c["file"]:
        assert c["reason"] == "signature does not match the document", c

# the DER fields, by walking the structure (single-byte tags, definite lengths)
def tlv(b, i):
    tag, n = b[i], b[i + 1]; i += 2
    if n & 0x80:
        k = n & 0x7f; n = int.from_bytes(b[i:i + k], "big"); i += k
    return tag, i, n            # value at [i, i+n)
fields = {}
def span(name, i, n): fields.update({o: name for o in range(i, i + n)})
_, ci, _ = tlv(der, 0)                       # ContentInfo
_, i, n = tlv(der, ci); i += n               # contentType
_, i, _ = tlv(der, i)                        # [0]
_, sd, sdn = tlv(der, i)                     # SignedData
t, i, n = tlv(der, sd); span("SignedData version", i, n); i += n
t, i, n = tlv(der, i); i += n                # digestAlgorithms
t, ei, en = tlv(der, i)                      # encapContentInfo
t, oi, on = tlv(der, ei); span("eContentType", oi, on)
i = ei + en
while der[i] in (0xa0, 0xa1):
    t, i, n = tlv(der, i); i += n
t, i, n = tlv(der, i)                        # signerInfos SET
t, si, sn = tlv(der, i)                      # SignerInfo
t, i, n = tlv(der, si); span("SignerInfo version", i, n); i += n
t, i, n = tlv(der, i); i += n                # sid
t, i, n = tlv(der, i); i += n                # digestAlgorithm
if der[i] == 0xa0:
    t, i, n = tlv(der, i); i += n            # signedAttrs
t, ai, an = tlv(der, i)                      # signatureAlgorithm
t, oi, on = tlv(der, ai); span("signatureAlgorithm", oi, on)

rule = {"SignedData version": "SignedData version is not 1",
        "SignerInfo version": "SignerInfo version is not 1",
        "eContentType": "content type is not data",
        "signatureAlgorithm": "its algorithm is not the one of the signer's key"}
byfile = {os.path.basename(c["file"]): c for c in res["certificates"]}
seen = {}
for o in acc:
    assert o in fields, ("the stock recipe accepts a change at offset %d, outside the known fields" % o)
    seen.setdefault(fields[o], []).append(o)
    c = byfile["01-%05d.json" % o]          # the copy the recipe accepted
    assert c["outcome"] == "invalid" and rule[fields[o]] in c["reason"], (o, c)
for k, v in seen.items():
    print("stock recipe accepts a change of %s (offsets %s); dispose verify rejects it: %s" %
          (k, ",".join(map(str, v)), rule[k]))
print("p7s offsets: %d, each changed two ways: all rejected by dispose verify" % len(der))
PY
ok "every p7s offset and a byte of every document line changed: dispose verify rejects all, in one batch"
