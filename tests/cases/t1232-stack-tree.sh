#!/usr/bin/env bash
# t1232-stack-tree: stacks stored as paths in a tree of frame nodes
# (issue 20 item 7; profile version 16). The test program stacktree.c
# allocates from N distinct 24-deep stacks whose frames spell the bits of
# the leaf's number i (right() for a 1, left() for a 0), so every stack's
# frames and counters are known from the program alone:
#  - N = 1000, KEEP = 3: `report --hotspots --format json` lists exactly
#    the N stacks; each one's frames, innermost first, are the recursion
#    path of its i then main; it made 1 + i % 3 allocations of 16 + 8 *
#    (i % 4) bytes and holds one such block at exit iff i % 3 == 0. The
#    function names are those addr2line (binutils, the peer) gives for the
#    frames' pcs.
#  - N = 100000, KEEP = 0: the profile's records (arena_used, the header's
#    word at byte 24) grow by under 200 bytes a stack over an N = 1 run.
#    The design's worst case for this program: an 80-byte stack record, its
#    8-byte index slot at a load between 1/4 and 1/2 (up to 32 bytes) plus
#    the index tables outgrown and released (up to 32 more), and the new
#    frame nodes: 3 of 16 bytes a stack (level 0 and level 1 frames are
#    unique to a leaf, level k >= 2 is shared by 2^(k-1) leaves:
#    N + N + N/2 + N/4 + ... = 3N) = 192. Before version 16 each stack
#    held its 28 pcs in a cache-line-rounded record: 449 bytes a stack.
source "$(dirname "$0")/../lib/tap.sh"
plan 9

PROG="$TESTBIN/stacktree"
check "stacktree is built (make test-programs)" test -x "$PROG"

"$HEAPSPY" run -q -o small.hsp -- "$PROG" 1000 3 >/dev/null 2>run.err
is "$?" 0 "heapspy run: exit status 0"
"$HEAPSPY" report --hotspots --max-sites 100000 --format json small.hsp >hot.json
is "$?" 0 "report --hotspots --format json: exit status 0"

# Prints one line per fact; the program's expectation is computed here.
cat >check.py <<'EOF'
import json, sys
N, KEEP, DEPTH = 1000, 3, 24
j = json.load(open(sys.argv[1]))
stacks = j["hotspots"]["by_calls"]
seen, bad, offsets = set(), [], set()
for s in stacks:
    frames = [f for f in s["stack"] if not f.get("inlined")]
    names = [f.get("function") for f in frames]
    if "left" not in names and "right" not in names:
        continue
    path = names[:DEPTH]
    if names[DEPTH:DEPTH + 1] != ["main"] or any(n not in ("left", "right") for n in path):
        bad.append("frames " + " ".join(map(str, names[:DEPTH + 1]))); continue
    i = sum(1 << d for d, n in enumerate(path) if n == "right")
    size = 16 + 8 * (i % 4)
    allocs = 1 + i % 3
    inuse = size if i % KEEP == 0 else 0
    got = (s["allocs"], s["bytes"], s["in_use_bytes"], s["in_use_blocks"])
    want = (allocs, allocs * size, inuse, 1 if inuse else 0)
    if i >= N or i in seen or got != want:
        bad.append("leaf %d: got %s want %s%s" % (i, got, want, " (twice)" if i in seen else ""))
    seen.add(i)
    for f in frames[:DEPTH + 1]:
        offsets.add((f["offset"], f["function"]))
print("stacks", len(seen))
print("bad", len(bad), *bad[:3])
t = j["totals"]
print("totals", t["allocs"], t["bytes_allocated"] if "bytes_allocated" in t else "")
print("expected", sum(1 + i % 3 for i in range(N)),
      sum((1 + i % 3) * (16 + 8 * (i % 4)) for i in range(N)))
with open("offsets", "w") as o:
    for off, fn in sorted(offsets):
        o.write("%x %s\n" % (off - 1, fn))     # return address - 1: the call
EOF
python3 check.py hot.json >facts
is "$(grep '^stacks' facts)" "stacks 1000" "exactly the program's 1000 distinct stacks"
is "$(grep '^bad' facts)" "bad 0" "every stack's frames are its leaf's recursion path, its counters the leaf's"
totals=$(grep '^totals' facts | cut -d' ' -f2-)
expected=$(grep '^expected' facts | cut -d' ' -f2-)
is "$totals" "$expected" "allocation calls and bytes in total: the program's"

# The peer: addr2line names the same function for every frame's pc.
if command -v addr2line >/dev/null; then
  # -i lists the inlined calls first; the function that holds the pc last
  a2l=$(for off in $(cut -d' ' -f1 offsets); do
          addr2line -f -i -e "$PROG" "$off" | tail -2 | head -1; done)
  is "$a2l" "$(cut -d' ' -f2 offsets)" "addr2line names each frame's function as the report does"
else
  skip "addr2line names each frame's function as the report does" "addr2line not installed"
fi

# Profile size: records per stack, N = 100000 against N = 1.
"$HEAPSPY" run -q -o one.hsp -- "$PROG" 1 >/dev/null 2>&1
"$HEAPSPY" run -q -o big.hsp -- "$PROG" 100000 >/dev/null 2>&1
per=$(python3 -c '
import struct, sys
used = lambda p: struct.unpack_from("<Q", open(p, "rb").read(32), 24)[0]
print((used("big.hsp") - used("one.hsp")) // 99999)' 2>&1)
echo "# profile records: $per bytes a stack; file $(stat -c %s big.hsp) bytes"
check "under 200 bytes a stack in the profile (got $per)" test "$per" -lt 200 2>/dev/null
is "$("$HEAPSPY" report --format json big.hsp | python3 -c '
import json, sys; print(json.load(sys.stdin)["spy"]["stacks"])' 2>&1)" "100000" \
   "the big profile reads back with its 100000 stacks"
done_testing
