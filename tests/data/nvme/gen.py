#!/usr/bin/env python3
# gen.py - writes the NVMe pages the sanitize unit tests parse, byte for byte
# from the NVMe 2.0 base specification layout (Identify Controller, Identify
# Namespace: NVM command set 2.0; SMART / Health log 02h). They are
# synthesized, not read from hardware: the field offsets are the spec's, the
# values are chosen per test. id-ctrl-qemu.bin mirrors what QEMU's emulated
# controller reports (hw/nvme/ctrl.c nvme_init_ctrl: SANICAP 0, FNA 0, OACS
# NMS|FORMAT|DIRECTIVES|SECURITY|DBCS). Run from this directory; the .bin
# files are committed so tests never need Python.
import struct

def put(b, off, fmt, *v):
    struct.pack_into('<' + fmt, b, off, *v)

def ascii(b, off, n, s):
    b[off:off + n] = s.encode().ljust(n, b' ')

def id_ctrl(vid, ssvid, sn, mn, fr, oacs, sanicap, fna, ver=0x00020000, nn=1, oui=(0, 0, 0)):
    b = bytearray(4096)
    put(b, 0, 'H', vid)           # 1:0 VID
    put(b, 2, 'H', ssvid)         # 3:2 SSVID
    ascii(b, 4, 20, sn)           # 23:4 SN
    ascii(b, 24, 40, mn)          # 63:24 MN
    ascii(b, 64, 8, fr)           # 71:64 FR
    b[72] = 6                     # RAB
    b[73:76] = bytes(oui)         # IEEE OUI
    b[77] = 7                     # MDTS
    put(b, 78, 'H', 0)            # CNTLID
    put(b, 80, 'I', ver)          # VER
    put(b, 256, 'H', oacs)        # 257:256 OACS
    b[258] = 3                    # ACL
    b[259] = 3                    # AERL
    b[260] = 0x03                 # FRMW
    b[261] = 0x0e                 # LPA
    put(b, 266, 'H', 0x157)       # WCTEMP
    put(b, 268, 'H', 0x175)       # CCTEMP
    put(b, 328, 'I', sanicap)     # 331:328 SANICAP
    b[512] = 0x66                 # SQES
    b[513] = 0x44                 # CQES
    put(b, 516, 'I', nn)          # 519:516 NN
    put(b, 520, 'H', 0x005f)      # ONCS
    b[524] = fna                  # FNA
    b[525] = 0x01                 # VWC
    nqn = ('nqn.2014-08.org.nvmexpress:uuid:' + sn.strip()).encode()
    b[768:768 + len(nqn)] = nqn   # SUBNQN
    put(b, 2048, 'H', 0x9c4)      # PSD0 MP
    return b

def id_ns(nsze, flbas, dps, lbafs, nguid=bytes(16), eui64=bytes(8)):
    b = bytearray(4096)
    b[104:120] = nguid            # NGUID
    b[120:128] = eui64            # EUI64
    put(b, 0, 'Q', nsze)          # NSZE
    put(b, 8, 'Q', nsze)          # NCAP
    put(b, 16, 'Q', nsze)         # NUSE
    b[25] = len(lbafs) - 1        # NLBAF (0's based)
    b[26] = flbas                 # FLBAS
    b[27] = 0x03 if dps else 0    # MC
    b[28] = 0x1f if dps else 0    # DPC
    b[29] = dps                   # DPS
    for i, (ms, lbads, rp) in enumerate(lbafs):   # LBA formats from byte 128
        put(b, 128 + 4 * i, 'I', ms | lbads << 16 | rp << 24)
    return b

def health(cw, temp_k, spare, spare_thr, used, dur, duw, hrc, hwc, pc, poh, unsafe, merr, nerr):
    b = bytearray(512)
    b[0] = cw
    put(b, 1, 'H', temp_k)
    b[3] = spare
    b[4] = spare_thr
    b[5] = used
    for off, v in ((32, dur), (48, duw), (64, hrc), (80, hwc), (112, pc), (128, poh),
                   (144, unsafe), (160, merr), (176, nerr)):
        put(b, off, 'Q', v & (2**64 - 1))
        put(b, off + 8, 'Q', v >> 64)
    put(b, 200, 'H', temp_k)      # temperature sensor 1
    return b

pages = {
    # crypto and block sanitize, NDI clear, NODMMAS 01b; FNA: crypto erase, formats all namespaces
    'id-ctrl-crypto-block.bin': id_ctrl(0x144d, 0x144d, 'S64ANS0T512345', 'DISPOSE TEST NVME CRYPTO BLOCK',
                                        'GDC5302Q', 0x005f, 0x40000003, 0x05, oui=(0x38, 0x25, 0x00)),
    # every sanitize action, but No-Deallocate inhibited (NDI), NODMMAS 10b
    'id-ctrl-all-ndi.bin': id_ctrl(0x1e0f, 0x1e0f, 'X9TEST000000000000A', 'DISPOSE TEST NVME ALL NDI',
                                   '0106', 0x0016, 0xa0000007, 0x04, nn=32),
    # no sanitize, no format (OACS without bit 1), FNA 0
    'id-ctrl-none.bin': id_ctrl(0x1c5c, 0x1c5c, 'NONE0000000000000001', 'DISPOSE TEST NVME NONE',
                                '1.0', 0x0004, 0x00000000, 0x00, ver=0x00010300),
    # QEMU 10.0's emulated controller (serial=dispose1)
    'id-ctrl-qemu.bin': id_ctrl(0x1b36, 0x1af4, 'dispose1', 'QEMU NVMe Ctrl', '10.0.2',
                                0x012b, 0x00000000, 0x00, ver=0x00010400, nn=256, oui=(0x00, 0x54, 0x52)),
    # 2 GiB of 4 KiB blocks: LBA format 1 in use
    'id-ns-lbaf1.bin': id_ns(524288, 0x01, 0x00, [(0, 9, 2), (0, 12, 0)],
                             eui64=bytes.fromhex('002538b111b22c33')),
    # LBA format 17 (FLBAS 6:5 = 01b, 3:0 = 1), metadata at the end of each LBA (MSET),
    # PI type 1 first in the metadata (DPS 0x09)
    'id-ns-lbaf17-pi.bin': id_ns(1048576, 0x31, 0x09, [(0, 9, 2)] * 17 + [(8, 12, 0), (0, 12, 0)],
                                 nguid=bytes.fromhex('6479a74c8a2b0c1d002538b111b22c34'),
                                 eui64=bytes.fromhex('002538b111b22c34')),
    'health-ok.bin': health(0x00, 308, 100, 10, 3, 1234567, 7654321, 99887766, 55443322,
                            412, 8123, 17, 0, 2),
    # spare below threshold and reliability degraded, worn out, media errors; a counter > 2^64
    'health-failing.bin': health(0x05, 345, 4, 10, 103, 2**64 + 5, 900000000, 1, 2, 9001, 43800,
                                 250, 1337, 4096),
}

for name, data in pages.items():
    with open(name, 'wb') as f:
        f.write(data)
