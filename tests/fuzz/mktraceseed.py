#!/usr/bin/env python3
"""mktraceseed.py TRACE OUT: a fuzz seed from a real PROFILE.trace.

Packed traces are copied as they are. Raw traces (the spy's, before
`heapspy run` packs them) hold 64 KiB chunks mostly empty: each chunk's
room (cap) is shrunk to the bytes it uses, which the reader accepts, so
the seed stays small and its mutations land on real events."""
import struct, sys

HDR, CH = 4096, 64
d = open(sys.argv[1], "rb").read()
used = struct.unpack_from("<Q", d, 40)[0]
flags = struct.unpack_from("<I", d, 20)[0]
if flags & 1:                                   # HST_FLAG_PACKED
    out = d[:used]
else:
    out, pos = bytearray(d[:HDR]), HDR
    while pos + CH <= used:
        magic, tid, cap, nused = struct.unpack_from("<IiII", d, pos)
        ch = bytearray(d[pos:pos + CH])
        struct.pack_into("<I", ch, 8, nused)    # cap = used
        out += ch + d[pos + CH:pos + CH + nused]
        pos += CH + cap
    struct.pack_into("<QQ", out, 32, len(out), len(out))   # file_size, used
open(sys.argv[2], "wb").write(bytes(out))
