#!/bin/bash
# t_archive_release_hooks.sh - every DISPOSE_TEST_* hook of the archive module
# acts in the test build and is ignored by the release build ($DISPOSE_REL):
# flipped output byte, changed file, changed sparse file, envelope volume
# size, swapped extract input.
. "$SRCDIR/tests/integration/lib.sh"
[ -n "${DISPOSE_REL:-}" ] || skip "needs DISPOSE_REL (the release binary)"
command -v bsdtar >/dev/null && command -v zstd >/dev/null && command -v openssl >/dev/null ||
	skip "needs bsdtar, zstd, openssl"
D=$DISPOSE R=$DISPOSE_REL
S=$T/src K=$T/keys
mkdir -p "$S" "$K" "$T/out"
head -c 300000 /dev/urandom > "$S/big.bin"
printf 'live\n' > "$S/live.log"
# sparse: hashed on a side thread (DISPOSE_TEST_ARCHIVE_SIDE_CHANGE)
truncate -s 40M "$S/sparse.img"
printf head | dd of="$S/sparse.img" conv=notrunc 2>/dev/null
head -c 100000 /dev/urandom | dd of="$S/sparse.img" bs=1M seek=17 conv=notrunc 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$K/r.key" \
	-out "$K/r.crt" -days 30 -subj /CN=records 2>/dev/null || die "cert"
n=0
create() {	# BIN [ENV=V...] -> exit code; archive $T/out/a$n.tar.zst.enc
	local bin=$1; shift
	n=$((n + 1))
	env "$@" "$bin" archive create --run-dir "$T/run$n" --root "$S" --recipient "$K/r.crt" \
		--key "$K/r.key" --cert "$K/r.crt" -o "$T/out/a$n.tar.zst.enc" >"$T/o" 2>"$T/err"
}

# each hook acts in the test build: else this test could not fail
create "$D" DISPOSE_TEST_ARCHIVE_FLIP=100000; rc=$?
[ $rc -eq 3 ] || die "test build: FLIP: exit $rc, want 3"
create "$D" DISPOSE_TEST_ARCHIVE_CHANGE=grow:live.log; rc=$?
[ $rc -eq 1 ] || die "test build: CHANGE: exit $rc, want 1"
printf 'live\n' > "$S/live.log"
create "$D" DISPOSE_TEST_ARCHIVE_SIDE_CHANGE=1; rc=$?
grep -q "sparse.img: file changed as we read it" "$T/err" || die "test build: SIDE_CHANGE: exit $rc, $(cat "$T/err")"
create "$D" DISPOSE_TEST_ENV_VOLUME_MAX=16384 || die "test build: VOLUME_MAX: exit $?"
[ -e "$T/out/a$n.tar.zst.enc.002" ] || die "test build: VOLUME_MAX made no volumes"
good=$T/out/a$n.tar.zst.enc
# an archive of other content for the swap
mkdir "$T/other" && echo other > "$T/other/x"
$D archive create --run-dir "$T/runo" --root "$T/other" --recipient "$K/r.crt" \
	-o "$T/out/other.tar.zst.enc" >/dev/null || die "other archive"
mkdir "$T/x1"
DISPOSE_TEST_EXTRACT_SWAP=$T/out/other.tar.zst.enc $D archive extract "$good" -C "$T/x1" \
	--key "$K/r.key" --cert "$K/r.crt" >/dev/null 2>"$T/err"; rc=$?
cat "$T/err"
[ $rc -ne 0 ] || die "test build: EXTRACT_SWAP: exit 0"
[ ! -e "$T/x1/a$n/data$S/big.bin" ] || die "test build: EXTRACT_SWAP: extracted"
ok "each hook acts in the test build"

# the release build: all of them at once change nothing
before=$(sha256sum < "$S/live.log")
create "$R" DISPOSE_TEST_ARCHIVE_FLIP=100000 DISPOSE_TEST_ARCHIVE_CHANGE=grow:live.log \
	DISPOSE_TEST_ARCHIVE_SIDE_CHANGE=1 DISPOSE_TEST_ENV_VOLUME_MAX=16384 ||
	die "release: exit $?: $(cat "$T/err")"
[ ! -s "$T/err" ] || die "release: said $(cat "$T/err")"
[ "$(sha256sum < "$S/live.log")" = "$before" ] || die "release: CHANGE ran"
[ ! -e "$T/out/a$n.tar.zst.enc.002" ] || die "release: VOLUME_MAX made volumes"
rel=$T/out/a$n.tar.zst.enc
mkdir "$T/x2"
DISPOSE_TEST_EXTRACT_SWAP=$T/out/other.tar.zst.enc $R archive extract "$rel" -C "$T/x2" \
	--key "$K/r.key" --cert "$K/r.crt" >/dev/null || die "release: extract: exit $?"
cmp -s "$S/big.bin" "$T/x2/a$n/data$S/big.bin" || die "release: extracted bytes differ"
cmp -s "$S/sparse.img" "$T/x2/a$n/data$S/sparse.img" || die "release: sparse file differs"
ok "the release build ignores every DISPOSE_TEST_* hook"
