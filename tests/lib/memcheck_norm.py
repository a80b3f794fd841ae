#!/usr/bin/env python3
# memcheck_norm.py LOG: a memcheck-shaped log (valgrind's or heapspy's) as
# the lines both must agree on, for t1028/t1031: "==PID== " dropped, the
# program's own output and the banners dropped, every hex address masked
# (0x?), frames inside the checker itself dropped (valgrind's "malloc (in
# vgpreload_memcheck...)": heapspy's stacks start at the caller), "at"/"by"
# both written "fr" (so the first frame left compares with the first),
# runs of blank lines squeezed. --first-error: only the first error.
import re
import sys

lines = []
for raw in open(sys.argv[1], errors="replace"):
    m = re.match(r"^==\d+== ?(.*)$", raw.rstrip("\n"))
    if not m:
        continue
    t = m.group(1)
    if re.match(r"(Memcheck, a memory|Copyright|Using Valgrind|heapspy \S+, memcheck|Command:|"
                r"For lists of detected|For counts of detected)", t):
        continue
    if re.match(r"\s+(at|by) ", t) and re.search(r"\(in /[^)]*\)$", t):
        continue
    t = re.sub(r"0x[0-9A-Fa-f]+", "0x?", t)
    t = re.sub(r"^(\s+)(at|by) ", r"\1fr ", t)
    if not t.strip():
        if not lines or lines[-1] == "":
            continue
        t = ""
    lines.append(t)
if "--first-error" in sys.argv[2:]:
    lines = lines[: lines.index("")] if "" in lines else lines
print("\n".join(lines))
