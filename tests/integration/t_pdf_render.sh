#!/bin/bash
# t_pdf_render.sh - dispose show --pdf on real certificates (an erased loop
# device, certified with a test key): the PDF's text (pdftotext) holds the
# id, the SHA-256 of the JSON, the title, each medium's fields and the
# attested names, and on EVERY page the id, the digest, "Page N of M" and
# the openssl recipe; the metadata names id and digest; pdftoppm renders it
# and zbarimg reads the QR code of the first and the last page back to
# exactly "dispose-certificate id=<id> sha256=<sha256sum of the JSON>". The
# same bytes render the same PDF. A failure report is titled and bannered
# as one on every page and never says "Certificate of Sanitization".
# Refused: a tampered JSON (exit 3, no PDF, no temporary file left), a
# missing signature (exit 2); an existing output (or a symlink there) is
# never replaced (exit 1, "NAME.pdf: exists").
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
for t in pdftotext pdftoppm pdfinfo zbarimg python3; do
	command -v $t >/dev/null || skip "$t missing (poppler-utils, zbar-tools)"
done

pki_make || die "pki: $(cat "$P/openssl.log")"
cert_erase_runs || die "erase runs"
certify_with ec "$T/r-ok" "$T/ok.json" --operator "Ann Operator" --organization "Example Org" \
	--location "Room 4" --verifier "Vic Verifier" --validator "Val Validator" \
	--media-destination recycling --classification secret || die "certify ok"
certify_with ec "$T/r-fail" "$T/fail.json" --operator "Ann Operator" || die "certify fail"
mkdir -p "$T/out"

# pdf_ok PDF JSON KIND: the checks every rendering must pass (text, pages, metadata, QR)
pdf_ok() {
	local pdf=$1 json=$2 sha id n
	sha=$(sha256sum "$json" | cut -d' ' -f1)
	id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certificate_id"])' "$json")
	[ -n "$id" ] || die "$json: no id"
	pdfinfo "$pdf" >"$pdf.info" 2>&1 || die "$pdf: pdfinfo: $(cat "$pdf.info")"
	grep -q "^Page size: *595.28 x 841.89 pts (A4)" "$pdf.info" || die "$pdf: not A4: $(cat "$pdf.info")"
	grep -qx "Subject: *$id sha256:$sha" "$pdf.info" || die "$pdf: subject: $(cat "$pdf.info")"
	grep -qx "Keywords: *dispose-pdf/1 id=$id sha256=$sha" "$pdf.info" ||
		die "$pdf: keywords: $(cat "$pdf.info")"
	grep -q "^Creator: *dispose " "$pdf.info" || die "$pdf: creator"
	n=$(sed -n 's/^Pages: *//p' "$pdf.info")
	pdftotext -layout -enc UTF-8 "$pdf" "$pdf.txt" || die "$pdf: pdftotext"
	# the form's table in drawing order: each cell's lines together
	pdftotext -raw -enc UTF-8 "$pdf" "$pdf.raw" || die "$pdf: pdftotext -raw"
	python3 - "$pdf.txt" "$json" "$sha" "$n" "$(basename "$json")" "$pdf.raw" <<'PY' || die "$pdf: text"
import json, re, sys
txt, doc, sha, n, name = open(sys.argv[1], encoding="utf-8").read(), \
    json.load(open(sys.argv[2])), sys.argv[3], int(sys.argv[4]), sys.argv[5]
raw = open(sys.argv[6], encoding="utf-8").read().split("\f")
pages = txt.split("\f")
if pages and pages[-1].strip() == "":
    pages = pages[:-1]
assert len(pages) == n, (len(pages), n)
# a redacted copy shows each token short: "redacted (sha256 1a2b3c4d…)"
short = lambda s: re.sub(r"redacted:([0-9a-f]{8})[0-9a-f]{56}",
                         lambda m: "redacted (sha256 %s\u2026)" % m.group(1), s)
# line breaks and column gaps aside
flat = lambda s: re.sub(r"\s+", "", short(s) if "redacted" in doc else s)
recipe = ("openssl cms -verify -binary -inform DER -in %s.p7s -content %s -CAfile CA.pem "
          "-purpose any" % (name, name))
for i, p in enumerate(pages):
    f = flat(p)
    assert "Certificate" + doc["certificate_id"] in f, ("no id on page", i + 1)
    assert "SHA-256" + sha in f, ("no digest on page", i + 1)
    assert "Page%dof%d" % (i + 1, n) in f, ("no page number", i + 1)
    assert flat(recipe) in f, ("no recipe on page", i + 1, f[-400:])
    # the recipe is one line or breaks between words (a copy keeps every '-')
    assert re.search(re.sub(r"\\ ", r"\\s+", re.escape(recipe)), p), ("recipe broken", i + 1)
all_ = flat(txt)
# page 1 is the form: what it is, the attested people, each medium's NIST fields
p1 = flat(pages[0])
if doc["kind"] == "certificate-of-sanitization":
    assert flat("Certificate of Sanitization The media sanitization record") in p1, p1[:200]
else:
    assert "Certificate of Sanitization" not in txt and "CertificateofSanitization" not in all_
    assert flat("Sanitization Failure Report") in p1
    banner = "NOT a certificate of sanitization: %d of %d targets failed" % (
        doc["summary"]["failed"], doc["summary"]["targets"])
    for i, p in enumerate(pages):
        assert flat(banner) in flat(p), ("no failure banner on page", i + 1)
        assert flat("Sanitization Failure Report") in flat(p), ("no title on page", i + 1)
for k in ("certificate_id", "created", "kind", "notice"):
    assert flat(doc[k]) in all_, k
att = doc["attested"]
assert flat("Name " + att["sanitization"]["name"]) in p1
for k in ("sanitization", "verification", "validation"):
    v = att[k]["name"]
    if v:
        assert flat(v) in all_, k
sig = [l for l in txt.split("\n") if re.fullmatch(r"\s*Name\s+Title\s+Date\s+Signature\s*", l)]
assert len(sig) == 3, ("the empty signature lines", len(sig))
assert flat("I attest that the information provided on this statement is accurate") in all_
targets = doc["targets"]
first = [i for i, p in enumerate(pages) if flat("Target 1 of %d: " % len(targets)) in flat(p)]
assert first or not targets
form = flat("\f".join(raw[:first[0]] if first else raw))
nr = lambda v: "not recorded" if v is None else v
for i, t in enumerate(targets):
    nist = t["nist"]
    # the form's row of this medium: its cells
    for v in ("%d. %s %s (%s)" % (i + 1, t["id"], t["path"], t["kind"]),
              nist["media_type"], "Source: %s" % nr(nist["media_source"]),
              "Property number: %s" % nr(nist["property_number"]),
              "Make: %s" % nr(nist["manufacturer"]), "Model: %s" % nr(nist["model"]),
              "Serial: %s" % nr(nist["serial"]),
              "%s %s %s" % (nist["sanitization"], nist["technique"], nist["tool"]),
              t["category_achieved"],
              "%s %s Result: %s" % (nist["verification_method"], t["verification"]["text"],
                                    t["result"]),
              "Destination: %s" % nr(nist["destination"]),
              "Classification: %s" % nr(nist["classification_pre"])):
        assert flat(v) in form, ("form row", i + 1, v)
    # its own page: the details, every caveat in words
    tp = [flat(p) for p in pages if flat("Target %d of %d: %s" % (i + 1, len(targets), t["id"])) in flat(p)]
    assert tp, ("no page for target", t["id"])
    tx = " ".join(tp)
    for c in t["caveats"]:
        assert flat(c) in tx, c
    assert flat("Bytes written %d" % t["bytes_written"]) in tx
    assert flat("Result %s" % t["result"]) in tx
    for ps in t["passes"]:
        if ps["pattern"].get("key"):
            assert ps["pattern"]["key"] in tx, "stream key"
arch = doc["backup"]["archives"]
assert flat("Archives (data backed up before the erase)") in all_
for a in arch:
    assert a["sha256"] in all_
PY
	# the QR code of the first and the last page, read back from pixels
	pdftoppm -r 150 -png -f 1 -l 1 "$pdf" "$pdf.first" || die "$pdf: pdftoppm"
	pdftoppm -r 150 -png -f "$n" -l "$n" "$pdf" "$pdf.last" || die "$pdf: pdftoppm"
	for png in "$pdf".first*.png "$pdf".last*.png; do
		[ -s "$png" ] || die "$pdf: no PNG"
		q=$(zbarimg -q --raw "$png" 2>/dev/null)
		[ "$q" = "dispose-certificate id=$id sha256=$sha" ] ||
			die "$png: QR code says '$q', not 'dispose-certificate id=$id sha256=$sha'"
	done
	ok "$pdf: $n pages, text, metadata and QR code ($id, $sha)"
}

# a certificate of sanitization
expect_exit 0 "$DISPOSE" show --pdf -o "$T/out/ok.pdf" "$T/ok.json" >"$T/show.out" 2>"$T/show.err" ||
	die "show --pdf: $(cat "$T/show.err")"
[ -s "$T/show.err" ] && die "show --pdf wrote to stderr: $(cat "$T/show.err")"
grep -qx "$T/out/ok.pdf: written from $T/ok.json" "$T/show.out" || die "show --pdf said: $(cat "$T/show.out")"
head -c 5 "$T/out/ok.pdf" | grep -q '^%PDF-' || die "ok.pdf is not a PDF"
[ "$(stat -c %a "$T/out/ok.pdf")" = 644 ] || die "ok.pdf mode $(stat -c %a "$T/out/ok.pdf")"
pdf_ok "$T/out/ok.pdf" "$T/ok.json"
pdftotext -enc UTF-8 "$T/out/ok.pdf" - | grep -q "Ann Operator" || die "operator not in the PDF"
# the same bytes, the same PDF
expect_exit 0 "$DISPOSE_REL" show --pdf -o "$T/out/ok2.pdf" "$T/ok.json" >/dev/null 2>&1 || die "second render"
cmp -s "$T/out/ok.pdf" "$T/out/ok2.pdf" || die "two renderings of the same certificate differ"
ok "deterministic"

# a failure report: its title and banner on every page, never "Certificate of Sanitization"
expect_exit 0 "$DISPOSE" show --pdf -o "$T/out/fail.pdf" "$T/fail.json" >"$T/show.out" 2>&1 ||
	die "show --pdf (failure report): $(cat "$T/show.out")"
pdf_ok "$T/out/fail.pdf" "$T/fail.json"

# a redacted copy: bannered on every page, tokens shown short, no plain host, path or serial
certify_with ec "$T/r-ok" "$T/full.json" --operator "Ann Operator" --redact serials,host,paths ||
	die "certify --redact"
[ -s "$T/full.redacted.json" ] || die "no redacted copy: $(cat "$T/full.json.certify.out")"
expect_exit 0 "$DISPOSE" show --pdf -o "$T/out/red.pdf" "$T/full.redacted.json" >"$T/show.out" 2>&1 ||
	die "show --pdf (redacted copy): $(cat "$T/show.out")"
pdf_ok "$T/out/red.pdf" "$T/full.redacted.json"
python3 - "$T/out/red.pdf.txt" "$T/full.json" "$T/full.redacted.json" <<'PY' || die "redacted copy's text"
import json, re, sys
txt = open(sys.argv[1], encoding="utf-8").read()
full, copy = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
flat = lambda s: re.sub(r"\s+", "", s)
pages = [p for p in txt.split("\f") if p.strip()]
banner = flat("Redacted copy of certificate %s: serials, host, paths replaced by salted SHA-256"
              % full["certificate_id"])
for i, p in enumerate(pages):
    assert banner in flat(p), ("no redaction banner on page", i + 1)
tok = copy["host"]["hostname"]
assert tok.startswith("redacted:") and len(tok) == 9 + 64, tok
assert flat("Hostname redacted (sha256 %s\u2026)" % tok[9:17]) in flat(txt), "hostname token"
assert "redacted:" not in txt, "a token shown in full"
secrets = [full["host"]["hostname"], full["host"]["machine_id"]]
for t in full["targets"]:
    secrets += [t["path"], t["identity"].get("backing_file")]
for r in full["runs"]:
    secrets.append(r["run_dir"])
for s in filter(None, secrets):
    assert flat(s) not in flat(txt), ("plain value in the redacted PDF", s)
PY
ok "redacted copy: banner, tokens, no plain host or path"

# refused: a tampered document (a byte of the JSON changed, the old signature kept)
sed 's/"Ann Operator"/"Ann Operatos"/' "$T/ok.json" >"$T/tamp.json"
cp "$T/ok.json.p7s" "$T/tamp.json.p7s"
cmp -s "$T/ok.json" "$T/tamp.json" && die "sed did not change the document"
expect_exit 3 "$DISPOSE" show --pdf -o "$T/out/tamp.pdf" "$T/tamp.json" >"$T/tamp.out" 2>"$T/tamp.err" ||
	die "tampered: $(cat "$T/tamp.err")"
[ -e "$T/out/tamp.pdf" ] && die "a PDF of a tampered certificate was written"
[ "$(wc -l <"$T/tamp.err")" = 1 ] && grep -q "^dispose: .*tamp.json" "$T/tamp.err" ||
	die "tampered: not one line naming the file: $(cat "$T/tamp.err")"
# a signature made for another document
cp "$T/fail.json.p7s" "$T/tamp.json.p7s"
expect_exit 3 "$DISPOSE" show --pdf -o "$T/out/tamp.pdf" "$T/tamp.json" >/dev/null 2>&1 || die "other signature"
[ -e "$T/out/tamp.pdf" ] && die "a PDF under another document's signature was written"
# no signature at all: unreadable input, exit 2
cp "$T/ok.json" "$T/nosig.json"
expect_exit 2 "$DISPOSE" show --pdf -o "$T/out/nosig.pdf" "$T/nosig.json" >/dev/null 2>"$T/nosig.err" ||
	die "no signature: $(cat "$T/nosig.err")"
grep -q "nosig.json.p7s" "$T/nosig.err" || die "no signature: $(cat "$T/nosig.err")"
[ -e "$T/out/nosig.pdf" ] && die "a PDF without a signature was written"
ls -A "$T/out" | grep -v '^\(ok\|ok2\|fail\|red\)\.pdf' | grep -v '\.\(txt\|info\|png\)$' |
	grep . && die "left behind in the output directory"
ok "tampered (exit 3), foreign signature (exit 3), no signature (exit 2): nothing written"

# an existing output is never replaced, a symlink there never followed
sum=$(sha256sum <"$T/out/fail.pdf")
expect_exit 1 "$DISPOSE" show --pdf -o "$T/out/fail.pdf" "$T/ok.json" >/dev/null 2>"$T/ex.err" ||
	die "existing output: $(cat "$T/ex.err")"
grep -qx "dispose: $T/out/fail.pdf: exists" "$T/ex.err" || die "existing: $(cat "$T/ex.err")"
[ "$(sha256sum <"$T/out/fail.pdf")" = "$sum" ] || die "an existing PDF was replaced"
echo keep >"$T/victim2"
ln -s "$T/victim2" "$T/out/link.pdf"
expect_exit 1 "$DISPOSE" show --pdf -o "$T/out/link.pdf" "$T/ok.json" >/dev/null 2>&1 || die "symlink output"
[ "$(cat "$T/victim2")" = keep ] && [ -L "$T/out/link.pdf" ] || die "the symlink's target was written"
ok "existing output and symlink kept"

# usage
expect_exit 2 "$DISPOSE" show --pdf "$T/ok.json" >/dev/null 2>&1 || die "--pdf without -o"
expect_exit 2 "$DISPOSE" show -o "$T/out/x.pdf" "$T/ok.json" >/dev/null 2>&1 || die "-o without --pdf"
expect_exit 2 "$DISPOSE" show --pdf --json -o "$T/out/x.pdf" "$T/ok.json" >/dev/null 2>&1 || die "--pdf --json"
[ -e "$T/out/x.pdf" ] && die "usage error wrote a PDF"
ok "usage errors"
