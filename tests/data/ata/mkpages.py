#!/usr/bin/env python3
# mkpages.py - write the IDENTIFY DEVICE / DCO IDENTIFY / SMART pages of the ATA unit tests, byte for byte.
# The pages are laid out from ACS-3 (word numbers below), not dumped from real drives;
# the identities are invented. Run from this directory: python3 mkpages.py
import struct

def page():
    return [0] * 256

def ata_str(words, first, n, text):
    # two characters a word, the first in the high byte; padded with spaces
    t = text.ljust(2 * n)[:2 * n].encode('ascii')
    for i in range(n):
        words[first + i] = t[2 * i] << 8 | t[2 * i + 1]

def put32(words, first, v):
    words[first] = v & 0xffff
    words[first + 1] = v >> 16 & 0xffff

def put64(words, first, v):
    for i in range(4):
        words[first + i] = v >> (16 * i) & 0xffff

def finish(words, integrity=True):
    b = bytearray(struct.pack('<256H', *words))
    if integrity:
        b[510] = 0xa5
        b[511] = (-sum(b[:511])) & 0xff   # word 255: A5h and a checksum making the sum zero
    else:
        b[510] = b[511] = 0
    assert len(b) == 512
    return bytes(b)

def common(w, model, serial, fw, sectors, lba48=True):
    w[0] = 0x0040                      # ATA device, fixed
    ata_str(w, 10, 10, serial)
    ata_str(w, 23, 4, fw)
    ata_str(w, 27, 20, model)
    w[47] = 0x8010
    w[49] = 0x0f00                     # LBA, DMA, IORDY
    w[53] = 0x0007
    put32(w, 60, min(sectors, 0x0fffffff))
    w[80] = 0x07f0                     # ATA8-ACS .. ACS-3
    w[82] = 0x4000                     # valid word, features filled in per drive
    w[83] = 0x4000 | (1 << 10 if lba48 else 0)
    w[84] = 0x4000
    w[85] = 0x0000
    w[86] = (1 << 10 if lba48 else 0)
    w[87] = 0x4000
    w[106] = 0x4000
    w[119] = 0x4000
    w[120] = 0x4000
    if lba48:
        put64(w, 100, sectors)

def wwn(w, v):
    w[84] |= 1 << 8
    w[87] |= 1 << 8
    for i in range(4):
        w[108 + i] = v >> (16 * (3 - i)) & 0xffff

pages = {}

# SATA SSD: SANITIZE crypto scramble + block erase (no overwrite), security with enhanced erase, SMART
w = page()
common(w, 'FAKE SATA SSD 480GB', 'S2FAKE0000000001', 'FW01', 937703088)
w[59] = 0x0100 | 1 << 12 | 1 << 13 | 1 << 15 | 1 << 10
w[82] |= 1 << 0 | 1 << 1 | 1 << 10
w[83] |= 1 << 11
w[85] |= 1 << 0 | 1 << 10
w[86] |= 1 << 11
w[89] = 0x0001                         # 2 minutes
w[90] = 0x0001
w[128] = 0x0021                        # supported, enhanced erase supported
w[169] = 0x0001
w[217] = 0x0001                        # non-rotating
wwn(w, 0x5002538e40a1b2c3)
pages['ssd-sanitize.bin'] = finish(w)

# HDD: no SANITIZE, security erase (normal and enhanced, 360 and 380 min), HPA and DCO, SMART
w = page()
common(w, 'FAKE HDD 2TB 7200RPM', 'Z1FAKE02', 'CC43', 3906000000)
w[59] = 0x0110
w[82] |= 1 << 0 | 1 << 1 | 1 << 10
w[83] |= 1 << 11
w[85] |= 1 << 0 | 1 << 10
w[86] |= 1 << 11
w[89] = 0x00b4                         # 360 minutes
w[90] = 0x00be                         # 380 minutes
w[128] = 0x0021
w[217] = 7200
wwn(w, 0x5000c500a1b2c3d4)
pages['hdd-hpa.bin'] = finish(w)

# SSD whose security was frozen by the firmware at boot; SANITIZE crypto + block + overwrite
w = page()
common(w, 'FAKE FROZEN SSD 256GB', 'FRZ0000000000003', 'FW02', 500118192)
w[59] = 0x0100 | 1 << 12 | 1 << 13 | 1 << 14 | 1 << 15
w[82] |= 1 << 0 | 1 << 1
w[85] |= 1 << 0
w[89] = 0x8001                         # extended format: 2 minutes
w[90] = 0x8001
w[128] = 0x0029                        # supported, frozen, enhanced
w[217] = 0x0001
pages['frozen.bin'] = finish(w)

# HDD locked by a password set before (enabled + locked)
w = page()
common(w, 'FAKE LOCKED HDD 1TB', 'LCK00004', 'LK01', 1953525168)
w[82] |= 1 << 0 | 1 << 1
w[85] |= 1 << 0 | 1 << 1
w[89] = 0x0060
w[128] = 0x0027                        # supported, enabled, locked, enhanced
w[217] = 5400
pages['locked.bin'] = finish(w)

# An old 28-bit drive with none of it (no sanitize, security, SMART, HPA; no integrity word)
w = page()
common(w, 'FAKE OLD PATA 40GB', 'OLD00005', 'V1.0', 78165360, lba48=False)
w[82] = 0x4000
w[83] = 0x4000
w[217] = 0
pages['none.bin'] = finish(w, integrity=False)

# DCO IDENTIFY of the HDD: maximum LBA 3907029167 (words 3-6), revision 2
w = page()
w[0] = 0x0002
w[1] = 0x0007
w[2] = 0x007f
put64(w, 3, 3907029168 - 1)
w[7] = 0x01ff
pages['hdd-dco.bin'] = finish(w)

# SMART READ DATA: revision 10; attributes 1, 5 (12 reallocated), 9 (20000 h), 197 (3 pending)
b = bytearray(512)
b[0:2] = struct.pack('<H', 10)
attrs = [(1, 0x000f, 100, 100, 0), (5, 0x0033, 98, 98, 12), (9, 0x0032, 77, 77, 20000),
         (194, 0x0022, 36, 55, 36), (197, 0x0012, 100, 100, 3), (198, 0x0010, 100, 100, 0)]
for i, (aid, flags, val, worst, raw) in enumerate(attrs):
    e = 2 + 12 * i
    b[e] = aid
    b[e + 1:e + 3] = struct.pack('<H', flags)
    b[e + 3] = val
    b[e + 4] = worst
    b[e + 5:e + 11] = raw.to_bytes(6, 'little')
b[362] = 0x82
b[511] = (-sum(b[:511])) & 0xff
pages['smart.bin'] = bytes(b)

for name, data in pages.items():
    with open(name, 'wb') as f:
        f.write(data)
