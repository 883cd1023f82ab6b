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
touch "$T/out/other"
timeout 20 $D archive status "$T/out" >"$T/st.out" 2>"$T/st.err"
rc=$?
[ $rc -ne 124 ] || die "status hangs on a FIFO"
[ $rc -eq 1 ] || die "status with junk: exit $rc"
grep -q "a.tar.zst .*2001-01-01 .*no .*eligible$" "$T/st.out" || die "status row: $(cat "$T/st.out")"
for j in fifo junk dir; do
	grep -q "^dispose: $T/out/$j.bag-info.txt: unreadable or malformed$" "$T/st.err" ||
		die "status: $j not reported: $(cat "$T/st.err")"
done
ok "status with junk files"
