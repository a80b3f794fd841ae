#!/usr/bin/env bash
# t1340-threads-at-exit: SPEC story 5, "exit() is called while other
# threads ... hold locks: heapspy names those threads and what they
# held". lock_exit.c: main calls exit(3) while "holder" holds held_lock
# and "idler" holds nothing; both wait for ever.
#
# Stacks: a thread's stack is that of its innermost held lock's
# acquisition (its last lock acquisition otherwise), not a live unwind.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/locks-lib.sh"
plan 8

PROG="$TESTBIN/lock_exit"
timeout 25 "$HEAPSPY" run --locks -o ex.hsp --format json -- "$PROG" >/dev/null 2>ex.json
is "$?" 3 "the program's exit status (3)"
is "$(jv ex.json 'sorted(t["name"] for t in j["threads_at_exit"])')" "['holder', 'idler']" \
   "both other threads listed by name"
is "$(jv ex.json '[(t["name"], [h["lock"]["name"] for h in t["locks_held"]]) for t in sorted(j["threads_at_exit"], key=lambda t: t["name"])]')" \
   "[('holder', ['mutex \`held_lock\` (lock_exit)']), ('idler', [])]" "holder holds held_lock, idler nothing"
is "$(jv ex.json '[(h["acquire_stack"][0]["function"], h["acquire_stack"][0]["line"]) for t in j["threads_at_exit"] for h in t["locks_held"]]')" \
   "[('holder', $(line_of holder-takes lock_exit.c))]" "where holder took it"
is "$(jv ex.json 'sorted(t["in_allocator"] for t in j["threads_at_exit"])')" "[False, False]" \
   "neither was inside the allocator"
"$HEAPSPY" report ex.hsp >ex.txt 2>&1
like "$(cat ex.txt)" "^  thread [0-9]+ \"holder\", holding 1 lock\$" "text: holder and its lock"
like "$(cat ex.txt)" "^    holds mutex \`held_lock\` \(lock_exit\) \(exclusive\), taken at:\$" "text: the lock by name"

timeout 25 "$HEAPSPY" run -o off.hsp --format json -- "$PROG" >/dev/null 2>off.json
is "$(jv off.json 'sorted((t["name"], t["locks_held"]) for t in j["threads_at_exit"])')" \
   "[('holder', []), ('idler', [])]" "without --locks: the threads are listed, their locks are not tracked"
done_testing
