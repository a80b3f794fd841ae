#!/usr/bin/env bash
# t1715-heap-hostile-core: `heapspy heap CORE` on damaged cores (issue 19,
# "hostile inputs": looping free lists, absurd chunk sizes, truncated
# segments; bounded time and memory, a clear "corrupt heap at ADDR"
# instead of a hang). One gcore of heap_mix (5 arenas) is damaged in
# place by tests/fuzz/mutate_core.py, 96 seeds (HEAPSPY_FUZZ_SEEDS), 12 of
# each of its 8 kinds of damage, and restored after each run. Every run must end by itself
# within 5 s under a 4 GiB address-space limit, with a report (exit 0) or
# one line (exit 1); the damage glibc's own checks would catch (a free
# list aimed at an in-use chunk, an in-use chunk's size) must be named as
# corruption every time; header damage must be told from truncation. One
# seed of each kind then runs under valgrind's memcheck: no invalid read
# or write, no use of uninitialised bytes, on any of them.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/inspect-lib.sh"
plan 9

if ! command -v gcore >/dev/null; then
  skip_rest "hostile cores" "gcore (gdb) not installed"
fi
if ! start_prog C "$TMP/c.ready" "$TESTBIN/heap_mix" "$TMP/c.ready"; then
  echo "Bail out! heap_mix did not start"
  exit 1
fi
gcore -o "$TMP/core" "$C_pid" >/dev/null 2>&1
kill -KILL "$C_pid"
CORE="$TMP/core.$C_pid"
"$HEAPSPY" heap --format json "$CORE" >heap.json
"$HEAPSPY" heap --blocks "$CORE" >blocks
is "$(json heap.json '(len(j["arenas"]), j["problems"])')" "(5, [])" "the intact core: 5 arenas, no problems"
sum_before=$(md5sum <"$CORE")

MUTATE="$TOP/tests/fuzz/mutate_core.py"
N=$(( ${HEAPSPY_FUZZ_SEEDS:-96} / 8 * 8 ))     # make fuzz: more; a multiple of the 8 kinds
python3 "$MUTATE" "$CORE" heap.json blocks 0 "$N" -- "$HEAPSPY" heap >runs.txt
# "seed S kind K: DAMAGE -> status R in T ms, P problems, E stderr lines; LINE"
runs() { grep -E "$1" runs.txt | wc -l; }
is "$(wc -l <runs.txt):$(md5sum <"$CORE")" "$N:$sum_before" "$N damaged cores ran, and the core was restored after each"
is "$(runs ' -> status [01] in ')" "$N" "no crash, no hang: every run ended with status 0 or 1"
slow=$(sed -nE 's/.* in ([0-9]+) ms,.*/\1/p' runs.txt | sort -n | tail -1)
check "bounded time: the slowest run took ${slow} ms (limit 5000)" test "$slow" -lt 5000
is "$(runs ' -> status 1 in .*, 1 stderr lines; heapspy: heap: core file .* is (truncated|corrupt)')" \
  "$(runs ' -> status 1 in ')" "every refusal is one line saying the core is truncated or corrupt"
is "$(runs '^seed [0-9]+ kind [01]: .* [1-9][0-9]* problems')" "$((N / 4))" \
  "a free list aimed at an in-use chunk, or an absurd chunk size: named as corruption every time ($((N / 4)))"
is "$(runs '^seed [0-9]+ kind 5: .* status 1 in .* is truncated: it has')" "$((N / 8))" \
  "a truncated core: refused as truncated, with the byte counts ($((N / 8)))"
is "$(runs '^seed [0-9]+ kind 7: .* status 1 in .* is (corrupt: program header|truncated: it has)')" "$((N / 8))" \
  "a program header past the file: refused ($((N / 8)))"

if command -v valgrind >/dev/null; then
  python3 "$MUTATE" "$CORE" heap.json blocks "$N" 8 -- \
    valgrind -q --error-exitcode=99 --exit-on-first-error=no "$HEAPSPY" heap >vg.txt 2>&1
  is "$(grep -c ' -> status [01] in ' vg.txt)" 8 "one seed of each kind under memcheck: no error in any"
  grep -v ' -> status [01] in ' vg.txt | head -5 | sed 's/^/#   /'
else
  skip "under memcheck" "valgrind not installed"
fi
done_testing
