#!/usr/bin/env bash
# t1022-calls-after-exit: calls that come after heapspy's last look at the
# process are in the profile. The loader runs the destructors of
# libraries loaded before heapspy's after heapspy's own (gdb's: 800
# frees), and SIGKILL gives no last look at all.
#  - --sample counts every call exactly (SPEC: allocations, frees, bytes
#    allocated): each thread counts in a slot of the profile itself, which
#    readers sum, so no flush is needed.
#  - past exit's last flush, every call flushes its stack's counts and
#    the queued table operations as it leaves the spy, so the stacks
#    (hotspots) and --trace have the destructors' calls too.
#  - a last exit handler, registered from heapspy's destructor, runs
#    after every destructor and scans again if they allocated: a block a
#    late destructor loses is definitely lost, as memcheck says.
#
# Oracles: exit_paths.c's counts (t1020: "7 allocs, 1 frees, 1227 bytes"
# for return, 49/42/4550 for sigkill-burst, which valgrind agrees with),
# and valgrind's own "total heap usage" and "in use at exit" of late_free,
# a program whose library frees and allocates in its destructor.
source "$(dirname "$0")/../lib/tap.sh"
plan 14

PROG="$TESTBIN/exit_paths"
totals() { "$HEAPSPY" report --format json "$1" | python3 -c '
import json, sys
t = json.load(sys.stdin)["totals"]
print(t["allocs"], t["frees"], t["bytes_allocated"])'; }

for opts in "--sample 1G" "--sample 64 --sample-seed 3"; do
  # shellcheck disable=SC2086 # the options split on purpose
  "$HEAPSPY" run -q $opts -o kill.hsp -- "$PROG" sigkill-burst >/dev/null 2>&1
  is "$(totals kill.hsp)" "49 42 4550" \
     "SIGKILL after a burst, $opts: 49 allocs, 42 frees, 4550 bytes (none lost with the process)"
  # shellcheck disable=SC2086
  "$HEAPSPY" run -q $opts -o ret.hsp -- "$PROG" return >/dev/null 2>&1
  is "$(totals ret.hsp)" "7 1 1227" \
     "return from main with an atexit handler, $opts: 7 allocs, 1 free, 1227 bytes"
done

# A library whose constructor allocates 100 blocks and whose destructor
# frees them and allocates and frees one more: the loader runs that
# destructor after heapspy's, so those 101 frees came after its last flush.
cat >late.c <<'EOF'
#include <stdlib.h>
static void *volatile keep[100];
__attribute__((constructor)) static void late_init(void) {
  for (int i = 0; i < 100; i++) keep[i] = malloc(32);
}
__attribute__((destructor)) static void late_fini(void) {
  for (int i = 0; i < 100; i++) free(keep[i]);
  void *volatile p = malloc(10);
  free(p);
}
EOF
cat >main.c <<'EOF'
#include <stdlib.h>
int main(void) { void *volatile p = malloc(5); free(p); return 0; }
EOF
gcc -O1 -shared -fPIC -o liblate.so late.c &&
  gcc -O1 -o late_free main.c -Wl,--no-as-needed -L. -llate -Wl,-rpath,"$PWD"
is "$?" 0 "late_free and liblate.so build"
"$HEAPSPY" run -q -o exact.hsp -- ./late_free
is "$(totals exact.hsp)" "102 102 3215" "the exact mode: 102 allocs, 102 frees, 3215 bytes"
"$HEAPSPY" run -q --sample 1G -o late.hsp -- ./late_free
is "$(totals late.hsp)" "102 102 3215" \
   "--sample 1G: 102 allocs, 102 frees, 3215 bytes (the destructor's calls after heapspy's included)"
"$HEAPSPY" report --hotspots --format collapsed exact.hsp >stacks.txt
is "$(grep -c ';late_fini 10$' stacks.txt)" 1 "the exact mode's stacks: late_fini's 10 bytes, allocated after heapspy's destructor"
is "$(awk '{s += $NF} END {print s}' stacks.txt)" 3215 "the stacks' bytes add up to the total, 3215"
"$HEAPSPY" run -q --trace -o trace.hsp -- ./late_free
"$HEAPSPY" report --format heaptrack -o trace.ht trace.hsp
if command -v heaptrack_print >/dev/null 2>&1; then
  heaptrack_print trace.ht >trace.txt 2>&1
  like "$(cat trace.txt)" "calls to allocation functions: 102 " "--trace, read back by heaptrack_print: 102 calls"
  like "$(cat trace.txt)" "total memory leaked: 0B" "--trace: nothing leaked (the destructor's frees are in the trace)"
else
  skip "heaptrack_print reads the trace" "heaptrack not installed"
  skip "heaptrack_print: nothing leaked" "heaptrack not installed"
fi
if command -v valgrind >/dev/null 2>&1; then
  vg=$(valgrind ./late_free 2>&1 | sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes.*/\1 \2 \3/p' | tr -d ,)
  is "$(totals late.hsp)" "$vg" "--sample's totals equal valgrind's ($vg)"
else
  skip "valgrind's totals" "valgrind not installed"
fi

# A destructor run after heapspy's that loses a block (40 bytes).
cat >lose.c <<'EOF'
#include <stdlib.h>
__attribute__((destructor)) static void lose_fini(void) { void *volatile p = malloc(40); (void)p; }
EOF
gcc -O1 -shared -fPIC -o liblose.so lose.c &&
  gcc -O1 -o late_lose main.c -Wl,--no-as-needed -L. -llose -Wl,-rpath,"$PWD"
"$HEAPSPY" run -q -o lose.hsp -- ./late_lose
lost=$("$HEAPSPY" report --format json lose.hsp | python3 -c '
import json, sys
d = json.load(sys.stdin)["leak_summary"]["definitely_lost"]
print(d["bytes"], d["blocks"])')
is "$lost" "40 1" "a block lost by a destructor run after heapspy's: 40 bytes in 1 block definitely lost"
if command -v valgrind >/dev/null 2>&1; then
  vg=$(valgrind --leak-check=full ./late_lose 2>&1 | sed -n 's/.*definitely lost: \([0-9,]*\) bytes in \([0-9,]*\) blocks.*/\1 \2/p')
  is "$lost" "$vg" "as memcheck says ($vg)"
else
  skip "memcheck's verdict" "valgrind not installed"
fi

done_testing
