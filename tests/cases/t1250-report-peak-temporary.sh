#!/usr/bin/env bash
# t1250-report-peak-temporary: `heapspy report --peak` and `--temporary`
# (issue 5, "Peak, hotspots, temporaries") on peak_temp.c, whose heap
# peaks at exactly 380,000 bytes in 140 blocks (hold_b 300,000 in 100,
# hold_a 80,000 in 40) and which makes 1000 temporary allocations (churn),
# plus 2 frees heaptrack also calls temporary (the first free of hold_b
# and of batch: same size and stack as the last allocation, another block).
#
# Oracles: valgrind massif's peak snapshot (--peak-inaccuracy=0: exact)
# gives the peak total and the top stack; heaptrack_print gives the peak
# and the temporary count, less heaptrack's own libstdc++ emergency pool
# (see tests/oracle/heaptrack-summary.py). The peak total is exact; the
# stacks come from the spy's last copy, which the test holds to its
# documented bound (within 3.1% of the peak) and to exact sums.
source "$(dirname "$0")/../lib/tap.sh"
plan 30

PROG="$TESTBIN/peak_temp"
SRC=tests/cases/peak_temp.c
line_of() { grep -n "$1" "$TOP/$SRC" | head -1 | cut -d: -f1; }
B_LINE=$(line_of 'b\[i\] = malloc(3000)')
A_LINE=$(line_of 'a\[i\] = malloc(2000)')
CHURN_LINE=$(line_of 'void \*volatile p = malloc(32)')

check "peak_temp is built" test -x "$PROG"
"$HEAPSPY" run -q -o pt.hsp -- "$PROG" >/dev/null 2>&1
is "$?" 0 "the program runs to its end under heapspy"

# --- peak, text ----------------------------------------------------------------
"$HEAPSPY" report --peak pt.hsp >peak.txt 2>peak.err
is "$?" 0 "--peak: exit status 0"
like "$(cat peak.txt)" '^peak heap usage: 380,000 bytes at [0-9]+ ms$' "text: the exact peak, 380,000 bytes"
like "$(cat peak.txt)" '^stacks as of [0-9]+ ms, when the heap held [0-9,]+ bytes in [0-9,]+ blocks \([0-9.]+% of the peak; always within 3\.1%\)$' \
  "text: the moment the stacks were recorded, and the bound"
like "$(sed -n '/^PEAK HEAP BY STACK/,/^$/p' peak.txt | sed -n 2,3p | tr '\n' '~')" \
  "^ 1\. [0-9,]+ bytes in [0-9]+ blocks \([0-9.]+%\)~    #0  hold_b at $SRC:$B_LINE " \
  "text: hold_b (peak_temp.c:$B_LINE) holds the most at the peak"
like "$(cat peak.txt)" "^ 2\. 80,000 bytes in 40 blocks \([0-9.]+%\)$" "text: then hold_a, 80,000 bytes in 40 blocks"

# --- peak, JSON ----------------------------------------------------------------
"$HEAPSPY" report --peak --format json pt.hsp >peak.json
is "$?" 0 "--peak --format json: exit status 0"
is "$(json peak.json 'j["peak"]["bytes"]')" 380000 "json: peak.bytes = 380000"
is "$(json peak.json 'sum(s["bytes"] for s in j["peak"]["stacks"]) == j["peak"]["stacks_bytes"] and sum(s["blocks"] for s in j["peak"]["stacks"]) == j["peak"]["blocks"]')" True \
  "json: the stacks add up to the recorded moment's bytes and blocks (one thread: exact)"
is "$(json peak.json '380000 * 32 // 33 <= j["peak"]["stacks_bytes"] <= 380000')" True \
  "json: recorded within 3.1% of the peak (380000*32/33 <= bytes <= 380000)"
is "$(json peak.json '[(s["stack"][0]["function"], s["stack"][0]["line"]) for s in j["peak"]["stacks"]]')" \
   "[('hold_b', $B_LINE), ('hold_a', $A_LINE)]" "json: hold_b then hold_a, with their lines"
is "$(json peak.json 'j["peak"]["stacks"][1]["bytes"], j["peak"]["stacks"][1]["blocks"], j["peak"]["complete"]')" \
   "(80000, 40, True)" "json: hold_a 80000 bytes in 40 blocks; the copy is complete"
is "$(json peak.json 'j["peak"]["stacks_bytes"] - 80000 == j["peak"]["stacks"][0]["bytes"] == 3000 * j["peak"]["stacks"][0]["blocks"]')" True \
   "json: hold_b holds the rest, in blocks of 3000"

# --- massif's peak snapshot ----------------------------------------------------
if command -v valgrind >/dev/null; then
  valgrind --tool=massif --peak-inaccuracy=0 --massif-out-file=pt.massif "$PROG" >/dev/null 2>&1
  mpeak=$(python3 - pt.massif <<'PY'
import re, sys
snaps = open(sys.argv[1]).read().split("#-----------\nsnapshot=")
peak = [s for s in snaps if "heap_tree=peak" in s][0]
heap = int(re.search(r"mem_heap_B=(\d+)", peak).group(1))
top = re.search(r"\n n\d+: (\d+) 0x[0-9A-F]+: (\w+) ", peak)
print(heap, top.group(2), top.group(1))
PY
)
  is "$mpeak" "380000 hold_b 300000" "massif's peak: 380000 bytes, hold_b on top with 300000"
  is "$(json peak.json 'j["peak"]["bytes"], j["peak"]["stacks"][0]["stack"][0]["function"]')" \
     "($(echo "$mpeak" | cut -d' ' -f1), '$(echo "$mpeak" | cut -d' ' -f2)')" "heapspy's peak and top stack = massif's"
else
  skip "massif's peak" "valgrind not installed"; skip "heapspy = massif" "valgrind not installed"
fi

# --- temporaries ---------------------------------------------------------------
"$HEAPSPY" report --temporary pt.hsp >temp.txt 2>temp.err
is "$?" 0 "--temporary: exit status 0"
like "$(cat temp.txt)" '^1,000 temporary allocations of 1,150 allocation calls \(87\.0%\)' "text: 1,000 of 1,150 calls"
like "$(cat temp.txt)" '^\(heaptrack counts 1,002: ' "text: heaptrack's count, 2 more"
like "$(sed -n '/^TEMPORARY ALLOCATIONS BY STACK/,/^$/p' temp.txt | sed -n 1,3p | tr '\n' '~')" \
  "^TEMPORARY ALLOCATIONS BY STACK \(1 of 1 stacks\)~ 1\. 1,000 temporary of 1,000 calls \(100\.0%\), 32,000 bytes allocated~    #0  churn at $SRC:$CHURN_LINE " \
  "text: one stack, churn (peak_temp.c:$CHURN_LINE), all 1,000 of its calls"
"$HEAPSPY" report --temporary --format json pt.hsp >temp.json
is "$(json temp.json 'j["temporary"]["count"], j["temporary"]["heaptrack_count"]')" "(1000, 1002)" "json: count 1000, heaptrack_count 1002"
is "$(json temp.json 'sorted((s["stack"][0]["function"], s["count"], s["heaptrack_count"]) for s in j["temporary"]["stacks"])')" \
   "[('batch', 0, 1), ('churn', 1000, 1000), ('hold_b', 0, 1)]" "json: per stack: churn 1000; batch and hold_b only by heaptrack's rule"

# --- heaptrack ---------------------------------------------------------------------
if command -v heaptrack >/dev/null && command -v heaptrack_print >/dev/null; then
  heaptrack -o pt.ht "$PROG" >/dev/null 2>&1
  python3 "$TOP/tests/oracle/heaptrack-summary.py" pt.ht.zst >ht.json
  is "$(json ht.json 'j["temporary"] - j["own"]["temporary"], j["calls"] - j["own"]["calls"]')" \
     "$(json temp.json 'j["temporary"]["heaptrack_count"], j["totals"]["allocs"]')" \
     "heaptrack's temporaries and calls (less its own libstdc++ pool) = heapspy's heaptrack_count and allocs"
  is "$(json ht.json 'round(j["peak"] - j["own"]["peak"])')" 380000 "heaptrack's peak (less its pool) = 380000"
else
  skip "heaptrack temporaries" "heaptrack not installed"; skip "heaptrack peak" "heaptrack not installed"
fi

# --- threads: 4 threads hold 50 x 4000 bytes each at once ---------------------
# The spy counts in-use bytes per thread in batches of up to 64 KiB
# (HSP_PEAK_SLACK): the peak seen may miss 64 KiB per other thread, and
# the stacks miss the same batches.
"$HEAPSPY" run -q -o ptt.hsp -- "$PROG" threads >/dev/null 2>&1
is "$?" 0 "threads: the program runs to its end"
"$HEAPSPY" report --peak --format json ptt.hsp >ptt.json
is "$(json ptt.json 'j["peak"]["stacks"][0]["stack"][0]["function"], j["peak"]["stacks"][0]["bytes"] == 4000 * j["peak"]["stacks"][0]["blocks"] <= 800000')" \
   "('hold_t', True)" "threads: hold_t on top, whole 4000-byte blocks, at most 200 of them"
is "$(json ptt.json '800000 - 3 * 65536 <= j["peak"]["bytes"] <= 800000 + 16384')" True \
   "threads: the peak is 800,000 bytes less at most 64 KiB per other thread"
is "$(json ptt.json 'j["peak"]["bytes"] * 32 // 33 - 3 * 65536 <= j["peak"]["stacks_bytes"] <= j["peak"]["bytes"]')" True \
   "threads: the stacks were recorded within 3.1% of the peak, less the other threads' batches"

# --- usage ---------------------------------------------------------------------
"$HEAPSPY" report --peak --format html pt.hsp >u.out 2>u.err
is "$? $(wc -l <u.err)" "125 1" "--peak --format html: usage error, one line"
like "$(cat u.err)" "--peak is shown as text or json" "the line says why"
done_testing
