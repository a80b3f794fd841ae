#!/usr/bin/env bash
# t1030-threads-fork-exec: the process shapes real programs have (SPEC
# "--follow-children", "Totals count calls the way valgrind's HEAP SUMMARY
# does"; story 4's "the spy keeps working"): threads, fork, fork+exec,
# dlopen/dlclose, allocation inside signal handlers.
#
# tfe_prog.c does each (see its header for the exact counts); show_env.c
# is the program it execs. Every expected number is computed from those
# sources; glibc's own allocations are explained where they appear and
# were checked against valgrind by hand.
source "$(dirname "$0")/../lib/tap.sh"
plan 42

PROG="$TESTBIN/tfe_prog"
SHOW="$TESTBIN/show_env"
SRC="tests/cases/tfe_prog.c"
jv() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(" ".join(map(str, r)) if isinstance(r, tuple) else r)' "$1" "$2"; }
# groups_of FILE FUNCTION: the leak groups whose culprit frame is FUNCTION,
# summed per kind (an unrolled loop gives one group per call site)
groups_of() { jv "$1" "sorted((k, sum(g['bytes'] for g in L if g['kind'] == k), sum(g['blocks'] for g in L if g['kind'] == k)) for L in [[g for g in j['leaks'] if g['stack'] and g['stack'][0]['function'] == '$2']] for k in set(g['kind'] for g in L))"; }
line_of() { grep -n "$1" "$TOP/$2" | cut -d: -f1; }

# --- 4 threads: 1000 malloc/free pairs and 3 lost blocks each ----------
# Program: 4*1003 = 4012 allocs, 4000 frees, 4*(16000 + 5*19900) +
# 3*(100+108+116+124) = 463344 bytes; 12 blocks (1344 bytes) lost at
# lose_three. glibc adds one allocation per pthread_create (the thread's
# DTV, calloc'd in _dl_allocate_tls, freed at exit by freeres): valgrind
# says "4,016 allocs, 4,004 frees, 464,432 bytes" = 4 DTVs of 272 bytes.
# The DTV's size grows with the number of modules that have TLS (the spy
# is one), so the test only requires 4 equal DTVs of 16*k bytes.
timeout 25 "$HEAPSPY" run -o threads.hsp --format json -- "$PROG" threads >threads.out 2>threads.json
is "$?" 0 "threads: exit status 0"
is "$(cat threads.out)" "threads done" "threads: the program ran to the end"
is "$(jv threads.json 'j["totals"]["allocs"], j["totals"]["frees"]')" "4016 4004" \
   "threads: 4012 + 4 DTV allocs, 4000 + 4 DTV frees (valgrind: 4,016 allocs, 4,004 frees)"
extra=$(( $(jv threads.json 'j["totals"]["bytes_allocated"]') - 463344 ))
check "threads: bytes allocated = 463344 + 4 DTVs of 16*k bytes (extra $extra)" \
  test "$extra" -ge 1024 -a $((extra % 64)) -eq 0 -a "$extra" -le 4096
is "$(jv threads.json 'j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" "1344 12" "threads: 1344 bytes in 12 blocks in use at exit"
is "$(groups_of threads.json lose_three)" "[('definitely_lost', 1344, 12)]" "threads: one site, lose_three, 12 blocks definitely lost"
is "$(jv threads.json '[g["stack"][0]["line"] for g in j["leaks"] if g["stack"][0]["function"] == "lose_three"][0]')" \
   "$(line_of 'malloc(100 + 8 \* tid); /\* THREAD-LEAK' "$SRC")" "threads: culprit line of lose_three"
# Just before exit every lost block and every DTV is live at once, and
# at most one in-flight block (<= 215 bytes) per worker before that.
peak=$(jv threads.json 'j["totals"]["peak_bytes"]')
check "threads: peak_bytes ($peak) >= 1344 + DTVs ($extra): never less than what was in use" test "$peak" -ge $((1344 + extra))
check "threads: peak_bytes ($peak) <= 1344 + DTVs + 4*215" test "$peak" -le $((1344 + extra + 4 * 215))

# --- fork: the child's allocations never reach the parent's profile ----
"$HEAPSPY" run -o 'fork.%p.hsp' --format json -- "$PROG" fork >fork.out 2>fork.json
is "$?" 0 "fork: exit status 0"
is "$(sort fork.out | tr '\n' ' ')" "child done parent done " "fork: parent and child both ran"
is "$(jv fork.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"]')" "3 1 428" \
   "fork: parent's totals 3 allocs, 1 free, 428 bytes (valgrind: same)"
is "$(jv fork.json 'j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"], j["totals"]["peak_bytes"]')" "128 2 428" \
   "fork: parent's 2 blocks (128 bytes) in use, peak 128 + 300"
is "$(groups_of fork.json parent_loses)" "[('definitely_lost', 128, 2)]" "fork: parent_loses' 2 blocks definitely lost"
is "$(jv fork.json 'len([g for g in j["leaks"] if g["stack"][0]["function"] == "child_loses"])')" 0 "fork: no trace of the child's leak"
is "$(ls fork.*.hsp | wc -l)" 1 "fork: one profile (the child is not followed)"

# With --follow-children the forked child gets a profile of its own that
# continues the parent's heap, as valgrind --trace-children=yes counts it
# ("53 allocs, 50 frees, 2,727 bytes allocated", 1,127 bytes in 3 blocks).
"$HEAPSPY" run -o 'ffork.%p.hsp' --follow-children --format json -- "$PROG" fork >ffork.out 2>ffork.json
is "$?" 0 "fork, followed: exit status 0"
parent_pid=$(jv ffork.json 'j["pid"]')
is "$(jv ffork.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"]')" "3 1 428" \
   "fork, followed: the parent's totals are still 3, 1, 428"
child_prof=$(ls ffork.*.hsp 2>/dev/null | grep -v "^ffork\.$parent_pid\.hsp$")
is "$(echo "$child_prof" | grep -c .)" 1 "fork, followed: a second profile, named by the %p pattern ($child_prof)"
"$HEAPSPY" report --format json "$child_prof" >child.json 2>/dev/null
is "$(jv child.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"], j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" \
   "53 50 2727 1127 3" "fork, followed: the child's profile: 53 allocs, 50 frees, 2727 bytes, 1127 bytes in 3 blocks"
child_pid=$(echo "$child_prof" | sed 's/^ffork\.\([0-9]*\)\.hsp$/\1/')
is "$(jv child.json 'j["pid"]')" "$child_pid" "fork, followed: the child's profile records the child's pid"

# --- exec: the exec'd program is not spied unless followed --------------
"$HEAPSPY" run -o 'exec.%p.hsp' -- "$PROG" exec "$SHOW" >exec.out 2>exec.err
is "$?" 0 "exec: exit status 0 (the exec'd program's)"
like "$(cat exec.out)" "^LD_PRELOAD=" "exec: the exec'd program printed its environment"
check "exec: LD_PRELOAD of the exec'd program does not name libheapspy" \
  sh -c "! grep -q '^LD_PRELOAD=.*libheapspy' exec.out"
is "$(grep '^HEAPSPY_OPTIONS=' exec.out)" "HEAPSPY_OPTIONS=(unset)" "exec: HEAPSPY_OPTIONS is gone too"
is "$(grep '^running=' exec.out)" "running=0" "exec: HEAPSPY_RUNNING() is 0 in the exec'd program"
is "$(ls exec.*.hsp | wc -l)" 1 "exec: no profile for the exec'd program"

# Another preloaded library survives the stripping.
LD_PRELOAD=libm.so.6 "$HEAPSPY" run -q -o 'exec2.%p.hsp' -- "$PROG" exec "$SHOW" >exec2.out 2>/dev/null
is "$(grep '^LD_PRELOAD=' exec2.out)" "LD_PRELOAD=libm.so.6" "exec: the user's own LD_PRELOAD entries are kept"
# ... and a copy of the spy preloaded by hand under another name is known
# by its file: its children were spied with the default options
cp "$HEAPSPY_BUILD/lib/heapspy/libheapspy.so" "$TMP/spy-copy.so"
LD_PRELOAD="libm.so.6:$TMP/spy-copy.so" HEAPSPY_OPTIONS="profile=$PWD/copy.hsp:quiet=1" \
  "$PROG" exec "$SHOW" >exec3.out 2>/dev/null
is "$(grep -E '^(LD_PRELOAD|HEAPSPY_OPTIONS|running)=' exec3.out | tr '\n' ' ')" \
   "LD_PRELOAD=libm.so.6 HEAPSPY_OPTIONS=(unset) running=0 " \
   "exec: a renamed copy of the spy is dropped from LD_PRELOAD too; the exec'd program runs unspied"

"$HEAPSPY" run -o 'fexec.%p.hsp' --follow-children -- "$PROG" exec "$SHOW" >fexec.out 2>fexec.err
is "$?" 0 "exec, followed: exit status 0"
is "$(grep '^running=' fexec.out)" "running=1" "exec, followed: HEAPSPY_RUNNING() is 1 in the exec'd program"
child=$(sed -n 's/^pid=//p' fexec.out)
show_prof=""
for f in fexec."$child".hsp*; do
  [ "$("$HEAPSPY" report --format json "$f" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["program"])' 2>/dev/null)" = "$SHOW" ] && show_prof="$show_prof $f"
done
is "$(echo $show_prof | wc -w)" 1 "exec, followed: one profile of show_env, named from the %p pattern (fexec.$child.hsp...)"
"$HEAPSPY" report --format json $show_prof >show.json 2>/dev/null
is "$(jv show.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"], j["totals"]["in_use_bytes"], j["totals"]["in_use_blocks"]')" \
   "2 1 30 20 1" "exec, followed: show_env's own counts: 2 allocs, 1 free, 30 bytes, 20 bytes in 1 block"
is "$(jv show.json 'j["exit"]["code"], j["exit"]["how"]')" "0 exit" "exec, followed: show_env's profile records that it exited with code 0"

# --- dlopen / dlclose: the module and function are still named ----------
cat >leaky.c <<'C'
/* libleaky.so for t1030: loses n blocks of 40 bytes per call. */
#include <stdlib.h>
#include <string.h>
__attribute__((noinline)) void leaky_make(int n) {
  for (int i = 0; i < n; i++) {
    char *volatile p = malloc(40); /* DSO-LEAK */
    strcpy(p, "from the dlopened library");
    p = NULL;
  }
}
C
gcc -g -O1 -shared -fPIC -o "$TMP/libleaky.so" leaky.c
"$HEAPSPY" run -o dl.hsp --format json -- "$PROG" dlopen "$TMP/libleaky.so" >dl.out 2>dl.json
is "$?" 0 "dlopen: exit status 0"
is "$(groups_of dl.json leaky_make)" "[('definitely_lost', 120, 3)]" "dlopen: leaky_make's 3 blocks (120 bytes) definitely lost after dlclose"
is "$(jv dl.json '[(g["module"], g["stack"][0]["module"], g["stack"][0]["file"], g["stack"][0]["line"]) for g in j["leaks"] if g["stack"][0]["function"] == "leaky_make"][0]')" \
   "libleaky.so libleaky.so $TMP/leaky.c $(grep -n 'DSO-LEAK' leaky.c | cut -d: -f1)" \
   "dlopen: the unloaded module, function and file:line are named"
# dlopen/dlclose also allocate and free inside glibc (link map, scope
# arrays, _dl_find_object's tables) in numbers that depend on which other
# libraries are loaded, so they differ between heapspy (libheapspy and its
# dependencies preloaded) and valgrind (its own two preloads): only check
# that the counters agree with each other.
is "$(jv dl.json 'j["totals"]["allocs"] - j["totals"]["frees"] == j["totals"]["in_use_blocks"] and j["totals"]["allocs"] >= 4')" True \
   "dlopen: allocs - frees = blocks in use"

# --- allocation in signal handlers ---------------------------------------
timeout 20 "$HEAPSPY" run -o raise.hsp --format json -- "$PROG" raise >raise.out 2>raise.json
is "$?" 0 "raise: completes with status 0 (no deadlock)"
is "$(jv raise.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"], j["totals"]["in_use_blocks"]')" \
   "100 100 20000 0" "raise: the handler's 100 malloc(200)/free pairs counted exactly"

# SIGALRM every millisecond interrupts the program anywhere, including
# inside the spy: nothing may deadlock, and every call still counts, as
# under valgrind (which counts the handler's calls like any other).
timeout 25 "$HEAPSPY" run -o alarm.hsp --format json -- "$PROG" alarm >alarm.out 2>alarm.json
is "$?" 0 "alarm: completes with status 0 within the time limit (no deadlock)"
I=$(sed -n 's/^iterations=\([0-9]*\) alarms=\([0-9]*\)$/\1/p' alarm.out)
A=$(sed -n 's/^iterations=\([0-9]*\) alarms=\([0-9]*\)$/\2/p' alarm.out)
is "$(jv alarm.json 'j["totals"]["allocs"], j["totals"]["frees"], j["totals"]["bytes_allocated"], j["totals"]["in_use_blocks"]')" \
   "$((I + A)) $((I + A)) $((24 * I + 200 * A)) 0" "alarm: $I loop + $A handler allocations, all counted, none left in use"

done_testing
