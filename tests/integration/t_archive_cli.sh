#!/bin/bash
# t_archive_cli.sh - archive CLI edges: junk in status DIR, messages naming the thing at fault
. "$SRCDIR/tests/integration/lib.sh"
command -v zstd >/dev/null || skip "needs zstd"
D=$DISPOSE
mkdir -p "$T/src/d" "$T/out"
echo hello >"$T/src/d/f"
$D archive create --run-dir "$T/run" --root "$T/src" --retain-until 2001-01-01 \
	-o "$T/out/a.tar.zst" >/dev/null || die "create"

# status: junk next to the archives is reported, never opened blocking
mkfifo "$T/out/fifo.bag-info.txt"
echo garbage >"$T/out/junk.bag-info.txt"
mkdir "$T/out/dir.bag-info.txt"
touch "$T/out/other" "$T/out/fifo" "$T/out/junk" "$T/out/dir"
# a tag copy whose archive is gone is not listed as an archive
cp "$T/out/a.tar.zst.bag-info.txt" "$T/out/gone.tar.zst.bag-info.txt"
timeout 20 $D archive status "$T/out" >"$T/st.out" 2>"$T/st.err"
rc=$?
[ $rc -ne 124 ] || die "status hangs on a FIFO"
[ $rc -eq 1 ] || die "status with junk: exit $rc"
grep -q "a.tar.zst .*2001-01-01 .*no .*eligible$" "$T/st.out" || die "status row: $(cat "$T/st.out")"
for j in fifo junk dir; do
	grep -q "^dispose: $T/out/$j.bag-info.txt: unreadable or malformed$" "$T/st.err" ||
		die "status: $j not reported: $(cat "$T/st.err")"
done
grep -qx "dispose: $T/out/gone.tar.zst: missing (only its .bag-info.txt is left)" "$T/st.err" ||
	die "status: missing archive not reported: $(cat "$T/st.err")"
grep -q "gone.tar.zst" "$T/st.out" && die "status listed a missing archive: $(cat "$T/st.out")"
ok "status with junk files"

# extract: a -C DIR that is missing or not a directory is named, not the archive (invalid input)
$D archive extract "$T/out/a.tar.zst" -C "$T/nodir" 2>"$T/x.err"
rc=$?
[ $rc -eq 2 ] || die "extract -C missing: exit $rc"
grep -qx "dispose: $T/nodir: No such file or directory" "$T/x.err" ||
	die "extract -C missing message: $(cat "$T/x.err")"
$D archive extract "$T/out/a.tar.zst" -C "$T/out/other" 2>"$T/x.err"
rc=$?
[ $rc -eq 2 ] || die "extract -C file: exit $rc"
grep -qx "dispose: $T/out/other: not a directory" "$T/x.err" ||
	die "extract -C file message: $(cat "$T/x.err")"
ok "extract -C DIR errors name DIR"

# bad options: one dispose: line, exit 2
$D archive verify "$T/out/a.tar.zst" --bogus 2>"$T/o.err"
rc=$?
[ $rc -eq 2 ] || die "--bogus: exit $rc"
grep -qx "dispose: --bogus: unknown option" "$T/o.err" ||
	die "--bogus message: $(cat "$T/o.err")"
$D archive create --root 2>"$T/o.err"
rc=$?
[ $rc -eq 2 ] || die "--root without argument: exit $rc"
grep -qx "dispose: --root: needs an argument" "$T/o.err" ||
	die "--root message: $(cat "$T/o.err")"
ok "bad options"

# create: the reason is given once; a missing root is invalid input
$D archive create --run-dir "$T/run" --root "$T/nosuch" -o "$T/out/b.tar.zst" 2>"$T/c.err" >/dev/null
rc=$?
[ $rc -eq 2 ] || die "create missing root: exit $rc"
grep -qx "dispose: $T/nosuch: No such file or directory" "$T/c.err" ||
	die "create missing root message: $(cat "$T/c.err")"
[ ! -e "$T/out/b.tar.zst" ] || die "create left an output behind"
ok "create errors"

# status: control characters in names and labels are not sent to the terminal
mkdir "$T/esc"
printf 'Retain-Until: 2999-01-01\nRecords-Series: S\033[31mRED\nLegal-Hold: false\n' \
	>"$T/esc/e"$'\e[2J'".tar.zst.bag-info.txt"
touch "$T/esc/e"$'\e[2J'".tar.zst"
$D archive status "$T/esc" >"$T/esc.out" 2>&1 || die "status of a crafted bag-info: $(cat -v "$T/esc.out")"
grep -q $'\e' "$T/esc.out" && die "status printed an escape: $(cat -v "$T/esc.out")"
grep -q "e?\[2J.tar.zst .*S?\[31mRED .*2999-01-01 .*retained$" "$T/esc.out" ||
	die "status row: $(cat -v "$T/esc.out")"
ok "status shows control characters as ?"

# verify --run-dir checks against an existing record: a mistyped DIR is an error, not a new run
$D archive verify "$T/out/a.tar.zst" --run-dir "$T/typo" 2>"$T/v.err"
rc=$?
[ $rc -eq 2 ] || die "verify --run-dir missing: exit $rc"
[ ! -e "$T/typo" ] || die "verify created a run record"
grep -qx "dispose: $T/typo: no run record there" "$T/v.err" ||
	die "verify --run-dir message: $(cat "$T/v.err")"
expect_exit 0 $D archive verify "$T/out/a.tar.zst" --run-dir "$T/run" >/dev/null
ok "verify --run-dir must exist"

# the printed recovery recipe works as pasted, whatever the name holds
if command -v bsdtar >/dev/null; then
	mkdir -p "$T/q"
	(cd "$T/q" && $D archive create --run-dir "$T/run-q" --root "$T/src" -o "it's a b.tar.zst") \
		>"$T/recipe.out" || die "create with a quote in the name"
	sed -n '/^Recovery with stock tools:/,$p' "$T/recipe.out" | tail -n +2 >"$T/recipe.sh"
	(cd "$T/q" && bash -e "$T/recipe.sh") >"$T/recipe.log" 2>&1 ||
		die "recipe failed: $(cat "$T/recipe.sh" "$T/recipe.log")"
	[ "$(cat "$T/q/it's a b/data$T/src/d/f")" = hello ] || die "recipe did not restore the payload"
	ok "recovery recipe is shell-safe"
fi

# an option the subcommand does not take is an error, not silently ignored
$D archive verify "$T/out/a.tar.zst" -C "$T" 2>"$T/o.err"
rc=$?
[ $rc -eq 2 ] || die "verify -C: exit $rc"
grep -qx "dispose: -C: not an option of archive verify" "$T/o.err" ||
	die "verify -C message: $(cat "$T/o.err")"
expect_exit 2 $D archive status "$T/out" --legal-hold
expect_exit 2 $D archive extract "$T/out/a.tar.zst" -C "$T/x9" --run-dir "$T/run"
[ ! -e "$T/x9" ] || die "extract ran despite a bad option"
ok "options of other subcommands refused"

# a FIFO given as the archive is refused at once, never read (it would block)
mkfifo "$T/fifo.tar.zst"
timeout 10 $D archive verify "$T/fifo.tar.zst" 2>"$T/f.err"
rc=$?
[ $rc -eq 2 ] || die "verify FIFO: exit $rc (124 = it blocked)"
grep -q "fifo.tar.zst: not an archive of ours: not a regular file" "$T/f.err" ||
	die "verify FIFO message: $(cat "$T/f.err")"
mkdir -p "$T/xf"
timeout 10 $D archive extract "$T/fifo.tar.zst" -C "$T/xf" 2>/dev/null
rc=$?
[ $rc -eq 2 ] || die "extract FIFO: exit $rc (124 = it blocked)"
[ -z "$(ls -A "$T/xf")" ] || die "extract of a FIFO wrote something"
ok "a FIFO as archive is refused without blocking"
