#!/usr/bin/env python3
"""mkseed.py: turn a real .hsp profile into a compact fuzz seed.

A profile is a sparse file (about 2 MB, a few KB of it not zero); the seed
is "HSPZ", the file size (u32), then {u32 offset, u16 length, bytes} for
each run of non-zero bytes (runs closer than GAP bytes are merged), the
form tests/fuzz/fuzz_profile.c expands back into the same file.

usage: mkseed.py PROFILE SEED [MAX_BYTES]
Fails if the seed would exceed MAX_BYTES (default 65535): use a smaller
program. Never modifies PROFILE.
"""
import struct
import sys

GAP = 32


def runs(data):
    i, n = 0, len(data)
    while i < n:
        while i < n and data[i] == 0:
            i += 1
        if i >= n:
            break
        start = end = i
        while i < n:
            if data[i]:
                end = i + 1
                i += 1
            elif i - end >= GAP:
                break
            else:
                i += 1
        while end - start > 0xFFFF:
            yield start, data[start:start + 0xFFFF]
            start += 0xFFFF
        yield start, data[start:end]


def main():
    src, dst = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 65535
    data = open(src, "rb").read()
    out = bytearray(b"HSPZ" + struct.pack("<I", len(data)))
    for off, chunk in runs(data):
        out += struct.pack("<IH", off, len(chunk)) + chunk
    if len(out) > limit:
        sys.exit("mkseed: %s gives a %d-byte seed, more than %d" % (src, len(out), limit))
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main()
