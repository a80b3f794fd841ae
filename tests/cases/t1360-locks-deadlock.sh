#!/usr/bin/env bash
# t1360-locks-deadlock: issue 7 deliverable 3, a deadlock in progress.
# lock_deadlock.c really deadlocks: thread "transfer" holds `accounts` and
# waits for `journal`, thread "audit" holds `journal` and waits for
# `accounts` (a barrier makes sure both hold their first lock first).
#
# Who reports what (same program):
#   heapspy --locks   within a second: one stderr line naming both threads
#                     and locks; the profile gets a lock_order entry with
#                     "deadlock": true (each thread's waiting stack and the
#                     stack where it took the lock it holds). The program
#                     is left hanging (the profile survives a kill);
#                     --halt-on-error stops it (SIGABRT: heapspy run exits 134).
#   helgrind          nothing about it: the run hangs until killed, and no
#                     "lock order violated" either (helgrind records an
#                     order when an acquisition completes; neither second
#                     acquisition ever does).
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/locks-lib.sh"
plan 15

PROG="$TESTBIN/lock_deadlock"
SRC=lock_deadlock.c
L() { line_of "$1" $SRC; }

timeout 20 "$HEAPSPY" run --locks --halt-on-error -o halt.hsp --format json --log-file halt.json \
  -- "$PROG" >halt.out 2>halt.err
is "$?" 134 "--halt-on-error: the deadlocked program is stopped (SIGABRT, 128+6)"
like "$(cat halt.err)" "^heapspy: warning: DEADLOCK: 2 threads wait for each other: thread [0-9]+ \(transfer\) holds 0x[0-9a-f]+, waits for 0x[0-9a-f]+; thread [0-9]+ \(audit\) holds 0x[0-9a-f]+, waits for 0x[0-9a-f]+; stopping it \(--halt-on-error\)\$" \
  "one stderr line names both threads and their locks"
dl='[c for c in j["lock_order"] if c["deadlock"]][0]'
is "$(jv halt.json "len([c for c in j['lock_order'] if c['deadlock']]), len($dl['threads'])")" "1 2" \
  "the profile: one lock_order entry flagged deadlock, two threads"
is "$(jv halt.json "sorted((t['name'], t['waits_for']['name'], t['holds']['name']) for t in $dl['threads'])")" \
  "[('audit', 'mutex \`accounts\` (lock_deadlock)', 'mutex \`journal\` (lock_deadlock)'), ('transfer', 'mutex \`journal\` (lock_deadlock)', 'mutex \`accounts\` (lock_deadlock)')]" \
  "each thread, the lock it waits for and the one it holds, by symbol"
is "$(jv halt.json "sorted((t['name'], t['waiting_stack'][0]['function'], t['waiting_stack'][0]['line'], t['held_stack'][0]['line']) for t in $dl['threads'])")" \
  "[('audit', 'audit', $(L audit-second), $(L audit-first)), ('transfer', 'transfer', $(L transfer-second), $(L transfer-first))]" \
  "each thread's waiting stack and the stack where it took the lock it holds"
is "$(jv halt.json "len(j['lock_order']), [c['deadlock'] for c in j['lock_order']].count(False)")" "2 1" \
  "and, apart, the lock-order cycle behind it (a potential deadlock)"
"$HEAPSPY" report halt.hsp >halt.txt 2>&1
like "$(cat halt.txt)" "^DEADLOCK IN PROGRESS \(found at [0-9.]+ s\): 2 threads wait for each other for ever\$" \
  "text report: its own section"
like "$(cat halt.txt)" "^  thread [0-9]+ \"transfer\" waits for mutex \`journal\` \(lock_deadlock\) \(held by thread [0-9]+\), at:\$" \
  "text report: who waits for what, held by whom"

# without --halt-on-error the program hangs as it would without the spy;
# the report is in the profile when it is killed
"$HEAPSPY" run -q --locks -o 'hang.%p.hsp' -- "$PROG" >hang.out 2>hang.err &
run=$!
for _ in $(seq 100); do grep -q DEADLOCK hang.err 2>/dev/null && break; sleep 0.1; done
like "$(cat hang.err)" "DEADLOCK: 2 threads wait for each other: .*; it is left hanging: the profile has the stacks\$" \
  "without --halt-on-error: reported within 10 s"
prof=$(ls hang.*.hsp 2>/dev/null | head -1)
pid=${prof#hang.}; pid=${pid%.hsp}
sleep 0.5
check "and the program still hangs (pid ${pid:-?})" kill -0 "${pid:-0}"
kill -KILL "${pid:-0}" 2>/dev/null
wait $run
is "$?" 137 "killed: heapspy run exits 128+9"
"$HEAPSPY" report --format json "$prof" >hang.json 2>/dev/null
is "$(jv hang.json "sorted(t['name'] for t in $dl['threads'])")" "['audit', 'transfer']" \
  "the killed program's profile has the deadlock"

# a ring of three threads through a mutex, an rwlock (write) and a spinlock
timeout 20 "$HEAPSPY" run --locks --halt-on-error -o ring.hsp --format json --log-file ring.json \
  -- "$PROG" ring >ring.out 2>ring.err
is "$?" 134 "ring of 3 (mutex, rwlock, spinlock): stopped"
is "$(jv ring.json "sorted((t['name'], t['waits_for']['kind'], t['holds']['kind'], t['waiting_stack'][0]['line']) for t in $dl['threads'])")" \
  "[('ring0', 'rwlock', 'mutex', $(L ring0-waits)), ('ring1', 'spinlock', 'rwlock', $(L ring1-waits)), ('ring2', 'mutex', 'spinlock', $(L ring2-waits))]" \
  "ring: each thread waits for the next one's lock, every kind of lock"

if have_helgrind; then
  timeout 8 valgrind --tool=helgrind "$PROG" >hg.out 2>hg.err
  is "$? $(grep -c 'lock order .* violated' hg.err)" "124 0" \
    "helgrind: hangs until killed (timeout: 124) and reports no lock order violation"
else
  skip "helgrind: hangs and reports nothing" "valgrind not installed"
fi
done_testing
