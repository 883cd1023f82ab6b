#!/bin/bash
# t_archive_smuggle.sh - archives whose entries carry bytes no manifest covers
# (a pax hard link with a body written through the link, a directory or FIFO
# with data, a tag file outside the tag manifest, no tag manifest), a path
# stored twice or below a file, a bag-info label given twice: verify fails and
# extract writes nothing, plain and encrypted alike (tests/data/craft_bag.py).
. "$SRCDIR/tests/integration/lib.sh"
command -v zstd >/dev/null && command -v openssl >/dev/null || skip "needs zstd and openssl"
D=$DISPOSE
C=$SRCDIR/tests/data/craft_bag.py
mkdir -p "$T/k"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k/r.key" \
	-out "$T/k/r.crt" -days 2 -subj /CN=smuggle 2>/dev/null || die "test certificate"

# check KIND VERIFY_EXIT EXTRACT_EXIT [enc] [MESSAGE]
check() {
	local kind=$1 vx=$2 xx=$3 enc=${4:-} msg=${5:-} a x rc
	local keys=()
	a=$T/$kind${enc:+-enc}.tar.zst
	x=$T/x-$kind${enc:+-enc}
	if [ -n "$enc" ]; then
		python3 "$C" "$a" "$kind" --encrypt "$T/k/r.crt" || die "craft $kind (encrypted)"
		[ -s "$a.cms" ] || die "$kind: no envelope"
		keys=(--key "$T/k/r.key" --cert "$T/k/r.crt")
	else
		python3 "$C" "$a" "$kind" || die "craft $kind"
	fi
	$D archive verify "$a" "${keys[@]}" 2>"$T/err"; rc=$?
	[ $rc -eq "$vx" ] || die "$kind $enc: verify exit $rc, want $vx: $(cat "$T/err")"
	[ -z "$msg" ] || grep -qF -- "$msg" "$T/err" || die "$kind $enc: verify said: $(cat "$T/err")"
	mkdir "$x"
	$D archive extract "$a" -C "$x" "${keys[@]}" 2>"$T/err"; rc=$?
	[ $rc -eq "$xx" ] || die "$kind $enc: extract exit $rc, want $xx: $(cat "$T/err")"
	if [ "$xx" -ne 0 ]; then
		[ -z "$(ls -A "$x")" ] || die "$kind $enc: extract wrote: $(ls -AR "$x")"
	fi
	ok "$kind${enc:+ (encrypted)}: verify exit $vx, extract exit $xx"
}

# the harness itself: a clean hand-made bag verifies and extracts, plain and encrypted
check clean 0 0
check clean 0 0 enc
[ "$(cat "$T/x-clean-enc/bag/data/ok.txt")" = fine ] || die "clean encrypted bag not extracted"
check dir-after 0 0
[ "$(cat "$T/x-dir-after/bag/data/sub/two.txt")" = second ] || die "dir-after: not extracted"

# bytes that no manifest covers
check hardlink-data 3 3 "" "bag/data/link.txt: hard link carries data that no manifest covers"
check hardlink-data 3 3 enc "bag/data/link.txt: hard link carries data that no manifest covers"
check hardlink-data-tag 3 3 "" "bag/zz: hard link carries data that no manifest covers"
check hardlink-data-tag 3 3 enc "bag/zz: hard link carries data that no manifest covers"
check dumpdir 3 3 "" "bag/data/dd: directory carries data"
check dumpdir 3 3 enc "bag/data/dd: directory carries data"
check mode-fifo 3 3 "" "bag/data/ff: FIFO carries data"
check untracked-tag 3 3 "" "run.sh: not in the tag manifest"
check untracked-tag 3 3 enc "run.sh: not in the tag manifest"
# a regular file with a link name (pax linkpath, GNU long link) is read as one
# file by both passes: its bytes are hashed and differ from the manifest
check pax-linkpath 3 3
check gnu-longlink 3 3
check sparse-overlap 3 3 "" "bad offsets"
# bag-info.txt pinned by the tag manifest, with one value per label
check no-tagmanifest 2 2 "" "no tagmanifest-sha512.txt"
check baginfo-altered 3 3 "" "bag-info.txt: checksum mismatch"
check baginfo-repeat 3 3 "" "bag-info.txt: malformed"
# one entry per path, and only directories above an entry
check dup-symlink 2 2 "" "bag/data/ok.txt: stored twice"
check dir-over-file 2 2 "" "stored twice"
check file-over-dir 2 2 "" "bag/data/sub: stored twice"
check file-parent 2 4 "" "bag/data/ok.txt/x: unsafe path (through a file)"

# status reads the plain bag-info copy: a label given twice is refused there too
mkdir "$T/st"
python3 "$C" "$T/st/a.tar.zst" clean || die "craft"
printf 'Retain-Until: 2001-01-01\nLegal-Hold: true\nLegal-Hold: false\n' > "$T/st/a.tar.zst.bag-info.txt"
$D archive status "$T/st" >"$T/out" 2>"$T/err"; rc=$?
cat "$T/out" "$T/err"
[ $rc -eq 1 ] || die "status with a repeated label: exit $rc"
grep -q 'a.tar.zst.bag-info.txt: unreadable or malformed' "$T/err" || die "status: no refusal"
grep -q 'eligible' "$T/out" && die "status: last Legal-Hold won"
ok "status: a repeated Legal-Hold is malformed, never eligible"
