#!/bin/bash
# t_pdf_paginate.sh - a 64-target certificate (64 files erased in one run)
# paginates: the NIST form continues over as many pages as its 64 media
# blocks take, every target has its own page headed "Target N of 64: tN",
# the PDF has at least 66 pages, and every page carries the footer (id,
# SHA-256, "Page N of M", the recipe). Prints the time to render it (the
# release build's, and the sanitizer build's).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cert_lib.sh"
need_root
for t in pdftotext pdfinfo python3; do
	command -v $t >/dev/null || skip "$t missing (poppler-utils)"
done

pki_make || die "pki: $(cat "$P/openssl.log")"
mkdir -p "$T/f"
files=()
for i in $(seq 1 64); do
	printf 'file %d\n' "$i" >"$T/f/file-$i.txt"
	files+=("$T/f/file-$i.txt")
done
"$DISPOSE" erase --yes --progress none --method zero --verify last --run-dir "$T/r" "${files[@]}" \
	>"$T/erase.out" 2>&1 || { cat "$T/erase.out"; die "erase of 64 files failed"; }
certify_with ec "$T/r" "$T/c64.json" --operator "Ann Operator" || die "certify"
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["targets"]))' "$T/c64.json")
[ "$n" = 64 ] || die "the certificate has $n targets, not 64"

# render time: the release build (what a user runs), then the sanitizer build
t0=$(date +%s%N)
"${DISPOSE_REL:-$DISPOSE}" show --pdf -o "$T/c64.pdf" "$T/c64.json" >"$T/show.out" 2>&1 ||
	{ cat "$T/show.out"; die "show --pdf"; }
t1=$(date +%s%N)
"$DISPOSE" show --pdf -o "$T/c64-san.pdf" "$T/c64.json" >"$T/show.out" 2>&1 ||
	{ cat "$T/show.out"; die "show --pdf (sanitizer build)"; }
t2=$(date +%s%N)
echo "render time, 64 targets: $(( (t1 - t0) / 1000000 )) ms (release build)," \
	"$(( (t2 - t1) / 1000000 )) ms (sanitizer build)"
cmp -s "$T/c64.pdf" "$T/c64-san.pdf" || die "the two builds render different PDFs"

# killed while it renders: nothing is left in the directory (the PDF is an unnamed file until whole)
mkdir -p "$T/k"
"$DISPOSE" show --pdf -o "$T/k/c64.pdf" "$T/c64.json" >/dev/null 2>&1 &
kpid=$!
sleep 1
kill -KILL "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
left=$(ls -A "$T/k")
[ -z "$left" ] || { [ "$left" = c64.pdf ] && cmp -s "$T/k/c64.pdf" "$T/c64.pdf"; } ||
	die "killed while rendering, it left: $left"
ok "killed while rendering: ${left:-nothing} left"

pdfinfo "$T/c64.pdf" >"$T/info" || die "pdfinfo"
pages=$(sed -n 's/^Pages: *//p' "$T/info")
[ "$pages" -ge 66 ] || die "$pages pages for 64 targets"
sha=$(sha256sum "$T/c64.json" | cut -d' ' -f1)
pdftotext -layout -enc UTF-8 "$T/c64.pdf" "$T/c64.txt" || die "pdftotext"
pdftotext -raw -enc UTF-8 "$T/c64.pdf" "$T/c64.raw" || die "pdftotext -raw"
python3 - "$T/c64.txt" "$T/c64.json" "$sha" "$pages" "$T/c64.raw" <<'PY' || die "text"
import json, re, sys
txt, doc, sha, n = open(sys.argv[1], encoding="utf-8").read(), json.load(open(sys.argv[2])), \
    sys.argv[3], int(sys.argv[4])
flat = lambda s: re.sub(r"\s+", "", s)
pages = txt.split("\f")
if pages[-1].strip() == "":
    pages.pop()
assert len(pages) == n, (len(pages), n)
recipe = flat("openssl cms -verify -binary -inform DER -in c64.json.p7s -content c64.json "
              "-CAfile CA.pem -purpose any")
for i, p in enumerate(pages):
    f = flat(p)
    assert "Certificate" + doc["certificate_id"] in f, ("footer id", i + 1)
    assert "SHA-256" + sha in f, ("footer digest", i + 1)
    assert "Page%dof%d" % (i + 1, n) in f, ("page number", i + 1)
    assert recipe in f, ("recipe", i + 1)
targets = doc["targets"]
raw = open(sys.argv[5], encoding="utf-8").read().split("\f")
first = min(i for i, p in enumerate(pages) if "Target 1 of 64: " in p)
# the form: its table, a row per medium in order, continues over several pages
assert first >= 2, ("the form's 64 rows on one page?", first)
form = flat("\f".join(raw[:first]))
at = 0
for i, t in enumerate(targets):
    row = flat("%d. %s %s (%s)" % (i + 1, t["id"], t["path"], t["kind"]))
    at = form.find(row, at)
    assert at >= 0, ("medium missing or out of order", t["id"])
# the table's head on each page it continues on
for i in range(first):
    if "1. t1 " in raw[i] or "64. t64 " in raw[i] or i > 0:
        if re.search(r"\b\d+\. t\d+ ", raw[i]):
            assert flat("Make/Vendor, model, serial") in flat(raw[i]), ("table head", i + 1)
all_ = flat(txt)
# a page (or more) per target, each headed with its id, in order
heads = []
for i, p in enumerate(pages):
    m = re.search(r"Target (\d+) of 64: (\S+) ", p)
    if m:
        heads.append((int(m.group(1)), m.group(2), i))
assert [h[0] for h in heads] == list(range(1, 65)), [h[0] for h in heads]
assert [h[1] for h in heads] == [t["id"] for t in targets]
assert len({h[2] for h in heads}) == 64, "two targets on one page"
for t in targets:
    assert flat(t["path"]) in all_
print("ok: %d pages; the form on pages 1-%d; targets on pages %d-%d" % (
    n, first, heads[0][2] + 1, heads[-1][2] + 1))
PY
ok "64 targets: $pages pages"
