#!/bin/bash
# t_inventory_cli.sh - options, exit codes, output file, the terminal summary
. "$SRCDIR/tests/integration/lib.sh"

expect_exit 2 "$DISPOSE" inventory --bogus
expect_exit 2 "$DISPOSE" inventory --root
expect_exit 2 "$DISPOSE" inventory -o
expect_exit 2 "$DISPOSE" inventory /etc
expect_exit 2 "$DISPOSE" inventory --root ""
"$DISPOSE" inventory --bogus 2>"$T/err"
grep -qx 'dispose: --bogus: unknown option' "$T/err" || die "message: $(cat "$T/err")"
ok "bad options exit 2"

expect_exit 0 "$DISPOSE" inventory --help >"$T/help"
grep -q -- '--root DIR' "$T/help" || die "--help lacks --root"
ok "--help"

mkdir -p "$T/r/big" "$T/r/small"
head -c 300000 /dev/zero >"$T/r/big/f"
echo x >"$T/r/small/f"
# -o writes the document; stdout stays empty
out=$("$DISPOSE" inventory --data --root "$T/r" -o "$T/o.json")
[ -z "$out" ] || die "-o also printed to stdout"
python3 -m json.tool "$T/o.json" >/dev/null || die "-o document is not JSON"
[ "$(stat -c %a "$T/o.json")" = 600 ] || die "output mode $(stat -c %a "$T/o.json")"
ok "-o FILE"

# a symlink planted at FILE is not followed: the target stays untouched
echo precious >"$T/victim"
ln -s "$T/victim" "$T/planted.json"
"$DISPOSE" inventory --data --root "$T/r" -o "$T/planted.json" 2>"$T/planted.err"
rc=$?
[ $rc -eq 1 ] || die "-o symlink: exit $rc"
[ "$(cat "$T/victim")" = precious ] || die "-o wrote through a symlink"
grep -q "^dispose: $T/planted.json: is a symbolic link; not written through\$" "$T/planted.err" ||
	die "-o symlink message: $(cat "$T/planted.err")"
# a FIFO at FILE with no reader: an error, not a hang
mkfifo "$T/fifo.json"
timeout 20 "$DISPOSE" inventory --data --root "$T/r" -o "$T/fifo.json" 2>"$T/fifo.err"
rc=$?
[ $rc -eq 1 ] || die "-o fifo: exit $rc"
grep -q "^dispose: $T/fifo.json: " "$T/fifo.err" || die "-o fifo message: $(cat "$T/fifo.err")"
ok "-o does not follow a symlink or block on a FIFO"

# roots are made absolute and tidy
(cd "$T" && "$DISPOSE" inventory --data --root ./r/./small/ --json) >"$T/rel.json" || die "relative root"
grep -q '"roots":\["'"$T"'/r/small"\]' "$T/rel.json" || die "root not normalised: $(head -c 300 "$T/rel.json")"
grep -q '"path":"'"$T"'/r/small/f"' "$T/rel.json" || die "relative root paths"
ok "relative root"

# an unwritable output is an error
expect_exit 1 "$DISPOSE" inventory --data --root "$T/r" -o "$T/no/such/dir/x.json"

# a full disk is a write error, not a silent short document
if [ -w /dev/full ]; then
	"$DISPOSE" inventory --data --root "$T/r" -o /dev/full 2>"$T/full.err"
	rc=$?
	[ $rc -eq 1 ] || die "-o /dev/full: exit $rc"
	grep -q '^dispose: /dev/full: write error: No space left on device$' "$T/full.err" ||
		die "-o /dev/full message: $(cat "$T/full.err")"
	ok "write error reported"
fi

# not a terminal, no --json: the summary too (the document only with --json or -o)
"$DISPOSE" inventory --data --root "$T/r" >"$T/pipe.txt" || die "summary in a pipe failed"
grep -q '^data: ' "$T/pipe.txt" && ! grep -q '{' "$T/pipe.txt" ||
	die "pipe without --json: not the summary: $(head -5 "$T/pipe.txt")"
"$DISPOSE" inventory --data --root "$T/r" -o - | python3 -m json.tool >/dev/null ||
	die "-o - is not JSON"

# no category flag: all four sections
"$DISPOSE" inventory --root "$T/r" --json >"$T/all.json" || die "all categories failed"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("host", "software", "files", "keys", "devices", "errors", "counts"):
    assert k in d, k
assert all("sha256" not in f for f in d["files"])
' "$T/all.json" || die "default sections"
ok "default: all four categories"

# a terminal gets the summary
# the rest needs a terminal: without script(1) only the rest is skipped
command -v script >/dev/null || { echo "skip: terminal summary and names: no script(1)"; exit 0; }
script -qec "$DISPOSE inventory --data --keys --root $T/r" /dev/null >"$T/tty.txt" </dev/null ||
	die "summary run failed: $(cat "$T/tty.txt")"
tr -d '\r' <"$T/tty.txt" >"$T/tty2.txt"
grep -q '^data: *4 files' "$T/tty2.txt" || grep -q '^data: *2 files' "$T/tty2.txt" ||
	die "summary counts: $(cat "$T/tty2.txt")"
grep -q "largest trees:" "$T/tty2.txt" || die "no largest trees"
sed -n '/largest trees:/{n;p}' "$T/tty2.txt" | grep -q "$T/r/big\$" || die "biggest tree not first"
grep -q '^keys: *0 found' "$T/tty2.txt" || die "no keys line"
grep -q '{' "$T/tty2.txt" && die "summary printed JSON"
ok "terminal summary"

# names from the disk cannot drive the terminal or fake summary lines
# (--progress none: the bar's own escapes on the terminal are not at issue)
mkdir -p "$T/esc/"$'\e[31mRED\nerrors:    0'
echo x >"$T/esc/"$'\e[31mRED\nerrors:    0'/f
script -qec "$DISPOSE inventory --progress none --data --root $T/esc" /dev/null >"$T/esc.txt" </dev/null ||
	die "summary run failed: $(cat "$T/esc.txt")"
tr -d '\r' <"$T/esc.txt" >"$T/esc2.txt"
grep -q $'\e' "$T/esc2.txt" && die "summary printed an escape: $(cat -v "$T/esc2.txt")"
[ "$(grep -c '^errors:' "$T/esc2.txt")" -eq 1 ] || die "a file name faked a line: $(cat -v "$T/esc2.txt")"
grep -q "^ .*  $T/esc/?\[31mRED?errors:    0\$" "$T/esc2.txt" || die "sanitized name: $(cat -v "$T/esc2.txt")"
ok "control characters in names are shown as ?"
