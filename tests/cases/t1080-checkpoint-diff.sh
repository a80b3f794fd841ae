#!/usr/bin/env bash
# Checkpoints and diffs (issue 4, UMDH's question): each HEAPSPY_CHECKPOINT
# records the live heap by allocation site; `report --diff A B` lists what
# grew between two of them, largest first, with the allocating line.
source "$(dirname "$0")/../lib/tap.sh"
plan 12
SRC="$TOP/tests/cases/checkpoint_diff.c"
LINE_A=$(grep -n 'site A' "$SRC" | cut -d: -f1)
LINE_B=$(grep -n 'site B' "$SRC" | cut -d: -f1)

"$HEAPSPY" run -q -o cp.hsp -- "$TESTBIN/checkpoint_diff"
is "$?" "0" "the program runs"
"$HEAPSPY" report --format json cp.hsp > all.json
is "$(json all.json '[(c["name"], c["in_use_bytes"], c["in_use_blocks"]) for c in j["checkpoints"]]')" \
   "[('start', 0, 0), ('middle', 5000, 50), ('end', 5500, 90)]" "three checkpoints with the heap in use at each"

"$HEAPSPY" report --diff start middle --format json cp.hsp > d1.json
is "$?" "0" "diff start middle"
is "$(json d1.json 'j["growth_bytes"]')" "5000" "start to middle: +5000 bytes"
is "$(json d1.json '[(s["bytes"], s["blocks"], s["family"]) for s in j["sites"]]')" "[(5000, 50, 'malloc')]" \
   "one site grew: 50 blocks of 100 bytes"
is "$(json d1.json 'j["sites"][0]["stack"][0]["function"], j["sites"][0]["stack"][0]["line"]')" "('main', $LINE_A)" \
   "the site is main at line $LINE_A"

"$HEAPSPY" report --diff middle end --format json cp.hsp > d2.json
is "$(json d2.json 'j["growth_bytes"]')" "500" "middle to end: +500 bytes (1500 new, 1000 freed)"
is "$(json d2.json '[(s["bytes"], s["blocks"]) for s in j["sites"]]')" "[(1500, 50)]" \
   "only the growing site is listed: +1500 bytes in 50 blocks"
is "$(json d2.json 'j["sites"][0]["stack"][0]["line"]')" "$LINE_B" "at line $LINE_B"

"$HEAPSPY" report --diff middle end cp.hsp > d2.txt
like "$(cat d2.txt)" "^\\+1500 bytes in \\+50 blocks \\(malloc\\)" "text: the growth line"
"$HEAPSPY" report --diff start nosuch cp.hsp 2> err.txt
is "$?" "1" "an unknown checkpoint is an error"
like "$(cat err.txt)" "no checkpoint named 'nosuch'" "naming the missing checkpoint"
done_testing
