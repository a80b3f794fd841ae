#!/usr/bin/env bash
# t1350-locks-clean-and-off: --locks on correct programs, and without it.
#  - lock_clean.c locks correctly through every intercepted kind
#    (condition waits, rwlocks, spinlocks, trylock, timedlock, recursive):
#    no cycle, no error, the same output, locks counted.
#  - --locks changes nothing the allocation report says (tfe_prog threads:
#    valgrind's 4,016 allocs and 4,004 frees, see t1030).
#  - without --locks, a program behaves and reports exactly as before.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/locks-lib.sh"
plan 9

PROG="$TESTBIN/lock_clean"
timeout 25 "$HEAPSPY" run --locks -o clean.hsp --format json -- "$PROG" >clean.out 2>clean.json
is "$?" 0 "lock_clean: exit status 0"
is "$(cat clean.out)" "produced 1000 consumed 1000" "lock_clean: ran to the end, same output"
is "$(jv clean.json 'j["lock_order"], j["errors"]')" "[] []" "lock_clean: no cycle, no error"
"$HEAPSPY" report clean.hsp >clean.txt 2>&1
like "$(cat clean.txt)" "^LOCK ORDER: 4 locks, 4 orderings seen; 0 potential deadlocks, 0 gated \(safe\) cycles\$" \
   "lock_clean: its 4 locks (m, rw, spin, r) and 4 orderings (rw>m, rw>spin, m>spin, r>m)"

timeout 25 "$HEAPSPY" run --locks -o th.hsp --format json -- "$TESTBIN/tfe_prog" threads >/dev/null 2>th.json
is "$(jv th.json 'j["totals"]["allocs"], j["totals"]["frees"]')" "4016 4004" \
   "--locks: allocation totals as valgrind's (4,016 allocs, 4,004 frees)"

timeout 25 "$HEAPSPY" run -o a.hsp --format json --log-file a.json -- "$TESTBIN/run_basics" >a.out 2>&1
ra=$?
timeout 25 "$HEAPSPY" run --locks -o b.hsp --format json --log-file b.json -- "$TESTBIN/run_basics" >b.out 2>&1
is "$ra $? $(cmp -s a.out b.out && echo same)" "$(echo $ra $ra same)" "run_basics: same status and output with and without --locks"
strip='(j["totals"], [(g["kind"], g["bytes"], g["blocks"], [f["function"] for f in g["stack"]]) for g in j["leaks"]])'
is "$(jv a.json "len(j[\"leaks\"]) > 0")" True "run_basics: the report has its leaks"
is "$(jv b.json "$strip")" "$(jv a.json "$strip")" "run_basics: same totals and leaks with and without --locks"
is "$(jv a.json 'j["lock_order"], j["errors"]')" "[] []" \
   "run_basics without --locks: no lock data"
done_testing
