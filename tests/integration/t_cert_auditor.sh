#!/bin/bash
# t_cert_auditor.sh - the README's Certificates walk-through and the auditor's
# stock openssl recipe, taken as README and dispose-certificate(5) print them,
# run on a real erase of a loop device: keygen, certify, the recipe accepts,
# dispose verify exit 0, show; then one flipped byte of the document or of its
# signature: the recipe and dispose verify both reject it.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 missing"
command -v openssl >/dev/null || skip "openssl missing"
command -v mandoc >/dev/null || skip "mandoc missing"
RECIPE='openssl cms -verify -binary -inform DER -in NAME.json.p7s -content NAME.json -CAfile CA.pem -purpose any'

# README: the Certificates section's commands (continuations joined, comments off)
python3 - "$SRCDIR/README.md" "$T/readme" <<'PY' || die "README: Certificates commands not found"
import re, sys
t = open(sys.argv[1]).read()
sec = t[t.index("\n## Certificates\n") + 1:]
sec = sec[:sec.index("\n## ")]
cmds, cur = [], ""
for line in sec.split("\n"):
    if not line.startswith("    "):
        continue
    l = (cur + " " + line.strip()) if cur else line[4:]
    cur = ""
    if l.rstrip().endswith("\\"):
        cur = l.rstrip()[:-1].rstrip()
        continue
    cmds.append(re.sub(r"\s+#\s.*$", "", l).strip())
walk = [c for c in cmds if c.startswith("dispose ")]
recipe = [c for c in cmds if c.startswith("openssl ")]
verbs = [c.split()[1] for c in walk]
for v in ("keygen", "certify", "verify", "show"):
    assert v in verbs, ("README walk-through lacks", v)
assert verbs.index("keygen") < verbs.index("certify") < verbs.index("verify"), verbs
assert len(recipe) == 1, recipe
open(sys.argv[2] + ".walk", "w").write("\n".join(walk) + "\n")
open(sys.argv[2] + ".recipe", "w").write(recipe[0] + "\n")
PY
[ "$(cat "$T/readme.recipe")" = "$RECIPE" ] || die "README recipe is not the stock one: $(cat "$T/readme.recipe")"

# dispose-certificate(5): the same recipe, as the page prints it
mandoc -Tascii "$SRCDIR/man/dispose-certificate.5" | col -b >"$T/man.txt" || die "mandoc"
python3 - "$T/man.txt" "$RECIPE" <<'PY' || die "dispose-certificate(5) does not print the stock recipe"
import re, sys
t = re.sub(r"[ \t]+", " ", re.sub(r"\\\n\s*", " ", open(sys.argv[1]).read()))
found = [l.strip() for l in t.split("\n") if "openssl cms -verify" in l]
assert found, "no recipe"
for f in found:
    f = re.sub(r"^\$ ", "", f)
    assert f == sys.argv[2], ("recipe differs", f)
PY
ok "README and dispose-certificate(5) print the stock recipe"

# a real erase; README's /root/ is this test's directory
dev=$(mkloop 8) || die "mkloop"
fill_marker "$dev" 8
"$DISPOSE" erase --yes --progress none --method random --verify last --run-dir "$T/run1" "$dev" \
	>"$T/erase.out" 2>&1 || { cat "$T/erase.out"; die "erase failed"; }
[ "$(count_marker "$dev")" = 0 ] || die "marker left"

# the walk-through, command by command, with its exit code checked
n=0
while IFS= read -r c; do
	n=$((n + 1))
	c=${c//\/root\//$T/}
	printf 'dispose() { "$DISPOSE" "$@"; }\n%s\n' "$c" >"$T/step$n.sh"
	bash "$T/step$n.sh" >"$T/step$n.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] || { cat "$T/step$n.out"; die "README step $n exit $rc: $c"; }
	echo "step $n ok: $c"
done <"$T/readme.walk"
[ -s "$T/srv1.json" ] && [ -s "$T/srv1.json.p7s" ] && [ -s "$T/signer.crt" ] ||
	die "the walk-through made no certificate"
grep -q '"kind": "certificate-of-sanitization"' "$T/srv1.json" || die "not a certificate of sanitization"
ok "README walk-through: keygen, certify, verify exit 0, show, on a real erase"

# recipe NAME CA: the README's recipe with NAME and CA.pem filled in
recipe() {
	local r
	r=$(sed "s|NAME\\.json|$1.json|g; s|CA\\.pem|$2|" "$T/readme.recipe")
	bash -c "$r" >"$T/recipe.out" 2>&1
}
recipe "$T/srv1" "$T/signer.crt" || { cat "$T/recipe.out"; die "the stock recipe rejects a valid certificate"; }
grep -q 'Verification successful' "$T/recipe.out" || die "recipe said: $(cat "$T/recipe.out")"
expect_exit 0 "$DISPOSE" verify --ca "$T/signer.crt" "$T/srv1.json" >"$T/v.out" 2>&1
ok "the stock recipe accepts what dispose verify accepts"

# another CA: both say no
"$DISPOSE" keygen -o "$T/other" >/dev/null 2>&1 || die "keygen other"
recipe "$T/srv1" "$T/other.crt" && die "recipe accepted a signer its CA file does not hold"
expect_exit 3 "$DISPOSE" verify --ca "$T/other.crt" "$T/srv1.json" >/dev/null 2>&1

# one flipped byte, of the document (a few places) and of the signature: both reject
size=$(stat -c %s "$T/srv1.json")
psize=$(stat -c %s "$T/srv1.json.p7s")
for where in 1 $((size / 3)) $((size / 2)) $((size - 3)) json-p7s:0 json-p7s:$((psize / 2)) json-p7s:$((psize - 2)); do
	rm -f "$T/x.json" "$T/x.json.p7s"
	cp "$T/srv1.json" "$T/x.json"
	cp "$T/srv1.json.p7s" "$T/x.json.p7s"
	case $where in
	json-p7s:*) f=$T/x.json.p7s off=${where#json-p7s:} ;;
	*) f=$T/x.json off=$where ;;
	esac
	python3 -c 'import sys; p,o=sys.argv[1],int(sys.argv[2]); b=bytearray(open(p,"rb").read()); b[o]^=0x01; open(p,"wb").write(b)' "$f" "$off"
	cmp -s "$T/x.json" "$T/srv1.json" && cmp -s "$T/x.json.p7s" "$T/srv1.json.p7s" && die "nothing flipped"
	recipe "$T/x" "$T/signer.crt" && die "the recipe accepted a flipped byte ($where)"
	"$DISPOSE" verify --ca "$T/signer.crt" "$T/x.json" >"$T/v.out" 2>&1
	rc=$?
	[ "$rc" = 3 ] || [ "$rc" = 2 ] || { cat "$T/v.out"; die "dispose verify exit $rc for a flipped byte ($where)"; }
	echo "flip $where: both reject (verify exit $rc)"
done
ok "one flipped byte of the document or of its signature: the recipe and dispose verify reject it"
