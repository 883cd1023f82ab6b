#!/usr/bin/env python3
# craft_bag.py - hand-made hostile bags for the archive tests: a well-formed
# bag (tar in zstd, manifests that match) plus one crafted entry that a tar
# reader hands back in a way verify and extract might read differently.
#   craft_bag.py OUT KIND [--encrypt CERT.pem]
# With --encrypt, OUT is the AES-256-GCM ciphertext and OUT.cms its detached
# envelope, made with stock `openssl cms` (the content cut out of the DER).
import hashlib, subprocess, sys, time

MTIME = int(time.time())


def header(name, typ, size=0, mode=0o644, link=b''):
    h = bytearray(512)
    name = name.encode() if isinstance(name, str) else name
    link = link.encode() if isinstance(link, str) else link
    h[0:len(name[:100])] = name[:100]
    h[100:108] = b'%07o\0' % mode
    h[108:116] = b'0000000\0'
    h[116:124] = b'0000000\0'
    h[124:136] = b'%011o\0' % size
    h[136:148] = b'%011o\0' % MTIME
    h[148:156] = b' ' * 8
    h[156] = ord(typ)
    h[157:157 + len(link[:100])] = link[:100]
    h[257:263] = b'ustar\0'
    h[263:265] = b'00'
    h[148:156] = b'%06o\0 ' % sum(h)
    return bytes(h)


def pad(data):
    return data + b'\0' * (-len(data) % 512)


def pax(records):
    body = b''
    for k, v in records.items():
        v = v.encode() if isinstance(v, str) else v
        rest = b' %s=%s\n' % (k.encode(), v)
        n = len(rest) + 1
        while len(str(n)) + len(rest) != n:
            n += 1
        body += str(n).encode() + rest
    return header('PaxHeader', 'x', len(body)) + pad(body)


def entry(name, typ='0', data=b'', mode=0o644, link='', paxrec=None, size=None):
    out = pax(paxrec) if paxrec else b''
    return out + header(name, typ, len(data) if size is None else size, mode, link) + pad(data)


def digest_lines(items):
    return ''.join('%s  %s\n' % (hashlib.sha512(v).hexdigest(), k) for k, v in items).encode()


def build(kind):
    payload = [('data/ok.txt', b'fine\n'), ('data/sub/two.txt', b'second\n')]
    body = [entry('bag/', '5', mode=0o755), entry('bag/data/', '5', mode=0o755),
            entry('bag/data/ok.txt', data=b'fine\n'),
            entry('bag/data/sub/', '5', mode=0o755),
            entry('bag/data/sub/two.txt', data=b'second\n')]
    info_lines = 'Retain-Until: 2031-12-31\nLegal-Hold: true\n'
    tail = []		# entries after the tag files
    extra_tags = []	# tag files outside data/, also put in the tag manifest
    tagmanifest = True
    alter_info = None
    if kind == 'hardlink-data':	# pax hard link with a body: written through the link
        body.append(entry('bag/data/link.txt', '1', b'EVIL\n', link='bag/data/ok.txt',
                          paxrec={'size': '5'}))
        payload.append(('data/link.txt', b'fine\n'))
    elif kind == 'hardlink-data-tag':	# the same onto bag-info.txt, after it was read
        tail.append(entry('bag/zz', '1', b'Legal-Hold: false\n', link='bag/bag-info.txt',
                          paxrec={'size': '18'}))
    elif kind == 'pax-linkpath':	# a regular file made a hard link by pax linkpath
        body.append(entry('bag/data/copy.txt', '0', b'EVIL\n',
                          paxrec={'linkpath': 'bag/data/ok.txt'}))
        payload.append(('data/copy.txt', b'fine\n'))
    elif kind == 'gnu-longlink':	# the same by a GNU 'K' long link name
        long = 'bag/data/' + 'l' * 120 + '.txt'
        body.append(entry(long, data=b'long\n', paxrec={'path': long}))
        payload.append((long[4:], b'long\n'))
        body.append(header('././@LongLink', 'K', len(long) + 1) + pad(long.encode() + b'\0'))
        body.append(header('bag/data/k.txt', '0', 5) + pad(b'EVIL\n'))
        payload.append(('data/k.txt', b'long\n'))
    elif kind == 'dumpdir':	# a GNU dumpdir: a directory with a body
        body.append(entry('bag/data/dd', 'D', b'YEVIL\0\0'))
    elif kind == 'mode-fifo':	# type taken from the mode field: a FIFO with data
        body.append(entry('bag/data/ff', 'M', b'EVIL\n', mode=0o010644))
    elif kind == 'untracked-tag':	# a file outside data/ that no manifest lists
        tail.append(entry('bag/run.sh', data=b'#!/bin/sh\necho EVIL\n', mode=0o755))
    elif kind == 'no-tagmanifest':	# bag-info.txt pinned by nothing
        tagmanifest = False
        alter_info = 'Retain-Until: 2001-01-01\nLegal-Hold: false\n'
    elif kind == 'dup-symlink':	# a file, then a symlink under the same name
        body.append(entry('bag/data/ok.txt', '2', link='sub/two.txt'))
    elif kind == 'file-parent':	# a file, then an entry below it
        body.append(entry('bag/data/ok.txt/x', data=b'EVIL\n'))
        payload.append(('data/ok.txt/x', b'EVIL\n'))
    elif kind == 'dir-over-file':
        body.append(entry('bag/data/ok.txt/', '5', mode=0o755))
    elif kind == 'file-over-dir':	# a directory implied by a file, then a file
        body.append(entry('bag/data/sub', data=b'EVIL\n'))
    elif kind == 'baginfo-repeat':	# Legal-Hold given twice
        info_lines = 'Retain-Until: 2031-12-31\nLegal-Hold: true\nLegal-Hold: false\n'
    elif kind == 'baginfo-altered':	# bag-info.txt no longer matches the tag manifest
        alter_info = 'Retain-Until: 2001-01-01\nLegal-Hold: false\n'
    elif kind == 'sparse-overlap':	# a sparse map whose regions overlap
        body.append(entry('bag/data/sp', '0', b'AAAABBBB',
                          paxrec={'GNU.sparse.major': '0', 'GNU.sparse.minor': '1',
                                  'GNU.sparse.name': 'bag/data/sp', 'GNU.sparse.size': '8',
                                  'GNU.sparse.map': '0,4,2,4'}))
        payload.append(('data/sp', b'AABBBB\0\0'))
    elif kind == 'dir-after':	# fine: a directory named after what lies in it, and twice
        body.append(entry('bag/data/sub/', '5', mode=0o700))
    elif kind == 'metadata':	# xattrs, ACLs and file flags: in no manifest
        acl = 'user::rw-,user:nobody:rwx,group::r--,mask::rwx,other::r--'
        body.append(entry('bag/data/x.txt', data=b'x\n', paxrec={
            'SCHILY.xattr.user.evil': 'payload', 'SCHILY.xattr.trusted.evil': 'payload',
            'LIBARCHIVE.xattr.user.b64': 'cGF5bG9hZA', 'SCHILY.acl.access': acl}))
        body.append(entry('bag/data/imm.txt', data=b'i\n', paxrec={'SCHILY.fflags': 'schg'}))
        body.append(entry('bag/data/app.txt', data=b'a\n', paxrec={'SCHILY.fflags': 'sappnd'}))
        body.append(entry('bag/data/d/', '5', mode=0o755, paxrec={
            'SCHILY.fflags': 'schg', 'SCHILY.acl.default': acl.replace('rw-', 'rwx', 1)}))
        payload += [('data/x.txt', b'x\n'), ('data/imm.txt', b'i\n'), ('data/app.txt', b'a\n')]
    elif kind != 'clean':
        sys.exit('craft_bag.py: %s: unknown kind' % kind)
    oxum = '%d.%d' % (sum(len(v) for _, v in payload), len(payload))
    info = ('Payload-Oxum: %s\n%s' % (oxum, info_lines)).encode()
    bagit = b'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n'
    man = digest_lines(payload)
    tags = [('bagit.txt', bagit), ('bag-info.txt', info), ('manifest-sha512.txt', man)] + extra_tags
    if alter_info is not None:
        info = ('Payload-Oxum: %s\n%s' % (oxum, alter_info)).encode()
    out = b''.join(body)
    out += entry('bag/bagit.txt', data=bagit) + entry('bag/bag-info.txt', data=info)
    out += entry('bag/manifest-sha512.txt', data=man)
    if tagmanifest:
        out += entry('bag/tagmanifest-sha512.txt', data=digest_lines(tags))
    out += b''.join(tail)
    return out + b'\0' * 1024


# DER surgery: openssl writes the ciphertext inside the envelope; ours is detached
def tlv(b, i):
    t, n = b[i], b[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[i:i + k], 'big')
        i += k
    return t, i, n


def children(b):
    out, i = [], 0
    while i < len(b):
        t, s, n = tlv(b, i)
        out.append((t, b[s:s + n]))
        i = s + n
    return out


def enc(t, c):
    n = len(c)
    k = (n.bit_length() + 7) // 8
    return bytes([t]) + (bytes([n]) if n < 128 else bytes([0x80 | k]) + n.to_bytes(k, 'big')) + c


def detach(der):
    t, s, n = tlv(der, 0)
    (oid_t, oid), (x_t, x) = children(der[s:s + n])
    (s_t, seq), = children(x)
    parts, ct = children(seq), None
    for k, (pt, pc) in enumerate(parts):
        sub = children(pc) if pt == 0x30 else []
        if any(st == 0x80 for st, _ in sub):
            ct = [sc for st, sc in sub if st == 0x80][0]
            parts[k] = (pt, b''.join(enc(st, sc) for st, sc in sub if st != 0x80))
    inner = enc(s_t, b''.join(enc(pt, pc) for pt, pc in parts))
    return enc(t, enc(oid_t, oid) + enc(x_t, inner)), ct


def main():
    out, kind = sys.argv[1], sys.argv[2]
    z = subprocess.run(['zstd', '-q', '-c'], input=build(kind), stdout=subprocess.PIPE,
                       check=True).stdout
    if len(sys.argv) == 5 and sys.argv[3] == '--encrypt':
        der = subprocess.run(['openssl', 'cms', '-encrypt', '-binary', '-aes-256-gcm',
                              '-outform', 'DER', '-recip', sys.argv[4]], input=z,
                             stdout=subprocess.PIPE, check=True).stdout
        env, z = detach(der)
        open(out + '.cms', 'wb').write(env)
    open(out, 'wb').write(z)


main()
