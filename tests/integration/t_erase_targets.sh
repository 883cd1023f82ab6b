#!/bin/bash
# t_erase_targets.sh - targets that overlap each other or the run record:
# a tree holding a run directory that does not exist yet is refused (exit 4,
# the tree intact); a file or tree inside a tree also named is exit 2.
. "$(dirname "$0")/lib.sh"

mk() {
	rm -rf "$T/tree"
	mkdir -p "$T/tree/sub"
	fill_marker "$T/tree/a.bin" 1
	fill_marker "$T/tree/sub/b.bin" 1
}

# the run directory would be made inside the tree, and erased with it
mk
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/tree/run" "$T/tree" 2>"$T/err"
[ $? = 4 ] || die "run dir inside the tree: expected exit 4 ($(cat "$T/err"))"
grep -q "holds the run directory" "$T/err" || die "message: $(cat "$T/err")"
[ "$(count_marker "$T/tree/a.bin")" -gt 0 ] || die "tree written after a refusal"
[ ! -e "$T/tree/run" ] || die "run dir made for a refused target"
# the same, named relative and several levels deep
(cd "$T/tree/sub" && "$DISPOSE" erase --yes --method zero --progress none \
	--run-dir new/deeper/run .. 2>/dev/null)
[ $? = 4 ] || die "relative run dir inside the tree: expected exit 4"
[ "$(count_marker "$T/tree/sub/b.bin")" -gt 0 ] || die "tree written after a refusal"
ok "a tree that would hold the new run directory is refused"

# nested targets: erased twice at once otherwise
mk
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/r1" \
	"$T/tree" "$T/tree/sub/b.bin" 2>"$T/err"
[ $? = 2 ] || die "file inside a named tree: expected exit 2 ($(cat "$T/err"))"
grep -q "is inside" "$T/err" || die "message: $(cat "$T/err")"
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/r1" \
	"$T/tree/sub" "$T/tree/" 2>/dev/null
[ $? = 2 ] || die "tree inside a named tree: expected exit 2"
[ "$(count_marker "$T/tree/a.bin")" -gt 0 ] || die "written after a usage error"
[ ! -e "$T/r1" ] || die "run dir made after a usage error"
# siblings with a common name prefix are not nested
mkdir -p "$T/tree2"
fill_marker "$T/tree2/c.bin" 1
"$DISPOSE" erase --yes --method zero --progress none --run-dir "$T/r2" \
	"$T/tree" "$T/tree2" >/dev/null 2>"$T/err" || die "siblings: $(cat "$T/err")"
[ ! -e "$T/tree" ] && [ ! -e "$T/tree2" ] || die "siblings not erased"
ok "nested targets: exit 2; siblings erased"
