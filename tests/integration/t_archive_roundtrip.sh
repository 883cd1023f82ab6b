#!/bin/bash
# t_archive_roundtrip.sh - plain archive: create, verify, extract with all metadata,
# stock recipe + sha512sum -c, tampering, not-ours input, read-back failure, status.
. "$SRCDIR/tests/integration/lib.sh"
command -v setfattr >/dev/null && command -v setfacl >/dev/null || skip "needs attr and acl"
command -v bsdtar >/dev/null && command -v zstd >/dev/null || skip "needs bsdtar and zstd"

S=$T/src
mktree() {
	mkdir -p "$S/sub/deeper" "$S/acl-dir"
	printf 'hello\n' > "$S/regular.txt"
	: > "$S/empty"
	head -c $((20 << 20)) /dev/urandom > "$S/large.bin"
	truncate -s 200M "$S/sparse.img"
	printf 'middle' | dd of="$S/sparse.img" bs=1 seek=$((100 << 20)) conv=notrunc 2>/dev/null
	printf 'tail' | dd of="$S/sparse.img" bs=1 seek=$(((200 << 20) - 4)) conv=notrunc 2>/dev/null
	ln "$S/regular.txt" "$S/sub/hardlink.txt"
	ln -s ../regular.txt "$S/sub/rel-link"
	ln -s /etc/hostname "$S/sub/abs-link"
	printf 'unicode\n' > "$S/sub/Grüße — ファイル.txt"
	printf 'spaces\n' > "$S/sub/deeper/a file with  spaces.txt"
	printf 'latin-1 name\n' > "$S/sub/$(printf 'caf\xe9.txt')"
	mkfifo "$S/sub/fifo"
	setfattr -n user.retention -v "keep-10y" "$S/regular.txt"
	setfattr -n user.bin -v 0x00ff10 "$S/large.bin"
	setfacl -m u:nobody:rw,g:adm:r "$S/large.bin"
	setfacl -d -m u:nobody:rx "$S/acl-dir"
	printf 'acl child\n' > "$S/acl-dir/child"
	chmod 0751 "$S/sub/deeper"
	chmod 0640 "$S/sub/deeper/a file with  spaces.txt"
	chown nobody:nogroup "$S/sub/Grüße — ファイル.txt"
	touch -h -d '2001-02-03 04:05:06.123456789' "$S/sub/rel-link"
	touch -d '2001-02-03 04:05:06.123456789' "$S/regular.txt" "$S/sub/deeper"
}

# compare SRC DST: type, mode, owner, size, mtime, content, link target, xattrs
# (ACLs are system.posix_acl_* xattrs), hard-link groups; sparse stays sparse
compare() {
	python3 - "$1" "$2" <<'PY'
import hashlib, os, stat, sys
src, dst = sys.argv[1], sys.argv[2]
bad = []
def h(p):
    m = hashlib.sha256()
    with open(p, 'rb') as f:
        for b in iter(lambda: f.read(1 << 20), b''):
            m.update(b)
    return m.hexdigest()
groups_s, groups_d = {}, {}
for root, dirs, files in os.walk(src):
    for n in dirs + files:
        a = os.path.join(root, n)
        r = os.path.relpath(a, src)
        b = os.path.join(dst, r)
        try:
            sa, sb = os.lstat(a), os.lstat(b)
        except FileNotFoundError:
            bad.append(r + ': missing'); continue
        for f in ('st_mode', 'st_uid', 'st_gid'):
            if getattr(sa, f) != getattr(sb, f):
                bad.append('%s: %s %o != %o' % (r, f, getattr(sa, f), getattr(sb, f)))
        if not stat.S_ISDIR(sa.st_mode) and sa.st_mtime_ns != sb.st_mtime_ns:
            bad.append('%s: mtime %d != %d' % (r, sa.st_mtime_ns, sb.st_mtime_ns))
        if stat.S_ISLNK(sa.st_mode):
            if os.readlink(a) != os.readlink(b):
                bad.append(r + ': link target')
            continue
        xa = {k: os.getxattr(a, k) for k in os.listxattr(a)}
        xb = {k: os.getxattr(b, k) for k in os.listxattr(b)}
        if xa != xb:
            bad.append('%s: xattrs %s != %s' % (r, sorted(xa), sorted(xb)))
        if stat.S_ISREG(sa.st_mode):
            if sa.st_size != sb.st_size or h(a) != h(b):
                bad.append(r + ': content')
            if sa.st_nlink > 1:
                groups_s.setdefault(sa.st_ino, set()).add(r)
                groups_d.setdefault(sb.st_ino, set()).add(r)
            if sa.st_blocks * 512 < sa.st_size // 2 and sb.st_blocks * 512 >= sb.st_size // 2:
                bad.append(r + ': no longer sparse')
if sorted(map(sorted, groups_s.values())) != sorted(map(sorted, groups_d.values())):
    bad.append('hard link groups differ')
for b in bad:
    print('compare:', b)
sys.exit(1 if bad else 0)
PY
}

mktree
D=$DISPOSE
A=$T/out/records.tar.zst
mkdir -p "$T/out" "$T/x" "$T/stock"

$D archive create --run-dir "$T/run" --root "$S" --exclude '*.skip' --retain-until 2031-12-31 --series HR-01 \
	--authority 'GRS 2.1 item 010' --organization 'Example Records Office' \
	--run-dir "$T/run" -o "$A" > "$T/create.out" || die "create failed"
cat "$T/create.out"
grep -q 'zstd -dc' "$T/create.out" || die "no recovery recipe printed"
[ -f "$A.bag-info.txt" ] || die "no bag-info sidecar"
grep -q '^Retain-Until: 2031-12-31$' "$A.bag-info.txt" || die "Retain-Until missing"
grep -q '^Source-Organization: Example Records Office$' "$A.bag-info.txt" || die "Source-Organization"
grep -q '^Payload-Oxum: [0-9]*\.9$' "$A.bag-info.txt" || die "Payload-Oxum: $(cat "$A.bag-info.txt")"
ok "create"

# run record: archive_created with the archive's SHA-256, and the item list
# (per-item SHA-512) in a file of the run dir bound by its SHA-256
python3 - "$T/run/events.jsonl" "$A" "$S/large.bin" <<'PY' || die "run record"
import hashlib, json, os, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
c = [e for e in ev if e['event'] == 'archive_created'][0]
assert c['sha256'] == hashlib.sha256(open(sys.argv[2], 'rb').read()).hexdigest()
raw = open(os.path.join(os.path.dirname(sys.argv[1]), c['items_file']), 'rb').read()
assert c['items_sha256'] == hashlib.sha256(raw).hexdigest()
items = {i['path']: i for i in map(json.loads, raw.splitlines())}
assert len(items) == c['files'], (len(items), c['files'])
assert items[sys.argv[3]]['sha512'] == hashlib.sha512(open(sys.argv[3], 'rb').read()).hexdigest()
assert c['bag_info']['Records-Series'] == 'HR-01' and c['verified'] is True
# its own record: run_start (command, version, host, operator, argv) ... run_end
s = ev[0]
assert s['event'] == 'run_start' and s['command'] == 'archive create', s
assert s['schema'] == 'dispose-record/1' and s['version'] and s['host'] and s['operator'], s
assert s['argv'][:3] == ['dispose', 'archive', 'create'] and sys.argv[2] in s['argv'], s['argv']
assert [e['event'] for e in ev].count('run_start') == 1
assert ev[-1]['event'] == 'run_end' and ev[-1]['status'] == 'success' and ev[-1]['exit'] == 0, ev[-1]
PY
ok "run record"

expect_exit 0 $D archive verify "$A" --run-dir "$T/run"
grep -q '"archive_verified"' "$T/run/events.jsonl" || die "no archive_verified event"
ok "verify"

# owners and privileged bits only when asked for (dispose-archive(5))
expect_exit 0 $D archive extract "$A" -C "$T/x" --same-owner --preserve-permissions --xattrs --acls
compare "$S" "$T/x/records/data$S" || die "extracted tree differs"
ok "extract restores bytes and metadata"

# stock tools: zstd | bsdtar, then sha512sum -c in the bag
(cd "$T/stock" && zstd -dc "$A" | bsdtar -xpf -) || die "stock extract"
(cd "$T/stock/records" && sha512sum -c --quiet tagmanifest-sha512.txt &&
	sha512sum -c --quiet manifest-sha512.txt) || die "sha512sum -c"
compare "$S" "$T/stock/records/data$S" || die "stock-extracted tree differs"
ok "stock recipe"

# one flipped byte in a payload file (recompressed): verify 3 naming it, extract writes nothing
python3 - "$A" "$T/tampered.tar.zst" "records/data$S/sub/deeper/a file with  spaces.txt" <<'PY' || die "tamper"
import subprocess, sys, tarfile, io
raw = subprocess.run(['zstd', '-dc', sys.argv[1]], check=True, capture_output=True).stdout
t = tarfile.open(fileobj=io.BytesIO(raw))
m = t.getmember(sys.argv[3])
b = bytearray(raw); b[m.offset_data] ^= 1
subprocess.run(['zstd', '-q', '-o', sys.argv[2]], input=bytes(b), check=True)
PY
$D archive verify "$T/tampered.tar.zst" 2> "$T/err"; rc=$?
cat "$T/err"
[ $rc -eq 3 ] || die "tampered payload: verify exit $rc, want 3"
grep -q 'a file with  spaces.txt: checksum mismatch' "$T/err" || die "bad file not named"
mkdir "$T/x2"
expect_exit 3 $D archive extract "$T/tampered.tar.zst" -C "$T/x2"
[ -z "$(ls -A "$T/x2")" ] || die "extract wrote something from a tampered archive"
ok "tampered payload"

# truncated archive: mismatch; random bytes and a foreign tar: not ours
head -c 3000000 "$A" > "$T/trunc.tar.zst"
expect_exit 3 $D archive verify "$T/trunc.tar.zst"
head -c 100000 /dev/urandom > "$T/random.bin"
expect_exit 2 $D archive verify "$T/random.bin"
(cd "$T" && tar -cf - src/regular.txt | zstd -q -o "$T/foreign.tar.zst")
expect_exit 2 $D archive verify "$T/foreign.tar.zst"
expect_exit 2 $D archive verify "$T/src/regular.txt"
ok "truncated / not ours"

# read-back failure: a byte corrupted on the way out -> exit 3, left as .failed
DISPOSE_TEST_ARCHIVE_FLIP=200000 $D archive create --run-dir "$T/run-bad" --root "$S" -o "$T/out/bad.tar.zst" 2>"$T/err"; rc=$?
[ $rc -eq 3 ] || die "corrupted create: exit $rc, want 3"
[ -f "$T/out/bad.tar.zst.failed" ] && [ ! -e "$T/out/bad.tar.zst" ] || die "no .failed archive"
grep -q '"event":"archive_failed".*read-back mismatch' "$T/run-bad/events.jsonl" || die "failure not in the run record"
tail -1 "$T/run-bad/events.jsonl" | grep -q '"event":"run_end","prev":"[0-9a-f]*","status":"failed","exit":3}' ||
	die "run_end: $(tail -1 "$T/run-bad/events.jsonl")"
ok "read-back failure"

# refusals: existing output, bad date, existing extract target
expect_exit 1 $D archive create --run-dir "$T/run-x" --root "$S" -o "$A"
expect_exit 2 $D archive create --run-dir "$T/run-x" --root "$S" --retain-until 2026-02-30 -o "$T/out/x.tar.zst"
[ ! -e "$T/run-x" ] || die "a refused create left a run directory"
expect_exit 4 $D archive extract "$A" -C "$T/x"
ok "refusals"

# --exclude: by base name and by absolute path; excluded directories are not entered
mkdir -p "$T/ex/keep" "$T/ex/cache/deep"
printf k > "$T/ex/keep/a.txt"; printf t > "$T/ex/keep/b.tmp"; printf c > "$T/ex/cache/deep/c.txt"
$D archive create --run-dir "$T/run-ex" --root "$T/ex" --exclude '*.tmp' --exclude "$T/ex/cache" \
	-o "$T/out/ex.tar.zst" >/dev/null || die "create with --exclude"
bsdtar -tf "$T/out/ex.tar.zst" > "$T/ex.list"
grep -q 'keep/a.txt$' "$T/ex.list" || die "kept file missing"
grep -q 'b.tmp\|cache' "$T/ex.list" && die "excluded entries archived"
ok "exclude"

# status: past / future / legal hold
mkdir "$T/st"
printf 'x\n' > "$T/one"
$D archive create --run-dir "$T/run-sa" --root "$T/one" --retain-until 2001-01-01 --series OLD -o "$T/st/a.tar.zst" >/dev/null || die "st a"
$D archive create --run-dir "$T/run-sb" --root "$T/one" --retain-until 2999-01-01 --series NEW -o "$T/st/b.tar.zst" >/dev/null || die "st b"
$D archive create --run-dir "$T/run-sc" --root "$T/one" --retain-until 2001-01-01 --legal-hold -o "$T/st/c.tar.zst" >/dev/null || die "st c"
$D archive status "$T/st" > "$T/status.out" || die "status"
cat "$T/status.out"
grep -q "a.tar.zst .*OLD .*2001-01-01 .*no .*eligible$" "$T/status.out" || die "past not eligible"
grep -q "b.tar.zst .*NEW .*2999-01-01 .*no .*retained$" "$T/status.out" || die "future not retained"
grep -q "c.tar.zst .*2001-01-01 .*yes .*held$" "$T/status.out" || die "hold not held"
ok "status"
