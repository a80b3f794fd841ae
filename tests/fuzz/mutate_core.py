#!/usr/bin/python3
"""tests/fuzz/mutate_core.py: hostile core files for `heapspy heap CORE`
(issue 19, "hostile inputs"), made from one real core by a seeded PRNG,
so a failing case is reproduced by its seed alone.

usage: mutate_core.py CORE HEAP_JSON BLOCKS FIRST_SEED COUNT -- HEAPSPY_COMMAND...

CORE is damaged in place and restored after each run (cores are hundreds
of MB: only the damaged words are written; a truncation is undone by
copying the tail back). HEAP_JSON is `heapspy heap --format json CORE` of
the intact core: its arenas tell where glibc's bookkeeping lives; BLOCKS
is `heapspy heap --blocks CORE` (ADDR USABLE lines): where chunk headers
are. For each
seed the command is run with the core path appended, under a 20 s timeout,
and one line is printed:

  seed S kind K: DAMAGE -> status R in T ms, P problems; FIRST STDERR LINE

Each seed applies one kind of damage (seed % 8), chosen to reach the
reader's loops and bounds rather than to be merely random:
  0  a free list that loops: an arena's bin or fastbin pointer aimed at
     an in-use chunk whose fd and bk point back at itself
  1  an in-use chunk's size absurd: 0, misaligned, 2^63, past the heap's
     end, ~0
  2  the arena list in a cycle, or next aimed at an unmapped address
  3  the top chunk pointer and system_mem set to nonsense
  4  32 heap words aimed into the heap (half safe-linked, as tcache
     entries are: ptr ^ (addr >> 12))
  5  the core truncated at a random length
  6  16 random bytes in the ELF and program headers and the notes
  7  a program header's file offset or size pushed past the end of the file
Offsets are glibc 2.36's malloc_state (src/inspect/glibc_layout.h).
"""
import json
import os
import random
import resource
import struct
import subprocess
import sys
import time

MS_FASTBINS, MS_TOP, MS_NEXT, MS_SYSTEM_MEM = 0x10, 0x60, 0x870, 0x888
U64 = 0xFFFFFFFFFFFFFFFF


class Core:
    """The core file, patched in place and restored after each run."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_RDWR)
        self.size = os.fstat(self.fd).st_size
        self.saved = []
        self.cut = None
        head = os.pread(self.fd, 64, 0)
        phoff, = struct.unpack_from("<Q", head, 0x20)
        self.phentsize, self.phnum = struct.unpack_from("<HH", head, 0x36)
        self.phoff = phoff
        self.segs = []  # (vaddr, offset, filesz) of the PT_LOAD headers
        table = os.pread(self.fd, self.phentsize * self.phnum, phoff)
        for i in range(self.phnum):
            p_type, _, off, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", table, i * self.phentsize)
            if p_type == 1:
                self.segs.append((vaddr, off, filesz))

    def offset(self, addr):
        for vaddr, off, filesz in self.segs:
            if vaddr <= addr and addr + 8 <= vaddr + filesz:
                return off + addr - vaddr
        return None

    def write_at(self, off, data):
        if 0 <= off and off + len(data) <= self.size:
            self.saved.append((off, os.pread(self.fd, len(data), off)))
            os.pwrite(self.fd, data, off)

    def put(self, addr, value):
        off = self.offset(addr)
        if off is not None:
            self.write_at(off, struct.pack("<Q", value & U64))

    def get(self, addr):
        off = self.offset(addr)
        return None if off is None else struct.unpack("<Q", os.pread(self.fd, 8, off))[0]

    def truncate(self, n, tail_copy):
        """Cuts the file at n; tail_copy is where the cut bytes are kept."""
        with open(tail_copy, "wb") as t:
            pos = n
            while pos < self.size:
                chunk = os.pread(self.fd, 1 << 22, pos)
                t.write(chunk)
                pos += len(chunk)
        os.ftruncate(self.fd, n)
        self.cut = (n, tail_copy)

    def restore(self):
        for off, data in reversed(self.saved):
            os.pwrite(self.fd, data, off)
        self.saved = []
        if self.cut:
            n, tail_copy = self.cut
            with open(tail_copy, "rb") as t:
                pos = n
                while True:
                    chunk = t.read(1 << 22)
                    if not chunk:
                        break
                    os.pwrite(self.fd, chunk, pos)
                    pos += len(chunk)
            os.unlink(tail_copy)
            self.cut = None


def damage(core, arenas, chunks, rng, kind):
    """Applies one damage of KIND; returns what it did, in words."""
    main_arena = arenas[0]
    top = core.get(main_arena + MS_TOP) or 0
    lo, _, n = next(((v, o, s) for v, o, s in core.segs if v <= top < v + s), core.segs[0])

    def heap_addr():
        return rng.randrange(lo, lo + n - 64) & ~15

    if kind == 0:
        a = rng.choice(arenas)
        slot = a + MS_FASTBINS + 8 * rng.randrange(0, 10 + 2 + 254)
        target = rng.choice(chunks)
        core.put(slot, target)
        core.put(target + 0x10, target)
        core.put(target + 0x18, target)
        return "free list loop at arena 0x%x + 0x%x" % (a, slot - a)
    if kind == 1:
        c = rng.choice(chunks)
        val = rng.choice([0, 0x11, 1 << 63 | 1, (lo + n - c + 0x1000) & U64 | 1, U64 & ~15])
        core.put(c + 8, val)
        return "chunk size 0x%x at 0x%x" % (val, c)
    if kind == 2:
        a = rng.choice(arenas)
        nxt = rng.choice([a, main_arena, 0x10, 0xdead0000, rng.choice(arenas)])
        core.put(a + MS_NEXT, nxt)
        return "arena 0x%x: next = 0x%x" % (a, nxt)
    if kind == 3:
        a = rng.choice(arenas)
        core.put(a + MS_TOP, rng.choice([0, 1, heap_addr() + 8, 0x7fffffffffff]))
        core.put(a + MS_SYSTEM_MEM, rng.choice([0, 1 << 62, U64]))
        return "arena 0x%x: top and system_mem" % a
    if kind == 4:
        for _ in range(32):
            at = heap_addr() + rng.choice([0, 8, 16, 24])
            p = heap_addr() + 16
            core.put(at, p ^ (at >> 12) if rng.random() < 0.5 else p)
        return "32 heap words aimed into the heap"
    if kind == 5:
        cut = rng.randrange(64, core.size)
        core.truncate(cut, core.path + ".tail")
        return "truncated to %d of %d bytes" % (cut, core.size)
    if kind == 6:
        for _ in range(16):
            core.write_at(rng.randrange(0, min(core.size, 65536)), bytes([rng.randrange(256)]))
        return "16 random bytes in the headers and notes"
    i = rng.randrange(core.phnum)
    field = rng.choice([8, 32])  # p_offset, p_filesz
    core.write_at(core.phoff + i * core.phentsize + field,
                  struct.pack("<Q", rng.choice([core.size + 4096, 1 << 62, U64])))
    return "program header %d: %s past the file" % (i, "offset" if field == 8 else "size")


def limit_memory():
    # 4 GiB of address space: a reader that believes an absurd size and
    # allocates for it fails here instead of swapping the machine
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def main():
    sep = sys.argv.index("--")
    path, heap_json, blocks, first, count = sys.argv[1:6]
    command = sys.argv[sep + 1:]
    info = json.load(open(heap_json))
    arenas = [int(a["address"], 16) if isinstance(a["address"], str) else a["address"]
              for a in info["arenas"]]
    chunks = [int(line.split()[0], 16) - 16 for line in open(blocks)]
    core = Core(path)
    for seed in range(int(first), int(first) + int(count)):
        rng = random.Random(seed)
        kind = seed % 8
        what = damage(core, arenas, chunks, rng, kind)
        t0 = time.monotonic()
        try:
            r = subprocess.run(command + [path], capture_output=True, timeout=20,
                               preexec_fn=limit_memory)
            status, out, err = r.returncode, r.stdout, r.stderr
        except subprocess.TimeoutExpired:
            status, out, err = "timeout", b"", b""
        ms = int((time.monotonic() - t0) * 1000)
        core.restore()
        problems = out.count(b"corrupt")
        first_err = err.decode(errors="replace").split("\n")[0]
        print("seed %d kind %d: %s -> status %s in %d ms, %d problems, %d stderr lines; %s" % (
            seed, kind, what, status, ms, problems, err.count(b"\n"), first_err), flush=True)


if __name__ == "__main__":
    main()
