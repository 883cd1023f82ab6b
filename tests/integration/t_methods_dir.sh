#!/bin/bash
# t_methods_dir.sh - a user's method directory ($DISPOSE_METHODS_DIR) adds to
# the shipped methods and never replaces one: "-m zero" writes 0x00 even with
# a user zero.json that writes 0xFF (bytes read back from the device), the
# file is used only when named by path; a broken file is one line naming it
# while the rest are listed; "methods --json NAME" passes "methods --check";
# schema errors name the field and what was expected.
. "$SRCDIR/tests/integration/lib.sh"
umask 022	# a group-writable method file (umask 002) is refused as untrusted

shipped="afssi-5020 bsi-vsitr dod-5220-22m dod-5220-22m-ece gutmann
hmg-is5-baseline hmg-is5-enhanced nist-clear one random rcmp-tssit-ops-ii
schneier zero"
tech="auto crypto-luks format-crypto format-user-data sanitize-block sanitize-crypto sanitize-overwrite"
S=$(realpath "$SRCDIR/profiles/methods")
U=$T/methods
mkdir "$U"
cat >"$U/zero.json" <<'J'
{"schema": "dispose-method/1", "name": "zero", "variant": "custom FF",
 "source": "test", "passes": [{"type": "pattern", "pattern": "FF"}]}
J
cat >"$U/site-ff.json" <<'J'
{"schema": "dispose-method/1", "name": "site-ff", "variant": "FF then 92 49 24",
 "source": "test", "verify": "sample:12.5",
 "passes": [{"type": "pattern", "pattern": "FF", "note": "first"},
            {"type": "pattern", "pattern": "92 49 24"}]}
J
cat >"$U/broken.json" <<'J'
{"schema": "dispose-method/1", "name": "broken", "variant": "v", "source": "s",
 "verify": "fast", "passes": [{"type": "random"}]}
J
cat >"$U/Bad Name.json" <<'J'
{"schema": "dispose-method/1", "name": "x", "variant": "v", "source": "s",
 "passes": [{"type": "random"}]}
J
echo junk >"$U/README"
export DISPOSE_METHODS_DIR=$U

# 1. the listing: 20 shipped + the user's new one; each bad file one line (exit 1)
"$DISPOSE" methods >"$T/list" 2>"$T/err"
rc=$?
[ "$rc" -eq 1 ] || die "listing with bad files: exit $rc, want 1"
for m in $shipped $tech; do
	[ "$(awk -v m="$m" '$1 == m' "$T/list" | wc -l)" -eq 1 ] || die "listing lacks $m: $(cat "$T/list")"
	awk -v m="$m" '$1 == m && $5 == "shipped"' "$T/list" | grep -q . || die "$m not shipped"
done
[ "$(awk '$1 == "zero" { $1 = $1; print }' "$T/list")" = "zero overwrite 1 last shipped 0x00" ] ||
	die "zero row: $(grep '^zero' "$T/list")"
[ "$(awk '$1 == "site-ff" { $1 = $1; print }' "$T/list")" = "site-ff overwrite 2 sample:12.5 user 0xFF, 92 49 24" ] ||
	die "site-ff row: $(grep '^site-ff' "$T/list")"
[ "$(tail -n +2 "$T/list" | wc -l)" -eq 21 ] || die "listing: $(cat "$T/list")"
cat >"$T/err.want" <<EOF
dispose: $U/Bad Name.json: file name: "Bad Name" is not a method name, expected 1 to 63 of a-z, 0-9, '-', '_', '.', starting with a letter or digit, not ending in .json
dispose: $U/broken.json: verify: unknown mode "fast", expected one of none, last, all, sample, sample:P (P a decimal in (0,100])
dispose: $U/zero.json: refused: same name as the shipped method $S/zero.json; rename it, or give its path to use it
EOF
diff "$T/err.want" "$T/err" || die "listing: stderr differs"
ok "user directory adds to the shipped methods; bad files named one a line, exit 1"

# 2. the same as JSON (lsblk's shape), parsed by python3
"$DISPOSE" methods --json --columns +FILE >"$T/list.json" 2>/dev/null
[ $? -eq 1 ] || die "methods --json with bad files: not exit 1"
python3 - "$T/list.json" "$S" "$U" <<'PY' || die "JSON listing wrong"
import json, sys
doc = json.load(open(sys.argv[1]))
rows = {r["name"]: r for r in doc["methods"]}
assert len(rows) == len(doc["methods"]) == 21, sorted(rows)
assert rows["zero"]["origin"] == "shipped" and rows["zero"]["pass_list"] == "0x00", rows["zero"]
assert rows["zero"]["file"] == sys.argv[2] + "/zero.json", rows["zero"]
assert rows["site-ff"] == {"name": "site-ff", "technique": "overwrite", "passes": 2, "verify": "sample:12.5",
                           "origin": "user", "pass_list": "0xFF, 92 49 24",
                           "file": sys.argv[3] + "/site-ff.json"}, rows["site-ff"]
assert "broken" not in rows
PY
ok "JSON listing"

# 3. a name means the shipped method, the warning names both files
expect_exit 0 "$DISPOSE" methods zero >"$T/show" 2>"$T/err"
grep -q "^variant: *00$" "$T/show" || die "methods zero: not the shipped one: $(cat "$T/show")"
[ "$(cat "$T/err")" = "dispose: warning: $U/zero.json: not used: same name as the shipped method $S/zero.json; rename it, or give its path to use it" ] ||
	die "methods zero: warning: $(cat "$T/err")"
expect_exit 0 "$DISPOSE" methods "$U/zero.json" >"$T/show" 2>"$T/err"
grep -q "^variant: *custom FF$" "$T/show" || die "by path: $(cat "$T/show")"
[ -s "$T/err" ] && die "by path: warned: $(cat "$T/err")"
ok "a name means the shipped method; a path means the file"

# 4. methods --json NAME is a method file: --check takes it back, same passes
for m in $shipped $tech site-ff; do
	"$DISPOSE" methods --json "$m" >"$T/$m.json" 2>/dev/null || die "--json $m failed"
	expect_exit 0 "$DISPOSE" methods --check "$T/$m.json" >"$T/check" 2>"$T/err"
	grep -q "^$T/$m.json: ok ($m, " "$T/check" || die "$m: $(cat "$T/check" "$T/err")"
	"$DISPOSE" methods "$m" 2>/dev/null | grep -v -e '^file:' -e '^sha256:' >"$T/a"
	"$DISPOSE" methods "$T/$m.json" | grep -v -e '^file:' -e '^sha256:' >"$T/b"
	cmp -s "$T/a" "$T/b" || die "$m: round trip differs: $(diff "$T/a" "$T/b")"
done
python3 - "$T/site-ff.json" "$T/gutmann.json" <<'PY' || die "--json NAME document"
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"schema": "dispose-method/1", "name": "site-ff", "variant": "FF then 92 49 24",
             "source": "test", "verify": "sample:12.5",
             "passes": [{"type": "pattern", "pattern": "FF", "note": "first"},
                        {"type": "pattern", "pattern": "92 49 24"}]}, d
g = json.load(open(sys.argv[2]))
assert len(g["passes"]) == 35 and g["passes"][6] == {"type": "pattern", "pattern": "92 49 24",
                                                     "note": "target: (2,7)RLL MFM"}, g["passes"][6]
PY
expect_exit 0 "$DISPOSE" methods -q --check "$T/zero.json" zero >"$T/out" 2>/dev/null
[ -s "$T/out" ] && die "-q --check printed: $(cat "$T/out")"
ok "methods --json NAME passes methods --check (19 methods)"

# 5. schema errors name the field and the expected value (exit 2)
sed 's/"92 49 24"/"92 4g 24"/' "$U/site-ff.json" >"$T/badpat.json"
expect_exit 2 "$DISPOSE" methods --check "$T/badpat.json" >"$T/out" 2>"$T/err"
[ "$(cat "$T/err")" = "dispose: $T/badpat.json: passes[1].pattern: not a hex string, expected 1 to 64 hex byte pairs, such as \"92 49 24\"" ] ||
	die "pattern message: $(cat "$T/err")"
sed 's/"type": "random"/"type": "zeros"/' "$U/broken.json" | sed 's/"fast"/"last"/' >"$T/badtype.json"
expect_exit 2 "$DISPOSE" methods --check "$T/badtype.json" >"$T/out" 2>"$T/err"
[ "$(cat "$T/err")" = "dispose: $T/badtype.json: passes[0].type: unknown pass type \"zeros\", expected one of pattern, random, random-byte, complement" ] ||
	die "type message: $(cat "$T/err")"
expect_exit 2 "$DISPOSE" methods --check "$U/broken.json" >"$T/out" 2>"$T/err"
[ "$(cat "$T/err")" = "dispose: $U/broken.json: verify: unknown mode \"fast\", expected one of none, last, all, sample, sample:P (P a decimal in (0,100])" ] ||
	die "verify message: $(cat "$T/err")"
[ -s "$T/out" ] && die "bad file: wrote to stdout"
ok "schema errors name the field and the expected value"

# 6. -j is not --json any more (-J, as lsblk); a usage error
expect_exit 2 "$DISPOSE" methods -j >"$T/out" 2>"$T/err"
[ -s "$T/out" ] && die "-j: wrote to stdout"
head -1 "$T/err" | grep -qx "dispose: -j: unknown option" || die "-j: $(cat "$T/err")"
expect_exit 2 "$DISPOSE" methods --raw zero >"$T/out" 2>"$T/err"
[ -s "$T/out" ] && die "--raw NAME: wrote to stdout"
head -1 "$T/err" | grep -qx "dispose: --columns, --raw, --noheadings: for the listing only, not with a NAME or FILE" ||
	die "--raw NAME: $(cat "$T/err")"
expect_exit 2 "$DISPOSE" methods --check --json zero >"$T/out" 2>"$T/err"
head -1 "$T/err" | grep -qx "dispose: --check: cannot be combined with --json or the table options" ||
	die "--check --json: $(cat "$T/err")"
ok "-j and option mixes are usage errors"

# 7. erase: -m zero writes the shipped zero's bytes, -m FILE the file's
[ "$(id -u)" = 0 ] || { echo "skip: the erase part needs root"; exit 0; }
dev=$(mkloop 4) || die "mkloop"
all_bytes() {	# DEV HEX: every byte of DEV is 0xHEX (read past the page cache)
	dd if="$1" iflag=direct bs=1M status=none | python3 -c '
import sys
d = sys.stdin.buffer.read()
b = int(sys.argv[1], 16)
assert len(d) == 4 << 20 and d.count(b) == len(d), (len(d), d[:8].hex())' "$2"
}
head -c 4M /dev/urandom | dd of="$dev" oflag=direct bs=1M status=none
"$DISPOSE" erase --yes --progress none -m zero --run-dir "$T/run1" "$dev" >"$T/out" 2>"$T/err" ||
	die "erase -m zero failed: $(cat "$T/out" "$T/err")"
all_bytes "$dev" 00 || die "erase -m zero: the device does not hold 0x00 (the user's zero.json was used?)"
grep -qxF "dispose: warning: $U/zero.json: not used: same name as the shipped method $S/zero.json; rename it, or give its path to use it" "$T/err" ||
	die "erase -m zero: no warning naming both files: $(cat "$T/err")"
python3 - "$T/run1/events.jsonl" "$S/zero.json" <<'PY' || die "record: not the shipped zero"
import hashlib, json, sys
want = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
ms = [e["method"] for e in map(json.loads, open(sys.argv[1])) if "method" in e]
assert ms and all(m["sha256"] == want for m in ms), ms
# the requested category is recorded beside the technique
assert all(m["technique"] == "overwrite" and m["category"] == "clear" for m in ms), ms
PY
"$DISPOSE" erase --yes --progress none -m "$U/zero.json" --run-dir "$T/run2" "$dev" >"$T/out" 2>&1 ||
	die "erase -m FILE failed: $(cat "$T/out")"
all_bytes "$dev" ff || die "erase -m $U/zero.json: the device does not hold 0xFF"
ok "erase -m zero writes 0x00 (bytes on disk); -m PATH writes the file's 0xFF"

# 6. a user directory or method file another user could change (group/world
# writable, or not the caller's or root's) is not used: by name, erase refuses
# before writing (the device keeps its 0xFF), the listing names it in one line
W=$T/wmethods
mkdir "$W" && cp "$U/site-ff.json" "$W/"
chmod 0777 "$W"
DISPOSE_METHODS_DIR=$W "$DISPOSE" erase --yes --progress none -m site-ff --run-dir "$T/run6" \
	"$dev" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 2 ] || die "world-writable directory: erase exit $rc, want 2"
grep -qxF "dispose: $W: method directory: writable by other users (mode 0777), so not used; make it writable by its owner only" "$T/err" ||
	die "world-writable directory: $(cat "$T/err")"
all_bytes "$dev" ff || die "world-writable directory: the device was written"
DISPOSE_METHODS_DIR=$W "$DISPOSE" methods >"$T/list" 2>"$T/err"
[ $? -eq 1 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^zero ' "$T/list" &&
	! grep -q '^site-ff ' "$T/list" || die "world-writable directory: listing: $(cat "$T/err")"
chmod 0755 "$W" && chmod 0666 "$W/site-ff.json"
DISPOSE_METHODS_DIR=$W "$DISPOSE" erase --yes --progress none -m site-ff --run-dir "$T/run6" \
	"$dev" >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "site-ff.json: method file: writable by other users (mode 0666)" "$T/err" ||
	die "world-writable file: exit $rc: $(cat "$T/err")"
chmod 0644 "$W/site-ff.json" && chown nobody "$W/site-ff.json" 2>/dev/null && {
	DISPOSE_METHODS_DIR=$W "$DISPOSE" methods >"$T/list" 2>"$T/err"
	grep -q "site-ff.json: method file: owned by another user" "$T/err" ||
		die "another user's file: $(cat "$T/err")"
	chown "$(id -u)" "$W/site-ff.json"
}
all_bytes "$dev" ff || die "untrusted method: the device was written"
DISPOSE_METHODS_DIR=$W expect_exit 0 "$DISPOSE" methods site-ff >/dev/null
ok "a method directory or file others can change is not used (device untouched)"

# 7. a file named by path that carries a shipped method's name is shown as that
# file, not as the shipped method ("method: zero (1 pass: 0xFF)" read as the shipped zero)
"$DISPOSE" erase -n -m "$U/zero.json" "$dev" >"$T/out" 2>"$T/err" || die "dry run -m FILE: $(cat "$T/err")"
grep -qxF "method: zero from $U/zero.json, not the shipped zero (1 pass: 0xFF), verify: last" "$T/out" ||
	die "dry run -m FILE: $(head -2 "$T/out")"
"$DISPOSE" erase -n -m "$S/zero.json" "$dev" >"$T/out" 2>&1 &&
	grep -qxF "method: zero (1 pass: 0x00), verify: last" "$T/out" ||
	die "dry run -m SHIPPED-FILE: $(head -2 "$T/out")"
ok "a file with a shipped name, by path: shown as that file"

# 8. a method named NAME.json could not be used by name ("-m site.json" means a
# file in the current directory): the file site.json.json is refused, not listed
J=$T/jmethods
mkdir "$J" && sed 's/"site-ff"/"site.json"/' "$U/site-ff.json" >"$J/site.json.json"
DISPOSE_METHODS_DIR=$J "$DISPOSE" methods >"$T/list" 2>"$T/err"
[ $? -eq 1 ] || die "site.json.json: listing exit not 1"
! grep -q '^site\.json ' "$T/list" || die "site.json listed: $(cat "$T/list")"
grep -qF "$J/site.json.json: file name: \"site.json\" is not a method name" "$T/err" ||
	die "site.json.json: $(cat "$T/err")"
ok "a method named NAME.json is refused"

# 9. --check says "1 pass", not "1 passes"
"$DISPOSE" methods --check "$S/zero.json" "$S/dod-5220-22m.json" >"$T/check" ||
	die "--check shipped: exit $?"
grep -q "^$S/zero.json: ok (zero, 1 pass, sha256 [0-9a-f]\{64\})$" "$T/check" &&
	grep -q "^$S/dod-5220-22m.json: ok (dod-5220-22m, 3 passes, sha256 " "$T/check" ||
	die "--check plurals: $(cat "$T/check")"
ok "--check: 1 pass, 3 passes"
