#!/bin/bash
# t_syslog.sh - what dispose sends to syslog, captured by an LD_PRELOAD shim of
# syslog(3) (syslog_shim.c): facility authpriv, tag dispose, the priority of
# the outcome (notice a start or success, warning a refusal, err a failure
# with its reason), erase's end line with the run directory and the record's
# chain head, archive create and verify, "1 pass" not "1 passes", and a file
# name that is not UTF-8 and holds a newline written as one escaped line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/erase_lib.sh"
need_root
cc -shared -fPIC -O2 -o "$T/shim.so" "$SRCDIR/tests/integration/syslog_shim.c" ||
	skip "cannot build the syslog shim (no C compiler)"
# the shim goes before the sanitizer runtime: ASan must not object
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:verify_asan_link_order=0"
E=(erase --yes --progress none --method zero --verify last)
ERR=3 WARNING=4 NOTICE=5 AUTHPRIV=10

# logged NAME CMD...: run CMD with syslog captured in $T/NAME.log; exit code in $rc
logged() {
	local n=$1
	shift
	: >"$T/$n.log"
	SYSLOG_CAPTURE="$T/$n.log" LD_PRELOAD="$T/shim.so" "$@" >"$T/$n.out" 2>"$T/$n.err"
	rc=$?
}
# has NAME PRIORITY LINE: a line of that priority from dispose, facility authpriv (exact text)
has() {
	grep -Fqx "$AUTHPRIV $2 dispose $3" "$T/$1.log" ||
		die "$1: no syslog line <$2> '$3'; got:$(printf '\n%s' "$(cat "$T/$1.log")")"
}
# has_re NAME PRIORITY ERE: the same, the text as an extended regular expression
has_re() {
	grep -Eq "^$AUTHPRIV $2 dispose $3\$" "$T/$1.log" ||
		die "$1: no syslog line <$2> /$3/; got:$(printf '\n%s' "$(cat "$T/$1.log")")"
}
# only NAME PRIORITY...: every line has one of these priorities and authpriv
only() {
	local p=" ($(echo "$@" | cut -d' ' -f2- | tr ' ' '|')) "
	grep -Evq "^$AUTHPRIV$p" "$T/$1.log" &&
		die "$1: a line of another priority or facility:$(printf '\n%s' "$(cat "$T/$1.log")")"
	[ -s "$T/$1.log" ] || die "$1: nothing sent to syslog"
}
# head_of DIR: the record's chain head, SHA-256 of its last line (computed here)
head_of() { tail -n 1 "$1/events.jsonl" | tr -d '\n' | sha256sum | cut -d' ' -f1; }

dev=$(mkloop 8)

# 1. success: start, the target's start and end, the run's end with its anchor
logged ok "$DISPOSE" "${E[@]}" --run-dir "$T/r1" "$dev"
[ $rc = 0 ] || die "success: exit $rc: $(cat "$T/ok.err")"
check_chain "$T/r1"
has_re ok $NOTICE "erase started by [^ ]+: target $dev, method zero, verify last, run $T/r1"
has ok $NOTICE "$dev: starting overwrite with method zero (1 pass, verify last), target t1"
has ok $NOTICE "$dev: erase success; NIST SP 800-88 Clear; verified: every byte of the last pass read back (target t1)"
has ok $NOTICE "erase ended: success, 1 of 1 target erased, exit 0, run $T/r1, record head $(head_of "$T/r1")"
only ok $NOTICE
grep -q "passes\|success: ok\|see the run record" "$T/ok.log" && die "success: wording: $(cat "$T/ok.log")"
ok "success: four notice lines; the end line carries the run directory and the record's chain head"

# 2. refusal (a mounted device, exit 4): a warning naming the device and why; nothing started
mkfs.ext4 -q -F "$dev" >/dev/null 2>&1 || die "mkfs.ext4"
mkdir "$T/m"
mount "$dev" "$T/m" || die "mount"
track_mount "$T/m"
logged refused "$DISPOSE" "${E[@]}" --run-dir "$T/r2" "$dev"
[ $rc = 4 ] || die "refusal: expected exit 4, got $rc: $(cat "$T/refused.err")"
has_re refused $WARNING "erase refused: $dev: .*mounted.*"
only refused $WARNING
ok "refusal: one warning line with the device and the reason"
umount "$T/m"

# 3. failure (a flush that fails EIO, exit 1): err lines with the reason
logged failed env DISPOSE_TEST_FAULT=eio-flush "$DISPOSE" "${E[@]}" --run-dir "$T/r3" "$dev"
[ $rc = 1 ] || die "failure: expected exit 1, got $rc: $(cat "$T/failed.err")"
check_chain "$T/r3"
has_re failed $ERR "$dev: erase failed: Input/output error; no NIST category: [^;]+; [^;]+ \\(target t1\\)"
has failed $ERR "erase ended: failed, 0 of 1 target erased, exit 1, run $T/r3, record head $(head_of "$T/r3")"
has_re failed $NOTICE "erase started by .*"
ok "failure: err lines with the reason; the end line's chain head is the record's"

# 4. a sector that cannot be written: completed with errors, and how much
logged bad env DISPOSE_TEST_FAULT=eio-write@1049276 "$DISPOSE" "${E[@]}" --run-dir "$T/r4" "$dev"
[ $rc = 1 ] || die "bad sector: expected exit 1, got $rc: $(cat "$T/bad.err")"
has_re bad $ERR "$dev: erase completed with errors: 512 bytes in bad ranges not erased; [^;]+; [^;]+ \\(target t1\\)"
has_re bad $ERR "erase ended: completed-with-errors, 0 of 1 target erased, exit 1, run $T/r4, record head [0-9a-f]{64}"
ok "bad sector: err line says how many bytes were not erased"

# 5. a file name that is not UTF-8 and holds a newline: one line, escaped as json.h does
mkdir "$T/d"
f=$T/d/$'bad\xff\nname'
head -c 4096 /dev/urandom >"$f"
logged name "$DISPOSE" "${E[@]}" --run-dir "$T/r5" "$f"
[ $rc = 0 ] || die "odd name: exit $rc: $(cat "$T/name.err")"
[ ! -e "$f" ] || die "odd name: file still there"
has_re name $NOTICE "$T/d/bad\\\\xff\\\\x0aname: erase success; no NIST category: file-level overwrite; verified: .* \\(target t1\\)"
grep -vq "^$AUTHPRIV " "$T/name.log" && die "odd name: a line was split: $(cat "$T/name.log")"
ok "a name with an invalid byte and a newline: escaped, one line each"

# 5a. plurals: two targets; a tree of one file
mkdir "$T/tr"
echo x >"$T/d/x"
echo y >"$T/d/y"
echo z >"$T/tr/z"
logged two "$DISPOSE" "${E[@]}" --run-dir "$T/r5a" "$T/d/x" "$T/d/y" "$T/tr"
[ $rc = 0 ] || die "two targets and a tree: exit $rc: $(cat "$T/two.err")"
has_re two $NOTICE "erase started by [^ ]+: targets $T/d/x $T/d/y $T/tr, method zero, verify last, run $T/r5a"
has_re two $NOTICE "$T/tr: erase success; [^;]+; [^;]+ \\(target t3, 1 file, 1 directory\\)"
has two $NOTICE "erase ended: success, 3 of 3 targets erased, exit 0, run $T/r5a, record head $(head_of "$T/r5a")"
ok "plurals: targets, 3 of 3 targets, 1 file, 1 directory"

# 6a. --verify none: not a plain success, a warning that says so
logged unverified "$DISPOSE" erase --yes --progress none --method zero --verify none --run-dir "$T/r6" "$dev"
[ $rc = 0 ] || die "verify none: exit $rc: $(cat "$T/unverified.err")"
has_re unverified $WARNING "$dev: erase written, not verified; no NIST category: [^;]+; not verified[^;]* \\(target t1\\)"
ok "--verify none: a warning line, written, not verified"

# 6. archive create and verify, with the record's chain head
mkdir "$T/src"
echo one >"$T/src/a"
echo two >"$T/src/b"
arc=$T/out.tar.zst
logged create "$DISPOSE" archive create --root "$T/src" -o "$arc" --run-dir "$T/ar"
[ $rc = 0 ] || die "archive create: exit $rc: $(cat "$T/create.err")"
has_re create $NOTICE "archive create $arc started by [^ ]+: root $T/src, not encrypted, run $T/ar"
has_re create $NOTICE "archive create $arc: written and read back, 2 files, 8 payload bytes, sha256 [0-9a-f]{64}"
has create $NOTICE "archive create ended: success, exit 0, run $T/ar, record head $(head_of "$T/ar")"
only create $NOTICE
logged verify "$DISPOSE" archive verify --run-dir "$T/ar" "$arc"
[ $rc = 0 ] || die "archive verify: exit $rc: $(cat "$T/verify.err")"
has verify $NOTICE "archive verify $arc: ok, 2 files, 8 payload bytes, run $T/ar, record head $(head_of "$T/ar")"
only verify $NOTICE
# verify asked to write to an erase's record: refused (exit 4), a warning
logged vref "$DISPOSE" archive verify --run-dir "$T/r1" "$arc"
[ $rc = 4 ] || die "archive verify into an erase record: expected exit 4, got $rc: $(cat "$T/vref.err")"
has_re vref $WARNING "archive verify refused: .*$T/r1.*"
only vref $WARNING
# a damaged copy: verify fails, an err line with the reason
cp "$arc" "$T/bad.tar.zst"
cp "$arc.bag-info.txt" "$T/bad.tar.zst.bag-info.txt" 2>/dev/null
size=$(stat -c %s "$T/bad.tar.zst")
printf '\x55\xaa\x55\xaa' | dd of="$T/bad.tar.zst" bs=1 seek=$((size / 2)) conv=notrunc status=none
logged vbad "$DISPOSE" archive verify "$T/bad.tar.zst"
[ $rc != 0 ] || die "damaged archive verified"
has_re vbad $ERR "archive verify $T/bad.tar.zst failed: .+"
only vbad $ERR
ok "archive create and verify: notice lines with counts, digest and chain head; a damaged copy an err line"

# 7. the release build sends the same end line
if [ -n "${DISPOSE_REL:-}" ]; then
	logged rel "$DISPOSE_REL" "${E[@]}" --run-dir "$T/r7" "$dev"
	[ $rc = 0 ] || die "release: exit $rc: $(cat "$T/rel.err")"
	has rel $NOTICE "erase ended: success, 1 of 1 target erased, exit 0, run $T/r7, record head $(head_of "$T/r7")"
	ok "release build: the same end line"
fi

# 8. a method file by path that carries a shipped name: the start line names the file
mkdir -p "$T/m8" && printf 'x\n' > "$T/m8/f"
cat >"$T/m8/zero.json" <<'J'
{"schema": "dispose-method/1", "name": "zero", "variant": "custom FF",
 "source": "test", "passes": [{"type": "pattern", "pattern": "FF"}]}
J
logged m8 $DISPOSE erase --yes --progress none -m "$T/m8/zero.json" --run-dir "$T/r8" "$T/m8/f"
[ $rc = 0 ] || die "m8: exit $rc: $(cat "$T/m8.err")"
has_re m8 $NOTICE "erase started by [^ ]+: target $T/m8/f, method zero from $T/m8/zero.json, not the shipped one, verify last, run $T/r8"
ok "a method file with a shipped name: the start line names the file"
