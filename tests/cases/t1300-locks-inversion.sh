#!/usr/bin/env bash
# t1300-locks-inversion: SPEC story 7 / issue 7 deliverable 1. Two locks
# taken in opposite orders by two threads that run one after the other:
# the run never deadlocks, heapspy --locks still reports the cycle with
# the stacks of both acquisitions, the global lock by its symbol and the
# heap lock by its block's allocation site.
#
# Who reports what (same program, lock_inversion.c):
#   heapspy --locks   1 potential deadlock, both stacks, both locks named
#   helgrind          1 "lock order violated" context (addresses only)
#   no --locks        nothing (lock_order: [])
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/locks-lib.sh"
plan 12

PROG="$TESTBIN/lock_inversion"
SRC=lock_inversion.c
timeout 25 "$HEAPSPY" run --locks -o inv.hsp --format json -- "$PROG" >out.txt 2>inv.json
is "$?" 0 "the program's own exit status (0): it did not deadlock"
is "$(jv inv.json 'len(j["lock_order"])')" 1 "one lock-order cycle"
is "$(jv inv.json 'len(j["lock_order"][0]["locks"]), j["lock_order"][0]["gated"]')" "2 False" \
   "two locks, not gated: a potential deadlock"
names=$(jv inv.json '"|".join(sorted(l["name"] for l in j["lock_order"][0]["locks"]))')
like "$names" "^heap mutex at 0x[0-9a-f]+ \(\+8 in a 48-byte block allocated by new_account \(tests/cases/lock_inversion.c:$(line_of account-alloc $SRC)\)\)\|mutex \`lock_a\` \(lock_inversion\)\$" \
   "the heap lock is named by its allocation site, the global by its symbol"
is "$(jv inv.json 'sorted((s[0]["function"], s[0]["line"]) for s in j["lock_order"][0]["stacks"])')" \
   "[('first', $(line_of first-takes-b $SRC)), ('second', $(line_of second-takes-a $SRC))]" \
   "stacks: first took the heap lock under lock_a, second took lock_a under the heap lock"
is "$(jv inv.json 'sorted((e["held_stack"][0]["function"], e["held_stack"][0]["line"]) for e in j["lock_order"][0]["edges"])')" \
   "[('first', $(line_of first-takes-a $SRC)), ('second', $(line_of second-takes-b $SRC))]" \
   "and where each thread had taken the lock it held"
is "$(jv inv.json 'len(set(e["tid"] for e in j["lock_order"][0]["edges"]))')" 2 "by two different threads"
is "$(jv inv.json 'j["errors"], j["leaks"][0]["kind"]')" "[] still_reachable" "no lock errors; the account stays reachable"

"$HEAPSPY" report inv.hsp >inv.txt 2>&1
like "$(cat inv.txt)" "^POTENTIAL DEADLOCK: lock-order cycle #1: 2 locks taken in a cycle" "text: the cycle, in capitals"
like "$(cat inv.txt)" "^    #0  first at tests/cases/lock_inversion.c:$(line_of first-takes-b $SRC) " "text: with file:line of each acquisition"

timeout 25 "$HEAPSPY" run -o off.hsp --format json -- "$PROG" >/dev/null 2>off.json
is "$(jv off.json 'j["lock_order"], j["errors"]')" "[] []" "without --locks: no lock checking at all"

if have_helgrind; then
  is "$(helgrind_orders "$PROG")" 1 "helgrind also reports the inversion (1 lock-order context)"
else
  skip "helgrind reports the inversion" "valgrind not installed"
fi
done_testing
