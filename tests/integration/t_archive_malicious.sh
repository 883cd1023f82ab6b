#!/bin/bash
# t_archive_malicious.sh - hostile archives (absolute paths, .., a symlink then a
# file through it, hard links out, device nodes) are refused by extract, which
# writes nothing, and are "not ours" (exit 2) for verify.
. "$SRCDIR/tests/integration/lib.sh"
command -v zstd >/dev/null || skip "needs zstd"
D=$DISPOSE
mkdir -p "$T/outside" "$T/evil"

# mkbag OUT KIND: a well-formed bag (bagit.txt, manifests) plus one hostile entry
mkbag() {
	python3 - "$1" "$2" "$T" <<'PY'
import hashlib, io, subprocess, sys, tarfile, time
out, kind, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT)
payload = {}
def add(name, data=b'', typ=tarfile.REGTYPE, link=''):
    ti = tarfile.TarInfo(name); ti.type = typ; ti.linkname = link
    ti.mtime = int(time.time()); ti.mode = 0o644; ti.size = len(data) if typ == tarfile.REGTYPE else 0
    t.addfile(ti, io.BytesIO(data) if ti.size else None)
add('bag/', typ=tarfile.DIRTYPE)
add('bag/data/ok.txt', b'fine\n'); payload['data/ok.txt'] = b'fine\n'
if kind == 'absolute':
    add(tmp + '/evil/abs.txt', b'pwned\n')
elif kind == 'dotdot':
    add('bag/data/../../../' + tmp.lstrip('/') + '/evil/dotdot.txt', b'pwned\n')
elif kind == 'symlink':
    add('bag/data/link', typ=tarfile.SYMTYPE, link=tmp + '/outside')
    add('bag/data/link/pwned.txt', b'pwned\n'); payload['data/link/pwned.txt'] = b'pwned\n'
elif kind == 'hardlink':
    add('bag/data/passwd', typ=tarfile.LNKTYPE, link='/etc/passwd')
elif kind == 'device':
    ti = tarfile.TarInfo('bag/data/sda'); ti.type = tarfile.BLKTYPE; ti.devmajor = 8; ti.devminor = 0
    t.addfile(ti)
elif kind == 'otherdir':
    add('other/data/x.txt', b'pwned\n')
man = ''.join('%s  %s\n' % (hashlib.sha512(v).hexdigest(), k) for k, v in payload.items()).encode()
bagit = b'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n'
info = ('Payload-Oxum: %d.%d\n' % (sum(map(len, payload.values())), len(payload))).encode()
add('bag/bagit.txt', bagit); add('bag/bag-info.txt', info); add('bag/manifest-sha512.txt', man)
tm = ''.join('%s  %s\n' % (hashlib.sha512(v).hexdigest(), k) for k, v in
             (('bagit.txt', bagit), ('bag-info.txt', info), ('manifest-sha512.txt', man))).encode()
add('bag/tagmanifest-sha512.txt', tm)
t.close()
subprocess.run(['zstd', '-q', '-f', '-o', out], input=buf.getvalue(), check=True)
PY
}

# a clean hand-made bag is accepted: the harness itself is sound
mkbag "$T/clean.tar.zst" none || die "mkbag"
expect_exit 0 $D archive verify "$T/clean.tar.zst"
mkdir "$T/x-clean"
expect_exit 0 $D archive extract "$T/clean.tar.zst" -C "$T/x-clean"
[ "$(cat "$T/x-clean/bag/data/ok.txt")" = fine ] || die "clean bag not extracted"
ok "hand-made clean bag"

for kind in absolute dotdot symlink hardlink device otherdir; do
	mkbag "$T/$kind.tar.zst" $kind || die "mkbag $kind"
	$D archive verify "$T/$kind.tar.zst" 2>"$T/err"; rc=$?
	[ $rc -eq 2 ] || die "$kind: verify exit $rc, want 2 ($(cat "$T/err"))"
	mkdir "$T/x-$kind"
	$D archive extract "$T/$kind.tar.zst" -C "$T/x-$kind" 2>"$T/err"; rc=$?
	cat "$T/err"
	[ $rc -eq 4 ] || die "$kind: extract exit $rc, want 4"
	grep -q 'refused' "$T/err" || die "$kind: no refusal message"
	[ -z "$(ls -A "$T/x-$kind")" ] || die "$kind: extract wrote into the target"
	[ -z "$(ls -A "$T/evil")" ] && [ -z "$(ls -A "$T/outside")" ] ||
		die "$kind: a file escaped the target"
	ok "$kind refused"
done
