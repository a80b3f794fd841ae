#!/usr/bin/env bash
# t1006-prefetch-kept: the spy's prefetches survive the compiler. GCC
# counts a prefetch as no effect at all: a function that only prefetches
# is "pure" to it, and under -flto (some distributions build every
# package so) it deleted every call of spy_block_prefetch, the exact
# mode's table then waiting for each miss (src/spy/spy.h, spy_prefetch).
# Built here with -flto, the allocation and free funnels still prefetch.
source "$(dirname "$0")/../lib/tap.sh"
plan 3

LTO="$TMP/lto"
make -s -C "$TOP" BUILD="$LTO" CFLAGS='-O2 -g -flto' "$LTO/lib/heapspy/libheapspy.so" >"$TMP/make.log" 2>&1
is "$?" 0 "the spy builds with -flto"
# prefetches FUNCTION: the prefetches and calls of spy_block_prefetch in
# FUNCTION's code (its own, or what was inlined into it)
prefetches() {
  objdump -d --no-show-raw-insn "$LTO/lib/heapspy/libheapspy.so" 2>/dev/null |
    awk -v f="<$1" '/^[0-9a-f]+ </ { on = index($2, f) == 1 } on && /prefetcht0|call.*<spy_block_prefetch>/ { n++ } END { print n + 0 }'
}
check "malloc's exact path (malloc_exact) prefetches the new block's slot" [ "$(prefetches malloc_exact)" -gt 0 ]
check "free's path (spy_free_as) prefetches the freed block's slot" [ "$(prefetches spy_free_as)" -gt 0 ]
done_testing
