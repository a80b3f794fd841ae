#!/usr/bin/env bash
# t1310-locks-cycle3: issue 7 deliverable 1, "report every cycle (not
# only length 2)". Three threads take a->b, b->c, c->a: no pair is ever
# inverted, but the three together can deadlock.
#
# Who reports what (lock_cycle3.c):
#   heapspy --locks   1 cycle of 3 locks, the stack of each of its 3 edges
#   helgrind          1 "lock order violated" context (it sees the cycle
#                     when the third edge closes it, naming two locks)
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/locks-lib.sh"
plan 6

PROG="$TESTBIN/lock_cycle3"
timeout 25 "$HEAPSPY" run --locks -o c3.hsp --format json -- "$PROG" >/dev/null 2>c3.json
is "$?" 0 "the program's exit status (0)"
is "$(jv c3.json 'len(j["lock_order"])')" 1 "exactly one cycle (no 2-lock cycles: no pair was inverted)"
is "$(jv c3.json 'sorted(l["name"] for l in j["lock_order"][0]["locks"])')" \
   "['mutex \`ring\` (lock_cycle3)', 'mutex \`ring\`+40 (lock_cycle3)', 'mutex \`ring\`+80 (lock_cycle3)']" \
   "its three locks, named by symbol and offset in the global array"
is "$(jv c3.json 'j["lock_order"][0]["gated"], len(j["lock_order"][0]["stacks"])')" "False 3" \
   "not gated; one stack per edge"
is "$(jv c3.json 'sorted(set((s[0]["function"], s[0]["line"]) for s in j["lock_order"][0]["stacks"]))')" \
   "[('worker', $(line_of cycle-inner lock_cycle3.c))]" "each edge taken at the inner lock of worker()"

if have_helgrind; then
  is "$(helgrind_orders "$PROG")" 1 "helgrind reports it too (1 lock-order context)"
else
  skip "helgrind reports the 3-cycle" "valgrind not installed"
fi
done_testing
