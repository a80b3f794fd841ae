# tests/cases/heap-lib.sh: shared code of the `heapspy heap` tests
# (t17xx-heap-*). Source it after ../lib/tap.sh and inspect-lib.sh.

# same_blocks HEAP_BLOCKS SPY_BLOCKS: compares `heapspy heap --blocks`
# ("ADDR USABLE") with the spy's live blocks ("ADDR REQUESTED"). Prints
# "N identical" when both hold the same addresses and every usable size is
# what glibc 2.36 gives for the requested size: request2size, a chunk of
# max(32, n + 8 rounded up to 16), usable size chunk - 8; or one step of
# 16 more, when the chunk glibc took was larger by less than a minimum
# chunk (32) and was not split (a bin's chunk, realloc in place); an
# mmapped chunk is n + 16 rounded up to the page, minus 16. Else it
# prints what differs.
#
# One documented lag of the spy: in a single-threaded program the table
# removal of the last free is left pending until that thread's next
# allocation call (src/spy/spy_blocks.c, spy_block_remove_later: "at any
# moment at most this one operation is not yet in the profile"). So one
# block the spy still lists, that the walk found freed, is allowed and
# named: "N identical, +1 pending free ADDR".
same_blocks() {
  python3 - "$1" "$2" <<'PY'
import sys
def load(p):
    d = {}
    for line in open(p):
        a, s = line.split()
        d[int(a, 16)] = int(s)
    return d
heap, spy = load(sys.argv[1]), load(sys.argv[2])
only_heap = sorted(set(heap) - set(spy))
only_spy = sorted(set(spy) - set(heap))
bad = []
for a in sorted(set(heap) & set(spy)):
    n, u = spy[a], heap[a]
    chunk = max(32, (n + 8 + 15) & ~15)
    mm = ((n + 16 + 4095) & ~4095) - 16
    if u != chunk - 8 and u != chunk + 8 and u != mm:
        bad.append("0x%x: requested %d, usable %d" % (a, n, u))
if not only_heap and not only_spy and not bad:
    print("%d identical" % len(heap))
elif not only_heap and len(only_spy) == 1 and not bad:
    print("%d identical, +1 pending free 0x%x" % (len(heap), only_spy[0]))
else:
    print("heap %d, spy %d; only in heap: %s; only in spy: %s; sizes: %s" % (
        len(heap), len(spy), " ".join("0x%x:%d" % (a, heap[a]) for a in only_heap[:8]),
        " ".join("0x%x:%d" % (a, spy[a]) for a in only_spy[:8]), "; ".join(bad[:5])))
PY
}

# malloc_info_totals FILE: "FAST REST CURRENT" from the last totals of
# glibc's malloc_info XML in FILE (after the per-arena <heap> sections).
malloc_info_totals() {
  python3 - "$1" <<'PY'
import re, sys
x = open(sys.argv[1]).read()
x = x[x.rfind("</heap>"):]
g = lambda t, k: int(re.search(r'<%s type="%s"[^>]* size="(\d+)"' % (t, k), x).group(1))
print(g("total", "fast"), g("total", "rest"), g("system", "current"))
PY
}

# rollup_rss PID: Rss of /proc/PID/smaps_rollup, in bytes.
rollup_rss() { awk '$1 == "Rss:" { print $2 * 1024 }' /proc/"$1"/smaps_rollup; }
# nmaps PID: how many mappings.
nmaps() { wc -l </proc/"$1"/maps; }
