#!/usr/bin/env bash
# t1400-check-heap: issue 3, --check on C heap bugs (check_heap.c). Each
# bug is reported once, at once on stderr (one ASan-shaped line: kind, the
# bad address, then the story) and in
# the JSON errors[]: kind, the block's address and size, the offset of
# the first bad byte, and the lines of the detection point, the
# allocation and (when freed) the free. Invalid frees are never passed to
# glibc: the program runs on. Memcheck finds the same bugs (at the write
# itself; --check finds writes at free, eviction or exit).
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/check-lib.sh"
plan 38

P="$TESTBIN/check_heap"
at() { printf '0x%x' $((addr + $1)); }   # the bad byte, ASan's "on address"
shape() {  # NAME: the report's error lines without the frames, threads as T
  "$HEAPSPY" report "$1.hsp" 2>/dev/null | sed -n '/^ERROR: heapspy/,/^SUMMARY/p' | grep -v '^    ' |
    sed -E 's/thread [0-9]+/thread T/g' | paste -sd'|'
}
S=check_heap.c
vg() {  # who else catches it: memcheck
  if have_valgrind; then
    check "$1: memcheck finds it too" test "$(vg_finds "$P" "$1")" -ge 1
  else
    skip "$1: memcheck finds it too" "valgrind not installed"
  fi
}

check_run o1 "$P" overflow1
is "$(cat o1.status)" 0 "overflow by 1: the program runs to its end"
like "$(cat o1.err)" "^heapspy: ERROR: heap_overflow on address $(at 24): 1 byte past the 24-byte block at $addr \(first at offset 24\), detected at free$" \
  "overflow by 1: one line on stderr"
is "$(errs o1)" "[('heap_overflow', '$addr', 24, 24, $(mark $S overflow1-free), $(mark $S overflow1-alloc), None)]" \
  "overflow by 1: errors[]"
vg overflow1
is "$(shape o1 | cut -d'|' -f3,5)" "$(at 24) is located 0 bytes to the right of 24-byte region [$addr,$(at 24))|SUMMARY: heapspy: heap_overflow tests/cases/check_heap.c:$(mark $S overflow1-free) in overflow1" \
  "overflow by 1: ASan's words for where the byte lies, SUMMARY at the detecting free"

check_run ro "$P" realloc-overflow
like "$(cat ro.err)" "^heapspy: ERROR: heap_overflow on address $(at 25): 2 bytes past the 24-byte block at $addr \(first at offset 25\), detected at realloc$" \
  "overflow found by realloc: it says so"
is "$(errs ro)" "[('heap_overflow', '$addr', 24, 25, $(mark $S realloc-overflow-realloc), $(mark $S realloc-overflow-alloc), None)]" \
  "overflow found by realloc: errors[] at the realloc"

check_run om "$P" overflow-many
like "$(cat om.err)" "^heapspy: ERROR: heap_overflow on address $(at 24): 10 bytes past the 24-byte block at $addr \(first at offset 24\), detected at free$" \
  "overflow by 10: how far, on stderr"
is "$(errs om)" "[('heap_overflow', '$addr', 24, 24, $(mark $S overflow-many-free), $(mark $S overflow-many-alloc), None)]" \
  "overflow by 10: errors[]"
vg overflow-many

check_run un "$P" underflow
like "$(cat un.err)" "^heapspy: ERROR: heap_underflow on address $(at -1): 1 byte before the 24-byte block at $addr \(first at offset -1\), detected at free$" \
  "underflow by 1: stderr"
is "$(errs un)" "[('heap_underflow', '$addr', 24, -1, $(mark $S underflow-free), $(mark $S underflow-alloc), None)]" \
  "underflow by 1: errors[]"
vg underflow
is "$(shape un | cut -d'|' -f3)" "$(at -1) is located 1 bytes to the left of 24-byte region [$addr,$(at 24))" \
  "underflow by 1: to the left of the block"

# Past the red zone lies the block's record (its size, stack, time; a
# 16-bit seal), then glibc's chunk header: an underflow through both is
# the zone's report alone (the allocation stack went with the record), a
# write over the record alone is reported at free as an underflow of its
# own, taken with the size glibc's chunk gives; both programs run on.
# (Before the records, the first died of glibc's abort after the report,
# the second of it without one.)
check_run ud "$P" underflow-deep
like "$(cat ud.err)" "^heapspy: ERROR: heap_underflow on address $(at -16): at least 16 bytes before the 24-byte block at $addr \\(first at offset -16\\), detected at free$" \
  "underflow through the red zone into the record: the zone's report"
is "$(errs ud) $(cat ud.status)" "[('heap_underflow', '$addr', 24, -16, $(mark $S underflow-deep-free), None, None)] 0" \
  "underflow through the red zone: one error, the program runs on"
check_run ur "$P" underflow-record
like "$(cat ur.err)" "^heapspy: ERROR: heap_underflow on address $(at -32): the record heapspy keeps 32 bytes before the block at $addr was overwritten \\(an underflow past its 16-byte red zone\\), detected at free$" \
  "a write over the record alone: reported"
is "$(errs ur) $(cat ur.status)" "[('heap_underflow', '$addr', 24, -32, $(mark $S underflow-record-free), None, None)] 0" \
  "a write over the record: one error, the size from glibc's chunk, the program runs on"
vg underflow-record

# Story 2: the creator frees, the holder's release() decrements the count.
check_run uaf "$P" use-after-free
like "$(cat uaf.err)" "^heapspy: ERROR: use_after_free on address $addr: 1 byte written \(offsets 0\.\.0\) in the 48-byte block at $addr after it was freed, detected at exit$" \
  "use after free (story 2): stderr"
is "$(python3 -c 'import json,sys; e=json.load(open("uaf.json"))["errors"]; print([(x["kind"], x["address"], x["size"], x["offset"], x["alloc_stack"][0]["line"], x["alloc_stack"][1]["function"], x["free_stack"][0]["line"]) for x in e])')" \
  "[('use_after_free', '$addr', 48, 0, $(mark $S obj-alloc), 'use_after_free', $(mark $S obj-creator-free))]" \
  "use after free: errors[] with the allocation and the creator's free"
vg use-after-free
is "$(shape uaf)" "ERROR: heapspy: use_after_free on address $addr (thread T)|detected by thread T here:|$addr is located 0 bytes inside of 48-byte region [$addr,$(at 48))|freed here:|previously allocated here:|SUMMARY: heapspy: use_after_free tests/cases/check_heap.c:$(mark $S obj-creator-free) in use_after_free" \
  "use after free: the report in ASan's shape (kind and address, stacks, where in the block, SUMMARY)"

# Freed blocks are poisoned and verified in their first 4 KiB only (the
# documented bound): a write 4000 bytes into a freed 8 KiB block is found,
# one 5000 bytes in is not (--guard's job).
check_run be "$P" uaf-write-big-early
is "$(json be.json '[(e["kind"], e["address"], e["size"], e["offset"]) for e in j["errors"]]')" \
  "[('use_after_free', '$addr', 8192, 4000)]" "use after free 4000 bytes into a freed 8 KiB block: found"
check_run bl "$P" uaf-write-big-late
is "$(json bl.json 'len(j["errors"])') $(cat bl.status)" "0 0" "5000 bytes in: past the 4 KiB poisoned, not found (documented)"

check_run df "$P" double-free
like "$(cat df.err)" "^heapspy: ERROR: double_free on address $addr: the 32-byte block at $addr was freed already, detected at free$" \
  "double free: stderr"
is "$(errs df)" "[('double_free', '$addr', 32, 0, $(mark $S double-second), $(mark $S double-alloc), $(mark $S double-first))]" \
  "double free: errors[] with both frees"
is "$(cat df.status)" 0 "double free: not passed to glibc, the program runs on"
vg double-free

check_run is "$P" invalid-stack
like "$(cat is.err)" "^heapspy: ERROR: invalid_free on address $addr: $addr was not allocated by malloc \(a stack address\), detected at free$" \
  "free of a stack address: stderr"
is "$(errs is)" "[('invalid_free', '$addr', 0, 0, $(mark $S invalid-stack), None, None)]" "free of a stack address: errors[]"
is "$(cat is.status)" 0 "free of a stack address: the program runs on"

check_run ii "$P" invalid-interior
like "$(cat ii.err)" "^heapspy: ERROR: invalid_free on address $(at 16): 0x[0-9a-f]+ is 16 bytes inside the 64-byte block at $addr, detected at free$" \
  "free of an interior pointer: stderr"
is "$(errs ii)" "[('invalid_free', '$addr', 64, 16, $(mark $S interior-free), $(mark $S interior-alloc), None)]" \
  "free of an interior pointer: errors[] (the block, how far in)"
is "$(python3 -c 'import json; print(json.load(open("ii.json"))["totals"]["in_use_blocks"])')" 0 \
  "free of an interior pointer: the block itself is freed later, nothing leaks"

"$HEAPSPY" run --check --error-exitcode 7 -q -o ec.hsp -- "$P" double-free >/dev/null 2>&1
is "$?" 7 "--error-exitcode counts --check errors"
"$HEAPSPY" run --check --halt-on-error -q -o halt.hsp -- "$P" overflow1 >/dev/null 2>&1
is "$?" 134 "--halt-on-error: the program is stopped at the first error (SIGABRT)"
"$HEAPSPY" report --format json halt.hsp >halt.json 2>/dev/null
halt_addr=$(python3 -c 'import json; print(json.load(open("halt.json"))["errors"][0]["address"])')
is "$(errs halt)" "[('heap_overflow', '$halt_addr', 24, 24, $(mark $S overflow1-free), $(mark $S overflow1-alloc), None)]" \
  "--halt-on-error: the error is in the profile"
done_testing
