#!/usr/bin/env bash
# A trace must be explorable in bounded memory (issue 5: "a 10 GB trace
# must be explorable"): reports read one chunk at a time and keep a tally
# per (stack, family). trace_churn makes the same 64 stacks with 10x more
# events in the second run; every time-travel report's peak RSS must stay
# within a ceiling set by the stacks (1 KB each) plus 4 MB (the buffers of
# one packed chunk, HST_PACK_MAX, raw and compressed) over
# the small run, while holding the events in memory would cost at least
# 8 bytes x 3.6 M more events = 29 MB.
source "$(dirname "$0")/../lib/tap.sh"
plan 9
SMALL=400000 BIG=4000000
"$HEAPSPY" run --trace -q -o small.hsp -- "$TESTBIN/trace_churn" $((SMALL / 2))
"$HEAPSPY" run --trace -q -o big.hsp -- "$TESTBIN/trace_churn" $((BIG / 2))
"$HEAPSPY" report --trace-stats --format json big.hsp > big.json
"$HEAPSPY" report --trace-stats --format json small.hsp > small.json
is "$(json big.json 'j["events"] - 1000 < '$BIG' <= j["events"] + 1000')" "True" "the big trace holds about $BIG events"
is "$(json big.json 'j["allocs"], j["temporary"]')" "($((BIG / 2)), 0)" "one allocation call per pair, none temporary (64 blocks alive in rotation)"
"$HEAPSPY" report --format json big.hsp > agg.json
STACKS=$(json agg.json 'len(set(tuple(f["pc"] for f in l["stack"]) for l in j["leaks"]))')
is "$STACKS" "64" "64 stacks hold the live blocks at exit"
CEIL_KB=$(( STACKS + 4096 ))

DUR=$(json agg.json 'j["timeline"][-1]["t_ms"]')
# rss ARGS...: peak RSS in KB of `heapspy report ARGS`
rss() { /usr/bin/time -f "%M" -o rss.txt "$HEAPSPY" report "$@" > /dev/null 2> err.txt && cat rss.txt; }
for q in "--at end" "--at $((DUR / 2))" "--between 0 end" "--trace-stats"; do
  # shellcheck disable=SC2086 # $q is two words on purpose
  s=$(rss $q small.hsp) b=$(rss $q big.hsp)
  check "report $q: peak RSS ${b} KB on 10x the events of ${s} KB (ceiling: +${CEIL_KB} KB)" \
    test -n "$s" -a -n "$b" -a "$b" -le $(( s + CEIL_KB ))
done
"$HEAPSPY" report --at end --format json big.hsp > end.json
is "$(json end.json '(j["in_use_bytes"], j["in_use_blocks"], j["trace"]["chunks_decoded"])')" \
   "$(json agg.json '(j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"])' | sed 's/)$/, 0)/')" \
   "at the end: the aggregate's in-use totals from the chunks' index alone (no chunk decompressed)"
"$HEAPSPY" report --at $((DUR / 2)) --format json big.hsp > mid.json
check "in the middle: at most one chunk decompressed per thread ($(json mid.json 'j["trace"]["chunks_decoded"]') of $(json mid.json 'j["trace"]["chunks"]'))" \
  test "$(json mid.json 'j["trace"]["chunks_decoded"]')" -le 1
done_testing
