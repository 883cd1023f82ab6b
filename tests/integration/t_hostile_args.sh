#!/bin/bash
# t_hostile_args.sh - hostile arguments to every command (#11 review): a path
# with a newline or an escape sequence in an error is one line and drives no
# terminal; a FIFO given as a key, certificate, recipient or ciphertext is
# refused at once (exit 2, one line), never waited on.
. "$SRCDIR/tests/integration/lib.sh"
command -v openssl >/dev/null || skip "needs openssl"
D=$DISPOSE
S=$T/src K=$T/keys O=$T/out
mkdir -p "$S" "$K" "$O"
printf 'kept\n' > "$S/a.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/rec.key" \
	-out "$K/rec.crt" -days 30 -subj /CN=records 2>/dev/null || die "cert"
A=$O/e.tar.zst.enc
$D archive create --run-dir "$T/r1" --root "$S" --recipient "$K/rec.crt" -o "$A" >/dev/null ||
	die "create"

# run CMD...: exit code in $rc (124: it hung), stdout in $T/o, stderr in $T/e
run() { timeout 30 "$@" >"$T/o" 2>"$T/e" </dev/null; rc=$?; }
# one_line CODE: exit CODE, one stderr line "dispose: ...", no control byte, empty stdout
one_line() {
	[ "$rc" -ne 124 ] || die "$1: hung (killed after 30 s)"
	[ "$rc" -eq "$1" ] || die "exit $rc, want $1: $(cat -v "$T/e")"
	[ "$(wc -l <"$T/e")" -eq 1 ] || die "want one stderr line, got: $(cat -v "$T/e")"
	grep -q '^dispose: ' "$T/e" || die "style: $(cat -v "$T/e")"
	! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$T/e" || die "control byte: $(cat -v "$T/e")"
	[ ! -s "$T/o" ] || die "stdout not empty: $(cat "$T/o")"
}

# 1. a name with a newline or ESC in the CLI's own errors (missing inputs, bad names)
NL=$T/$'x\ny' ESC=$T/$'x\e[2Jy'
for n in "$NL" "$ESC"; do
	run $D archive verify "$n";			one_line 2
	run $D archive extract "$n" -C "$O";		one_line 2
	run $D archive extract "$A" -C "$n" --key "$K/rec.key" --cert "$K/rec.crt"; one_line 2
	run $D archive status "$n";			one_line 2
	run $D archive create --root "$n" --run-dir "$T/r2" -o "$O/n.tar.zst"; one_line 2
	run $D archive create --root "$S" --run-dir "$T/r2" -o "$n";	one_line 2
	run $D inventory -r "$n";			one_line 2
	run $D methods --check "$n.json";		one_line 2
done
grep -qF 'x\x1b[2Jy' "$T/e" || die "ESC not shown as \\x1b: $(cat -v "$T/e")"
ok "a newline or ESC in a path: one line, no control byte"

# 2. a method file whose name holds an escape sequence: its line shows no raw ESC
M=$T/methods
mkdir "$M"
cp "$SRCDIR/profiles/methods/one.json" "$M/$(printf 'x\e[31m').json"
DISPOSE_METHODS_DIR=$M run $D methods
[ $rc -eq 1 ] || die "methods with a bad file: exit $rc"
[ "$(wc -l <"$T/e")" -eq 1 ] || die "methods: $(cat -v "$T/e")"
! grep -q $'\e' "$T/e" || die "methods: raw ESC: $(cat -v "$T/e")"
grep -q '^zero ' "$T/o" || die "methods: the rest not listed"
ok "a method file name with ESC: no raw escape"

# 3. a FIFO as key, certificate, recipient or ciphertext: refused at once, one line
mkfifo "$T/fifo"
run $D archive verify "$A" --key "$T/fifo" --cert "$K/rec.crt";	one_line 2
run $D archive verify "$A" --key "$K/rec.key" --cert "$T/fifo";	one_line 2
mkdir "$T/x"
run $D archive extract "$A" -C "$T/x" --key "$T/fifo" --cert "$K/rec.crt";	one_line 2
run $D archive create --root "$S" --run-dir "$T/r3" --recipient "$T/fifo" -o "$O/f.tar.zst.enc"
one_line 2
[ ! -e "$O/f.tar.zst.enc" ] && [ ! -e "$T/r3" ] || die "a FIFO recipient left something"
mkfifo "$O/g.tar.zst.enc" && cp "$A.cms" "$O/g.tar.zst.enc.cms"
run $D archive verify "$O/g.tar.zst.enc" --key "$K/rec.key" --cert "$K/rec.crt"
[ "$rc" -ne 124 ] || die "FIFO ciphertext: hung"
[ "$rc" -ne 0 ] && [ "$(wc -l <"$T/e")" -eq 1 ] || die "FIFO ciphertext: exit $rc: $(cat "$T/e")"
run $D archive extract "$O/g.tar.zst.enc" -C "$T/x" --key "$K/rec.key" --cert "$K/rec.crt"
[ "$rc" -ne 124 ] || die "FIFO ciphertext: extract hung"
[ -z "$(ls -A "$T/x")" ] || die "extract wrote something"
ok "a FIFO as key, certificate, recipient or ciphertext: refused, not waited on"

# 4. an encrypted create where another archive's volume NAME.002 (+ .cms) is
# already there: refused before anything is written (it used to fail after
# the first volume, in two lines), the old files untouched
printf 'old volume\n' > "$O/v.tar.zst.enc.002"
run $D archive create --root "$S" --run-dir "$T/r4" --recipient "$K/rec.crt" -o "$O/v.tar.zst.enc"
[ "$rc" -eq 1 ] || die "stale volume: exit $rc: $(cat "$T/e")"
[ "$(cat "$T/e")" = "dispose: $O/v.tar.zst.enc.002: exists (a volume of another archive); choose another -o" ] ||
	die "stale volume: $(cat "$T/e")"
[ ! -e "$O/v.tar.zst.enc" ] && [ ! -e "$O/v.tar.zst.enc.cms" ] && [ ! -e "$T/r4" ] ||
	die "stale volume: something was written"
[ "$(cat "$O/v.tar.zst.enc.002")" = "old volume" ] || die "stale volume: changed"
rm "$O/v.tar.zst.enc.002" && printf 'old\n' > "$O/v.tar.zst.enc.017.cms"
run $D archive create --root "$S" --run-dir "$T/r4" --recipient "$K/rec.crt" -o "$O/v.tar.zst.enc"
[ "$rc" -eq 1 ] && grep -q 'v.tar.zst.enc.017.cms: exists' "$T/e" || die "stale .017.cms: $rc"
rm "$O/v.tar.zst.enc.017.cms" && printf 'x\n' > "$O/v.tar.zst.enc.12" && printf 'x\n' > "$O/v.tar.zst.enc.002x"
expect_exit 0 $D archive create --root "$S" --run-dir "$T/r4" --recipient "$K/rec.crt" \
	-o "$O/v.tar.zst.enc" >/dev/null
ok "another archive's volume in the way: refused before writing, one line"

# 5. --jobs is a count: a size suffix ("1K" was 1024 jobs) is a usage error
printf 'x\n' > "$T/f"
for j in 1K 2k 1KiB 0 1025 -1 +3; do
	run $D erase -n --jobs "$j" "$T/f"
	[ "$rc" -eq 2 ] && [ ! -s "$T/o" ] &&
		[ "$(head -1 "$T/e")" = "dispose: --jobs: $j: expected a number from 1 to 1024" ] ||
		die "--jobs $j: exit $rc: $(cat "$T/e")"
done
expect_exit 0 $D erase -n --jobs 1024 "$T/f" >/dev/null
ok "--jobs takes a plain count"

# 6. an empty command or subcommand names what is empty (was "dispose: : unknown command")
run $D ''
[ "$rc" -eq 2 ] && [ "$(head -1 "$T/e")" = "dispose: COMMAND: empty argument" ] || die "'': $(cat "$T/e")"
run $D archive ''
[ "$rc" -eq 2 ] && [ "$(head -1 "$T/e")" = "dispose: SUBCOMMAND: empty argument" ] ||
	die "archive '': $(cat "$T/e")"
ok "an empty command or subcommand"

# 7. inventory -o names a file for the report: a block device given there
# (a careless "-o /dev/sdX") is refused before anything is written to it
if [ "$(id -u)" = 0 ]; then
	img=$T/dev.img
	fill_marker "$img" 2 || die "image"
	dev=$(mkloop 2 "$img") || die "mkloop"
	before=$(count_marker "$dev")
	run $D inventory -r "$S" -o "$dev"
	one_line 2
	[ "$(cat "$T/e")" = "dispose: $dev: a device; not written (-o takes a file)" ] ||
		die "-o DEVICE: $(cat "$T/e")"
	sync
	[ "$(count_marker "$dev")" = "$before" ] && [ "$(count_marker "$img")" = "$before" ] ||
		die "-o DEVICE: the device was written"
	expect_exit 0 $D inventory -r "$S" -o /dev/null
	ok "inventory -o a block device: refused, nothing written"
else
	echo "note: inventory -o DEVICE not tested (needs root for a loop device)"
fi

# 8. DISPOSE_ZSTD_THREADS (benchmarks) empty or not a count: ignored, no crash
# (an empty value crashed libarchive: SIGSEGV, a half-written archive left)
for v in '' abc -1 99999; do
	rm -rf "$T/z" && mkdir "$T/z"
	DISPOSE_ZSTD_THREADS=$v run $D archive create --run-dir "$T/z/r" --root "$S" -o "$T/z/a.tar.zst"
	[ "$rc" -eq 0 ] || die "DISPOSE_ZSTD_THREADS='$v': exit $rc: $(head -3 "$T/e")"
	expect_exit 0 $D archive verify "$T/z/a.tar.zst" >/dev/null
done
ok "DISPOSE_ZSTD_THREADS empty or bad: ignored"

# 9. plurals in the reports: "1 file", "1 directory" (was "1 files", "1 directories")
mkdir -p "$T/p1/s" "$T/p1/x" && printf 'x\n' > "$T/p1/s/f"
$D archive create --run-dir "$T/p1/r" --root "$T/p1/s" -o "$T/p1/a.tar.zst" >"$T/o" 2>&1 &&
	grep -q "^archive: $T/p1/a.tar.zst (1 file, " "$T/o" || die "create: $(cat "$T/o")"
$D archive verify "$T/p1/a.tar.zst" >"$T/o" 2>&1 && grep -q ": ok (1 file, " "$T/o" ||
	die "verify: $(cat "$T/o")"
$D archive extract "$T/p1/a.tar.zst" -C "$T/p1/x" >"$T/o" 2>&1 && grep -q "(1 file)$" "$T/o" ||
	die "extract: $(cat "$T/o")"
$D inventory --progress none -r "$T/p1/s" >"$T/o" 2>/dev/null
grep -q '^data: *1 file (2 B), 1 directory, 0 symlinks, 0 other$' "$T/o" ||
	die "inventory: $(grep '^data' "$T/o")"
ok "1 file, 1 directory"
