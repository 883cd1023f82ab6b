#!/bin/bash
# t_archive_rundir.sh - archive create with its run directory and its output
# inside the root: the archive holds neither the record, the item list being
# written, nor any file of the archive itself (volumes included); a root that is
# the run directory is refused.
. "$SRCDIR/tests/integration/lib.sh"
command -v bsdtar >/dev/null && command -v zstd >/dev/null && command -v openssl >/dev/null ||
	skip "needs bsdtar, zstd, openssl"
D=$DISPOSE
R=$T/root K=$T/keys
mkdir -p "$R/docs" "$K"
head -c 200000 /dev/urandom > "$R/docs/records.bin"
printf 'kept\n' > "$R/docs/a.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/rec.key" \
	-out "$K/rec.crt" -days 30 -subj /CN=records 2>/dev/null || die "cert"

# a run directory that holds another command's record (an erase's) is refused:
# one run directory holds one command's record
head -c 4096 /dev/urandom > "$T/victim"
$D erase --yes --run-dir "$T/erun" "$T/victim" >/dev/null 2>&1 || die "erase run"
cp "$T/erun/events.jsonl" "$T/erun.before"
$D archive create --run-dir "$T/erun" --root "$R" -o "$T/mixed.tar.zst" >"$T/out" 2>"$T/err"; rc=$?
cat "$T/err"
[ $rc -eq 2 ] || die "create into an erase's run directory: exit $rc, want 2"
grep -qx "dispose: $T/erun: holds a run record already (of erase); archive create writes one of its own: use another --run-dir" "$T/err" ||
	die "create into an erase's run directory: message"
cmp -s "$T/erun.before" "$T/erun/events.jsonl" || die "the erase's record changed"
[ ! -e "$T/mixed.tar.zst" ] && [ ! -s "$T/out" ] || die "an archive was written"
ok "a run directory holding another command's record is refused"

# listing NAME: the archive's entries, one a line
listing() {
	if [ -e "$1.cms" ]; then
		for v in "$1" "$1".[0-9][0-9][0-9]; do
			[ -e "$v" ] || continue
			openssl cms -decrypt -binary -inform DER -in "$v.cms" -content "$v" \
				-recip "$K/rec.crt" -inkey "$K/rec.key" || return 1
		done | zstd -dcq | bsdtar -tf -
	else
		zstd -dcq "$1" | bsdtar -tf -
	fi
}
only_docs() {	# NAME WHAT
	listing "$1" > "$T/list" || die "$2: cannot list"
	grep -q "/data$R/docs/records.bin$" "$T/list" || die "$2: payload missing"
	if grep -e "/data$R/run" -e "/data$1" "$T/list"; then
		die "$2: the archive holds its run directory or itself"
	fi
	ok "$2"
}

$D archive create --run-dir "$R/run" --root "$R" -o "$R/plain.tar.zst" >"$T/out" || die "plain create"
grep -q '^archive: .*(2 files' "$T/out" || die "plain: $(head -1 "$T/out")"
only_docs "$R/plain.tar.zst" "plain: run directory and output inside the root"

# a run directory of its own, inside the root too (the first one is gone)
rm -rf "$R/run"
DISPOSE_TEST_ENV_VOLUME_MAX=16384 $D archive create --run-dir "$R/run" --root "$R" \
	--recipient "$K/rec.crt" -o "$R/enc.tar.zst.enc" >"$T/out" || die "encrypted create"
[ -e "$R/enc.tar.zst.enc.004" ] || die "no volumes (DISPOSE_TEST_ENV_VOLUME_MAX needs a test build)"
# plain.tar.zst and its bag-info copy are ordinary files by now
grep -q '^archive: .*(4 files' "$T/out" || die "encrypted: $(head -1 "$T/out")"
only_docs "$R/enc.tar.zst.enc" "encrypted in volumes written during the walk"
expect_exit 0 $D archive verify "$R/enc.tar.zst.enc" --key "$K/rec.key" --cert "$K/rec.crt" --run-dir "$R/run"

# the run directory as a root
$D archive create --run-dir "$R/run" --root "$R/run" -o "$T/self.tar.zst" 2>"$T/err"; rc=$?
cat "$T/err"
[ $rc -eq 2 ] || die "root = run directory: exit $rc, want 2"
grep -q "inside the run directory" "$T/err" || die "root = run directory: reason"
[ ! -e "$T/self.tar.zst" ] || die "root = run directory: archive written"
ok "a root in the run directory is refused"
