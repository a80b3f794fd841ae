#!/usr/bin/env bash
# t1370-yield-after-unlock: --yield-after-unlock gives the processor away
# after every unlock, so a race window just after an unlock is entered by
# another thread. lock_yield.c pins a checker and a meddler to one CPU; the
# checker counts the windows (2,000) in which the meddler overwrote the
# value it had just published: without yields the meddler only runs when a
# time slice ends (the loop takes well under one), with them in every window.
source "$(dirname "$0")/../lib/tap.sh"
plan 9

PROG="$TESTBIN/lock_yield"
interleaved() { sed -n 's/^windows 2000 interleaved \([0-9]*\)$/\1/p' "$1"; }

timeout 25 "$HEAPSPY" run -q -o plain.hsp -- "$PROG" >plain.out 2>plain.err
is "$?" 0 "without the option: exit status 0"
n=$(interleaved plain.out)
check "without the option the meddler rarely enters the window (${n:-?} of 2000)" [ "${n:-9999}" -lt 100 ]

timeout 25 "$HEAPSPY" run -q --yield-after-unlock -o y.hsp -- "$PROG" >y.out 2>y.err
is "$?" 0 "--yield-after-unlock: exit status 0"
n=$(interleaved y.out)
check "--yield-after-unlock: the meddler enters nearly every window (${n:-?} of 2000)" [ "${n:--1}" -ge 1900 ]

timeout 25 "$HEAPSPY" run -q --locks --yield-after-unlock -o yl.hsp -- "$PROG" >yl.out 2>yl.err
n=$(interleaved yl.out)
check "with --locks too (${n:-?} of 2000)" [ "${n:--1}" -ge 1900 ]

timeout 25 env LD_PRELOAD="$HEAPSPY_BUILD/lib/heapspy/libheapspy.so" HEAPSPY_OPTIONS="profile=$PWD/env.hsp:yield_after_unlock=1" "$PROG" >env.out 2>env.err
n=$(interleaved env.out)
check "HEAPSPY_OPTIONS=yield_after_unlock=1 by hand (${n:-?} of 2000)" [ "${n:--1}" -ge 1900 ]

# the yields themselves, counted by strace: one per unlock of the checker
# (500) and of the meddler; none without the option
if command -v strace >/dev/null; then
  yields() { strace -f -c -e trace=sched_yield -o "$1" "$HEAPSPY" run -q "${@:2}" -- "$PROG" 500 >/dev/null 2>&1
             awk '$NF == "sched_yield" {print $4}' "$1"; }
  n=$(yields st1.txt --yield-after-unlock)
  check "strace: --yield-after-unlock makes at least one sched_yield per unlock (${n:-?} for 500 + the meddler's)" [ "${n:--1}" -ge 500 ]
  n=$(yields st0.txt)
  is "${n:-0}" 0 "strace: no sched_yield without the option"
else
  skip "strace: sched_yield counted" "strace not installed"
  skip "strace: none without the option" "strace not installed"
fi

like "$("$HEAPSPY" run --help)" "--yield-after-unlock" "run --help documents it"
done_testing
