#!/usr/bin/env bash
# t1330-locks-misuse: issue 7 deliverable 3. A thread re-locking a
# default mutex it holds waits for ever: the error is in the profile
# before it blocks, so the report has it after the program is killed
# (here by its own alarm(2), SIGALRM). Unlocking a mutex another thread
# holds, destroying a held mutex: errors too. A recursive mutex taken
# twice: none.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/locks-lib.sh"
plan 12

PROG="$TESTBIN/lock_misuse"
SRC=lock_misuse.c
timeout 25 "$HEAPSPY" run --locks -o relock.hsp -- "$PROG" relock >/dev/null 2>relock.err
is "$?" 142 "relock: the program hangs until its alarm kills it (128+SIGALRM)"
like "$(cat relock.err)" "^heapspy: warning: thread [0-9]+ takes again the mutex at 0x[0-9a-f]+ it already holds: it will wait for ever" \
   "relock: said on stderr when it happens"
"$HEAPSPY" report --format json relock.hsp >relock.json 2>/dev/null
is "$(jv relock.json '[(e["kind"], e["lock"]["name"]) for e in j["errors"]]')" \
   "[('lock_relock_deadlock', 'mutex \`m\` (lock_misuse)')]" "relock: one error, lock_relock_deadlock, naming the mutex"
is "$(jv relock.json 'j["errors"][0]["access_stack"][0]["line"], j["errors"][0]["acquired_stack"][0]["line"]')" \
   "$(line_of relock $SRC) $(( $(line_of relock $SRC) - 1 ))" "relock: where it locks again, and where it first took it"
is "$(jv relock.json 'j["exit"]["signal"]')" 14 "relock: the profile survived the death by SIGALRM"
like "$("$HEAPSPY" report relock.hsp 2>&1)" "^ERROR lock_relock_deadlock: thread [0-9]+ takes again a lock it already holds" \
   "relock: text report"

timeout 25 "$HEAPSPY" run --locks -o unlock.hsp --format json -- "$PROG" unlock >/dev/null 2>unlock.json
is "$?" 0 "unlock: exit status 0"
is "$(jv unlock.json '[(e["kind"], e["access_stack"][0]["line"]) for e in j["errors"]]')" \
   "[('lock_unlock_not_held', $(line_of unlock-not-held $SRC))]" "unlock of a mutex held by another thread: lock_unlock_not_held"

timeout 25 "$HEAPSPY" run --locks -o destroy.hsp --format json -- "$PROG" destroy >/dev/null 2>destroy.json
is "$(jv destroy.json '[(e["kind"], e["access_stack"][0]["line"]) for e in j["errors"]]')" \
   "[('lock_destroy_held', $(line_of destroy-held $SRC))]" "destroy of a held mutex: lock_destroy_held"

timeout 25 "$HEAPSPY" run --locks -o rec.hsp --format json -- "$PROG" recursive >/dev/null 2>rec.json
is "$(jv rec.json 'j["errors"], j["lock_order"]')" "[] []" "a recursive mutex taken twice: no error"

timeout 25 "$HEAPSPY" run --locks --error-exitcode 9 -o d2.hsp -- "$PROG" destroy >/dev/null 2>&1
is "$?" 9 "--error-exitcode counts lock errors"
timeout 25 "$HEAPSPY" run -o off.hsp --format json -- "$PROG" destroy >/dev/null 2>off.json
is "$(jv off.json 'j["errors"]')" "[]" "without --locks: no lock errors"
done_testing
