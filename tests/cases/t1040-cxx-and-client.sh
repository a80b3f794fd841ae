#!/usr/bin/env bash
# t1040-cxx-and-client: allocator families (SPEC "families", story 1's
# "which allocator family holds it") and the client header heapspy.h
# (SPEC "The client header": runs unchanged with or without the spy;
# HEAPSPY_RUNNING, HEAPSPY_CHECKPOINT, HEAPSPY_ALLOC_LIKE/FREE_LIKE give a
# custom allocator its own family in every report).
#
# cxx_families.cpp: new / new[] / malloc counted separately (see its
# header). libstdc++ also mallocs its emergency exception pool at start-up
# and frees it at exit through __gnu_cxx::__freeres (heapspy's default
# --run-cxx-freeres=yes, as valgrind's): one malloc and one free whose size
# depends on the libstdc++ build (72704 bytes here). valgrind on the same
# binary: "20 allocs, 16 frees, 73,412 bytes allocated", 112 bytes in 4
# blocks definitely lost.
#
# client_pool.c: a pool carving 64-byte blocks out of one malloc'd slab
# (the first block starts where the slab starts, as in most pools).
# valgrind with the equivalent VALGRIND_MALLOCLIKE_BLOCK/FREELIKE_BLOCK
# requests: "7 allocs, 5 frees, 4,480 bytes allocated", 128 bytes in 2
# blocks definitely lost.
source "$(dirname "$0")/../lib/tap.sh"
plan 24

jv() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1" "$2"; }
fam() { jv "$1" "[(f['allocs'], f['frees'], f['bytes_allocated'], f['in_use_bytes'], f['in_use_blocks']) for f in j['families'] if f['name'] == '$2']"; }
line_of() { grep -n "$1" "$TOP/tests/cases/$2" | cut -d: -f1; }

# --- C++: new, new[], malloc --------------------------------------------
"$HEAPSPY" run -o cxx.hsp --format json -- "$TESTBIN/cxx_families" >cxx.out 2>cxx.json
is "$?" 0 "c++: exit status 0"
is "$(cat cxx.out)" "c++ done" "c++: the program ran"
is "$(fam cxx.json new)" "[(12, 9, 108, 12, 3)]" \
   "c++: family new: 12 allocs (10 + nothrow + aligned), 9 frees, 108 bytes, 12 bytes in 3 blocks in use"
is "$(fam cxx.json 'new[]')" "[(5, 4, 500, 100, 1)]" "c++: family new[]: 5 allocs, 4 frees, 500 bytes, 100 bytes in 1 block in use"
pool=$(jv cxx.json '[f["bytes_allocated"] for f in j["families"] if f["name"] == "malloc"][0] - 100')
is "$(fam cxx.json malloc)" "[(3, 3, $((100 + pool)), 0, 0)]" \
   "c++: family malloc: 2 malloc/free pairs + libstdc++'s emergency pool ($pool bytes), nothing in use"
is "$(jv cxx.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" "20 16 112 4" \
   "c++: totals 20 allocs, 16 frees, 112 bytes in 4 blocks (valgrind: same)"
is "$(jv cxx.json 'sorted((g["family"], g["kind"], g["bytes"], g["blocks"], g["stack"][0]["function"], g["stack"][0]["line"]) for g in j["leaks"])')" \
   "[('new', 'definitely_lost', 12, 3, 'lose_news()', $(line_of 'NEW-SITE' cxx_families.cpp)), ('new[]', 'definitely_lost', 100, 1, 'lose_array()', $(line_of 'ARRAY-SITE' cxx_families.cpp))]" \
   "c++: two lost sites, one per family, at lose_news() and lose_array() with their lines"
"$HEAPSPY" run -o cxx-text.hsp -- "$TESTBIN/cxx_families" >/dev/null 2>cxx.txt
like "$(cat cxx.txt)" '^  new\[\] +5 +4 +500 +100 +1$' "c++: the text report's BY FAMILY row for new[]"

# --- the client header without the spy ---------------------------------
"$TESTBIN/client_pool" >plain.out 2>plain.err
is "$?" 0 "client header without heapspy: exit status 0"
is "$(cat plain.out)" "running=0
pool done" "client header without heapspy: HEAPSPY_RUNNING() is 0 and the program runs to the end"
is "$(cat plain.err)" "" "client header without heapspy: nothing on stderr"

# --- ... and with it ------------------------------------------------------
"$HEAPSPY" run -o pool.hsp --format json -- "$TESTBIN/client_pool" >pool.out 2>pool.json
is "$?" 0 "client header under heapspy: exit status 0"
is "$(head -1 pool.out)" "running=1" "client header under heapspy: HEAPSPY_RUNNING() is 1"
is "$(jv pool.json '[f["name"] for f in j["families"]]')" "['malloc', 'new', 'new[]', 'pool']" \
   "HEAPSPY_ALLOC_LIKE(\"pool\", ...) adds a family named pool"
is "$(fam pool.json pool)" "[(6, 4, 384, 128, 2)]" "family pool: 6 allocs, 4 frees, 384 bytes, 128 bytes in 2 blocks in use"
is "$(fam pool.json malloc)" "[(1, 1, 4096, 0, 0)]" \
   "family malloc: the slab, 1 alloc and 1 free, even though the first pool block shares its address"
is "$(jv pool.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"]')" "7 5 4480" \
   "totals include the pool, as valgrind's HEAP SUMMARY does: 7 allocs, 5 frees, 4480 bytes"
is "$(jv pool.json 'j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" "128 2" "in use at exit: the 2 pool blocks never given back"
is "$(jv pool.json 'sorted(set((g["family"], g["stack"][0]["function"], g["stack"][0]["line"]) for g in j["leaks"]))')" \
   "[('pool', 'pool_get', $(line_of 'POOL-SITE' client_pool.c))]" "the pool's leaks are reported in family pool at pool_get's HEAPSPY_ALLOC_LIKE line"
is "$(jv pool.json 'j["leak_summary"]["definitely_lost"]["bytes"], j["leak_summary"]["definitely_lost"]["blocks"]')" "128 2" \
   "both pool blocks definitely lost (valgrind: 128 bytes in 2 blocks definitely lost)"
is "$(jv pool.json '[c["name"] for c in j["checkpoints"]]')" "['halfway']" "HEAPSPY_CHECKPOINT(\"halfway\") appears in checkpoints"
is "$(jv pool.json 'j["checkpoints"][0]["in_use_bytes"], j["checkpoints"][0]["in_use_blocks"]')" "4480 7" \
   "the checkpoint's heap: the slab and the 6 pool blocks, 4480 bytes in 7 blocks"
"$HEAPSPY" run -o pool-text.hsp -- "$TESTBIN/client_pool" >/dev/null 2>pool.txt
like "$(cat pool.txt)" '^  pool +6 +4 +384 +128 +2$' "the text report's BY FAMILY row for pool"
like "$(cat pool.txt)" '^64 bytes in 1 blocks are .*\(pool\)|^128 bytes in 2 blocks are .*\(pool\)' "the text report lists the pool's lost blocks as family pool"

done_testing
