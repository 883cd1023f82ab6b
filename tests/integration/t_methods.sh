#!/bin/bash
# t_methods.sh - dispose methods: every shipped method loads, the listing
# shows all 20 with their technique, and every malformed file exits 2 naming
# the file (the user's method directory: t_methods_dir.sh).
. "$SRCDIR/tests/integration/lib.sh"
umask 022	# a group-writable method file (umask 002) is refused as untrusted

shipped="afssi-5020 bsi-vsitr dod-5220-22m dod-5220-22m-ece gutmann
hmg-is5-baseline hmg-is5-enhanced nist-clear one random rcmp-tssit-ops-ii
schneier zero"
tech="auto crypto-luks format-crypto format-user-data sanitize-block sanitize-crypto sanitize-overwrite"

# the binary finds the repository's profiles by itself (no env var)
unset DISPOSE_METHODS_DIR
out=$("$DISPOSE" methods) || die "dispose methods failed"
n=$(printf '%s\n' "$out" | tail -n +2 | wc -l)
[ "$n" -eq 20 ] || die "listing has $n methods, want 20"
for m in $shipped $tech; do
	printf '%s\n' "$out" | grep -q "^$m " || die "listing lacks $m"
	expect_exit 0 "$DISPOSE" methods "$m" >"$T/show" 2>"$T/err"
	grep -q "^variant: " "$T/show" || die "$m: no variant shown"
	grep -q "^source: " "$T/show" || die "$m: no source shown"
	expect_exit 0 "$DISPOSE" methods --check "$SRCDIR/profiles/methods/$m.json" >/dev/null
done
ok "20 shipped methods list, show and check"

# byte-exact pass lists in the listing (from reference/standards.md section 4)
row() { printf '%s\n' "$out" | awk -v m="$1" '$1 == m && $2 == "overwrite" && $5 == "shipped" { $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }'; }
[ "$(row dod-5220-22m)" = "0x00, 0xFF, random" ] || die "dod row: $(row dod-5220-22m)"
[ "$(row bsi-vsitr)" = "0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0xAA" ] || die "vsitr row"
[ "$(row schneier)" = "0xFF, 0x00, random x5" ] || die "schneier row"
[ "$(row rcmp-tssit-ops-ii)" = "0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, random" ] || die "ops-ii row"
printf '%s\n' "$out" | awk '$1 == "gutmann" && $3 == 35' | grep -q "random x4, 0x55, 0xAA, 92 49 24, 49 24 92, 24 92 49, 0x00, 0x11" ||
	die "gutmann row"
printf '%s\n' "$out" | awk '$1 == "nist-clear" && $4 == "all"' | grep -q . || die "nist-clear verify"
# the other techniques: no passes, no verification of ours, what they do in words
[ "$(printf '%s\n' "$out" | awk '$1 == "sanitize-crypto" { $1 = $1; print }')" = \
	"sanitize-crypto sanitize 0 - shipped the device's own sanitize: crypto" ] ||
	die "sanitize-crypto row: $(printf '%s\n' "$out" | grep '^sanitize-crypto')"
[ "$(printf '%s\n' "$out" | awk '$1 == "crypto-luks" { $1 = $1; print }')" = \
	"crypto-luks crypto-luks 0 - shipped LUKS keyslots and header copies destroyed" ] ||
	die "crypto-luks row"
[ "$(printf '%s\n' "$out" | awk '$2 == "overwrite"' | wc -l)" -eq 13 ] || die "overwrite rows"
"$DISPOSE" methods sanitize-block >"$T/show" || die "methods sanitize-block"
grep -qx "technique:   sanitize (action block): the device's own sanitize" "$T/show" &&
	grep -qx "category:    purge (asked for)" "$T/show" && ! grep -q "^passes:" "$T/show" &&
	! grep -q "^verify:" "$T/show" || die "sanitize-block shown: $(cat "$T/show")"
"$DISPOSE" methods zero >"$T/show" || die "methods zero"
grep -qx "technique:   overwrite" "$T/show" && grep -qx "category:    clear (asked for)" "$T/show" &&
	grep -q "^passes: *1$" "$T/show" || die "zero shown: $(cat "$T/show")"
ok "pass lists, techniques and default verification"

# JSON listing (lsblk's shape): 13 rows whose pass counts add up
"$DISPOSE" methods --json --columns +VARIANT,CATEGORY,SHA256 >"$T/list.json" || die "methods --json failed"
python3 - "$T/list.json" <<'PY' || die "JSON listing wrong"
import json, sys
l = json.load(open(sys.argv[1]))["methods"]
want = {"zero": 1, "one": 1, "random": 1, "nist-clear": 1, "dod-5220-22m": 3,
        "dod-5220-22m-ece": 7, "gutmann": 35, "bsi-vsitr": 7, "hmg-is5-baseline": 1,
        "hmg-is5-enhanced": 3, "rcmp-tssit-ops-ii": 7, "afssi-5020": 3, "schneier": 7,
        "auto": 0, "crypto-luks": 0, "sanitize-block": 0, "sanitize-crypto": 0,
        "sanitize-overwrite": 0, "format-user-data": 0, "format-crypto": 0}
got = {m["name"]: m["passes"] for m in l}
assert got == want, got
tech = {m["name"]: (m["technique"], m["category"]) for m in l if m["technique"] != "overwrite"}
assert tech == {"auto": ("auto", "clear"), "crypto-luks": ("crypto-luks", "purge"),
                "sanitize-block": ("sanitize", "purge"), "sanitize-crypto": ("sanitize", "purge"),
                "sanitize-overwrite": ("sanitize", "purge"),
                "format-user-data": ("sanitize", "clear"), "format-crypto": ("sanitize", "purge")}, tech
assert all(m["category"] == "clear" for m in l if m["technique"] == "overwrite"), l
g = [m for m in l if m["name"] == "gutmann"][0]
assert g["pass_list"].startswith("random x4, 0x55, 0xAA, 92 49 24, 49 24 92, 24 92 49, 0x00"), g
assert all(len(m["sha256"]) == 64 and m["variant"] and m["origin"] == "shipped" for m in l)
PY
# one method's JSON is its method document
"$DISPOSE" methods --json gutmann >"$T/g.json" || die "methods --json gutmann failed"
python3 - "$T/g.json" <<'PY' || die "JSON document wrong"
import json, sys
g = json.load(open(sys.argv[1]))
assert g["schema"] == "dispose-method/1" and g["name"] == "gutmann" and g["verify"] == "last"
assert [p.get("pattern") for p in g["passes"]][4:9] == ["55", "AA", "92 49 24", "49 24 92", "24 92 49"]
PY
# a /2 document keeps its technique, action and category
"$DISPOSE" methods --json sanitize-overwrite >"$T/s.json" || die "methods --json sanitize-overwrite"
python3 - "$T/s.json" <<'PY' || die "sanitize document wrong"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "dispose-method/2" and d["technique"] == "sanitize", d
assert d["action"] == "overwrite" and d["category"] == "purge", d
assert "passes" not in d and "verify" not in d, d
PY
expect_exit 0 "$DISPOSE" methods --check "$T/s.json" >"$T/check"
grep -q "^$T/s.json: ok (sanitize-overwrite, technique sanitize, sha256 [0-9a-f]\{64\})$" "$T/check" ||
	die "--check sanitize: $(cat "$T/check")"
ok "JSON listing and document"

# every malformed file: exit 2, one line naming the file, both modes
nbad=0
for f in "$SRCDIR"/tests/data/methods-bad/*.json; do
	for mode in --check ""; do
		"$DISPOSE" methods $mode "$f" >"$T/out" 2>"$T/err"
		rc=$?
		[ "$rc" -eq 2 ] || die "$f ($mode): exit $rc, want 2"
		grep -qF "dispose: $f: " "$T/err" || die "$f: message does not name the file: $(cat "$T/err")"
		[ "$(wc -l <"$T/err")" -eq 1 ] || die "$f: more than one line: $(cat "$T/err")"
		[ -s "$T/out" ] && die "$f: wrote to stdout"
	done
	nbad=$((nbad + 1))
done
[ "$nbad" -ge 40 ] || die "only $nbad bad files"
ok "$nbad malformed method files rejected with exit 2"

# generated at test time: too large, and a FIFO (must not hang)
python3 -c 'import sys; sys.stdout.write("{" + " " * 70000 + "}")' >"$T/big.json"
expect_exit 2 "$DISPOSE" methods --check "$T/big.json" 2>"$T/err"
grep -qF "$T/big.json: file: larger than 65536 bytes" "$T/err" || die "big: $(cat "$T/err")"
mkfifo "$T/fifo.json"
timeout 10 "$DISPOSE" methods --check "$T/fifo.json" 2>"$T/err"
[ $? -eq 2 ] || die "fifo: not rejected with exit 2"
grep -qF "$T/fifo.json: file: not a regular file" "$T/err" || die "fifo: $(cat "$T/err")"
ok "oversized file and FIFO rejected"

# unknown name, bad usage
expect_exit 2 "$DISPOSE" methods no-such-method 2>"$T/err"
grep -qx "dispose: no-such-method: unknown method" "$T/err" || die "unknown: $(cat "$T/err")"
expect_exit 2 "$DISPOSE" methods --check 2>/dev/null
expect_exit 2 "$DISPOSE" methods --bogus 2>/dev/null
expect_exit 2 "$DISPOSE" methods zero one 2>/dev/null
expect_exit 2 "$DISPOSE" methods --check zero "$SRCDIR/tests/data/methods-bad/bad-hex.json" >/dev/null 2>&1
ok "usage errors exit 2"

# a custom method directory adds methods; a shipped name is never shadowed
mkdir "$T/m"
cat >"$T/m/custom.json" <<'J'
{"schema": "dispose-method/1", "name": "custom", "variant": "custom 92 49 24",
 "source": "test", "verify": "sample:5",
 "passes": [{"type": "pattern", "pattern": "92 49 24"}, {"type": "complement"}]}
J
sed 's/"custom"/"zero"/' "$T/m/custom.json" >"$T/m/zero.json"
DISPOSE_METHODS_DIR=$T/m "$DISPOSE" methods custom >"$T/show" || die "custom"
grep -q "^variant: *custom 92 49 24" "$T/show" || die "custom not found"
grep -q "^verify: *sample:5 " "$T/show" || die "sample:5 not shown"
grep -q "complement (6D B6 DB)" "$T/show" || die "complement label: $(cat "$T/show")"
DISPOSE_METHODS_DIR=$T/m "$DISPOSE" methods zero >"$T/show" 2>/dev/null || die "zero"
grep -q "^variant: *00$" "$T/show" || die "user zero.json shadowed the shipped zero"
DISPOSE_METHODS_DIR=$T/m "$DISPOSE" methods gutmann >/dev/null || die "fallback to shipped"
ok "DISPOSE_METHODS_DIR adds methods, shadows none"

# the optimized binary agrees
if [ -n "${DISPOSE_REL:-}" ]; then
	cmp <("$DISPOSE_REL" methods) <(printf '%s\n' "$out") || die "release listing differs"
	ok "release binary lists the same"
fi
