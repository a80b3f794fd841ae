#!/usr/bin/env bash
# tests/oracle/t2310-trace-vs-heaptrack.sh: the trace's event counts
# against heaptrack's (another full tracer) on a real program: sqlite3 on
# tests/oracle/workload.sql (about 31,000 mallocs).
#
# heaptrack_print's "calls to allocation functions" and "temporary memory
# allocations" (a free right after an allocation of the same size and
# stack; see report_at.c) are compared with `report --trace-stats`.
# The documented difference: heaptrack's preload library is C++, so it
# loads libstdc++ into the program, whose initializer allocates the
# exception emergency pool (one 72,704-byte malloc). So the comparison
# runs twice: as is (heaptrack sees exactly that one allocation more), and
# with libstdc++ preloaded on both sides (equal calls). In both runs
# heaptrack also files that pool allocation under "temporary" (a
# heaptrack artefact at its start-up: the pool lives until exit), so its
# temporary count is ours + 1, which the test checks in its -T listing.
source "$(dirname "$0")/../lib/tap.sh"
plan 9
if ! command -v heaptrack >/dev/null || ! command -v heaptrack_print >/dev/null; then
  for i in $(seq 9); do skip "heaptrack comparison $i" "heaptrack not installed"; done
  done_testing
fi
SQLITE3=$(command -v sqlite3 || echo /usr/bin/sqlite3)
SQL="$TOP/tests/oracle/workload.sql"
CXX=$(gcc -print-file-name=libstdc++.so.6)

# compare TAG [LD_PRELOAD]: sets HT_CALLS HT_TEMP HS_CALLS HS_TEMP
compare() {
  local tag=$1 pre=${2:-}
  env ${pre:+LD_PRELOAD=$pre} heaptrack -o "$TMP/ht-$tag" "$SQLITE3" -batch -init /dev/null :memory: \
    < "$SQL" > /dev/null 2> "ht-$tag.err"
  heaptrack_print -T -f "$TMP"/ht-$tag.*zst > "ht-$tag.txt" 2> /dev/null
  HT_CALLS=$(sed -n 's/^calls to allocation functions: \([0-9]*\).*/\1/p' "ht-$tag.txt")
  HT_TEMP=$(sed -n 's/^temporary memory allocations: \([0-9]*\).*/\1/p' "ht-$tag.txt")
  env ${pre:+LD_PRELOAD=$pre} "$HEAPSPY" run --trace -q -o "hs-$tag.hsp" -- \
    "$SQLITE3" -batch -init /dev/null :memory: < "$SQL" > /dev/null
  "$HEAPSPY" report --trace-stats --format json "hs-$tag.hsp" > "hs-$tag.json"
  HS_CALLS=$(json "hs-$tag.json" 'j["allocs"]')
  HS_TEMP=$(json "hs-$tag.json" 'j["temporary"]')
}

compare plain
check "heaptrack ran to the end ($HT_CALLS calls)" test -n "$HT_CALLS" -a "${HT_CALLS:-0}" -gt 30000
is "$HS_CALLS" "$((HT_CALLS - 1))" "allocation calls: heaptrack's $HT_CALLS minus its own libstdc++ pool"
"$HEAPSPY" report --format json hs-plain.hsp > agg.json
is "$HS_CALLS" "$(json agg.json 'j["totals"]["allocs"]')" "the trace's calls equal the profile's allocs (valgrind's count, t2100)"
is "$HS_TEMP" "$((HT_TEMP - 1))" "temporary allocations: heaptrack's $HT_TEMP minus the pool it files as temporary"

compare cxx "$CXX"
is "$HS_CALLS" "$HT_CALLS" "libstdc++ loaded on both sides: allocation calls equal ($HT_CALLS)"
is "$HS_TEMP" "$((HT_TEMP - 1))" "temporary: heaptrack's $HT_TEMP minus the pool"
like "$(grep -A2 '^1 temporary allocations of 1 allocations in total' ht-cxx.txt)" "libstdc\\+\\+" \
  "heaptrack lists that one temporary allocation in libstdc++"
"$HEAPSPY" report --at 0 --format json hs-cxx.hsp > /dev/null   # the trace is readable
"$HEAPSPY" report --hotspots --max-sites 0 --format json hs-cxx.hsp > hot.json
is "$(json hot.json '[(s["allocs"], s["bytes"]) for s in j["hotspots"]["by_bytes"] if s["bytes"] == 72704]')" "[(1, 72704)]" \
  "the spy sees the pool once: one allocation of 72,704 bytes"
HT_FILE=$(stat -c %s "$TMP"/ht-plain.*zst) HS_FILE=$(stat -c %s hs-plain.hsp.trace)
check "trace size: ours $HS_FILE bytes, heaptrack's $HT_FILE bytes: no larger" test "$HS_FILE" -le "$HT_FILE"
done_testing
