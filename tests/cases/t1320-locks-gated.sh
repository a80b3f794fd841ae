#!/usr/bin/env bash
# t1320-locks-gated: issue 7 deliverable 2, "gate locks understood". x
# and y are taken in both orders, always under one gate lock: the
# inversion cannot deadlock. heapspy reports it as gated (safe), apart
# from the potential deadlocks; helgrind reports it as a violation.
#
# Who reports what (lock_gated.c, two threads running together):
#   heapspy --locks   0 potential deadlocks, 1 gated cycle (gate named)
#   helgrind          1 "lock order violated" context (a false alarm)
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/locks-lib.sh"
plan 7

PROG="$TESTBIN/lock_gated"
timeout 25 "$HEAPSPY" run --locks -o g.hsp --format json -- "$PROG" >/dev/null 2>g.json
is "$?" 0 "the program's exit status (0)"
is "$(jv g.json 'len(j["lock_order"]), j["lock_order"][0]["gated"]')" "1 True" "one cycle, flagged gated"
is "$(jv g.json 'j["lock_order"][0]["gate"]["name"]')" 'mutex `gate` (lock_gated)' "the gate is named"
is "$(jv g.json 'sorted(l["name"] for l in j["lock_order"][0]["locks"])')" \
   "['mutex \`lock_x\` (lock_gated)', 'mutex \`lock_y\` (lock_gated)']" "the inverted pair"
is "$(jv g.json 'sorted((s[0]["function"], s[0]["line"]) for s in j["lock_order"][0]["stacks"])')" \
   "[('xy', $(line_of gated-xy lock_gated.c)), ('yx', $(line_of gated-yx lock_gated.c))]" "with both stacks"
"$HEAPSPY" report g.hsp >g.txt 2>&1
like "$(cat g.txt)" "^LOCK ORDER: 3 locks, 4 orderings seen; 0 potential deadlocks, 1 gated \(safe\) cycle\$" \
   "text: no potential deadlock, one gated cycle"
if have_helgrind; then
  is "$(helgrind_orders "$PROG")" 1 "helgrind reports the gated inversion as a violation (heapspy: safe)"
else
  skip "helgrind reports the gated inversion" "valgrind not installed"
fi
done_testing
