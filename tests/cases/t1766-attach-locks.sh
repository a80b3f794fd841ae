#!/usr/bin/env bash
# t1766-attach-locks: `heapspy attach --locks` on lock_inversion (t1300's
# program) attached before its threads run: the lock-order inversion they
# create after attach is reported as `heapspy run --locks` reports it (one
# cycle, two locks, both acquisitions' stacks, two threads), and helgrind
# on the same program finds the same number of lock-order violations (the
# oracle); the program's exit status is its own.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
source "$TOP/tests/cases/locks-lib.sh"   # after: its line_of MARK SRC
plan 7

PROG="$TESTBIN/lock_inversion"
SRC=lock_inversion.c
cd "$TMP" || exit 1

mkfifo in.fifo
"$PROG" wait <in.fifo >prog.out 2>&1 &
PID=$!
_inspect_pids+=("$PID")
exec 3>in.fifo
for _ in $(seq 1 250); do grep -q '^ready$' prog.out && break; sleep 0.02; done
"$HEAPSPY" attach --locks --format json -o att.hsp "$PID" >att.json 2>att.err &
ATT=$!
for _ in $(seq 1 1500); do grep -q '^heapspy: stop with' att.err 2>/dev/null && break; sleep 0.02; done
echo go >&3
exec 3>&-
wait "$PID"
status=$?
wait "$ATT"
sed 's/^/# /' att.err

is "$status" 0 "the program's own exit status (0): it did not deadlock"
is "$(jv att.json 'len(j["lock_order"])')" 1 "one lock-order cycle, recorded after attach"
is "$(jv att.json 'len(j["lock_order"][0]["locks"]), j["lock_order"][0]["gated"]')" "2 False" \
   "two locks, not gated: a potential deadlock"
is "$(jv att.json 'sorted((s[0]["function"], s[0]["line"]) for s in j["lock_order"][0]["stacks"])')" \
   "[('first', $(line_of first-takes-b $SRC)), ('second', $(line_of second-takes-a $SRC))]" \
   "stacks: first took the heap lock under lock_a, second took lock_a under the heap lock"
is "$(jv att.json 'len(set(e["tid"] for e in j["lock_order"][0]["edges"]))')" 2 "by two different threads"
is "$(jv att.json 'j["errors"]')" "[]" "no lock errors"
if have_helgrind; then
  is "$(helgrind_orders "$PROG" </dev/null)" "$(jv att.json 'len(j["lock_order"])')" \
     "helgrind finds as many lock-order violations in the same program"
else
  skip "helgrind finds as many lock-order violations" "valgrind not installed"
fi
done_testing
