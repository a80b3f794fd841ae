#!/usr/bin/env bash
# t1028-memcheck-text: issue 15, deliverable 2: `heapspy valgrind` prints
# memcheck's report shape, checked line by line against valgrind itself
# (the oracle) on the same programs and options: "==PID==" lines, the
# error headlines, "Address 0x... is N bytes inside a block of size M
# free'd", "Block was alloc'd at", the frames (function, file:line), HEAP
# SUMMARY, the loss records in memcheck's order, LEAK SUMMARY, ERROR
# SUMMARY, valgrind's -q. tests/lib/memcheck_norm.py masks pids and
# addresses and drops the checkers' own frames (valgrind's "malloc (in
# vgpreload_memcheck...)"). heapspy valgrind turns --check on: memcheck
# finds bad frees without being asked.
source "$(dirname "$0")/../lib/tap.sh"
plan 18

H="$HEAPSPY"
N="$TOP/tests/lib/memcheck_norm.py"
if ! command -v valgrind >/dev/null; then
  skip_rest "memcheck's text against valgrind's" "valgrind not installed"
fi

# same NAME [OPTIONS --] PROG ARGS: valgrind's and heapspy's logs, normalized, equal
same() {
  local name=$1 opts=()
  shift
  while [ "$1" != "--" ]; do opts+=("$1"); shift; done
  shift
  valgrind "${opts[@]}" "$@" >/dev/null 2>"v.$name"
  "$H" valgrind "${opts[@]}" "$@" >/dev/null 2>"h.$name"
  python3 "$N" "v.$name" >"nv.$name"
  python3 "$N" "h.$name" >"nh.$name"
  is "$(diff "nv.$name" "nh.$name" && echo same)" same "$name: the whole report as valgrind's (${opts[*]})"
}

L="$TESTBIN/vg_leaks" C="$TESTBIN/check_heap" X="$TESTBIN/check_cxx"
same leaks --leak-check=full --show-leak-kinds=all -- "$L" leak
is "$(grep -c 'in loss record' nh.leaks):$(grep -c 'in loss record' nv.leaks)" "3:3" \
   "... its 3 loss records (reachable 64, possible 256, definite 300 bytes) in memcheck's order"
same leaks-default -- "$L" leak
same leaks-quiet -q --leak-check=full -- "$L" leak
is "$(head -1 nh.leaks-quiet)" "256 bytes in 1 blocks are possibly lost in loss record 2 of 3" \
   "-q: no banner, no summaries; the records keep their numbers"
same double-free --leak-check=full -- "$L" double-free
is "$(sed -n 1,2p nh.double-free)" "Invalid free() / delete / delete[] / realloc()
   fr 0x?: free_twice (vg_leaks.c:47)" "double free: memcheck's headline, the second free's line first"
same check-double-free --leak-check=full -- "$C" double-free
same invalid-interior --leak-check=full -- "$C" invalid-interior
for m in new-free array-delete malloc-delete new-delete-array; do
  same "cxx-$m" --leak-check=full -- "$X" "$m"
done

"$H" valgrind --leak-check=full -o l.hsp "$L" leak >/dev/null 2>l.log
"$H" report --format memcheck l.hsp >l.rep
is "$(diff l.log l.rep && echo same)" same "report --format memcheck PROFILE: the run's report again"

# A write past a block: --check finds it when the block is freed, so the
# first frame is the free's line (valgrind: the write's, one line up);
# the rest agrees. --guard faults at the write itself: the same lines.
valgrind "$C" overflow1 >/dev/null 2>v.ov
"$H" valgrind "$C" overflow1 >/dev/null 2>h.ov
is "$(python3 "$N" h.ov --first-error | sed 2d | grep -v '^ (heapspy found')" \
   "$(python3 "$N" v.ov --first-error | sed 2d)" \
   "overflow under --check: headline, 'Address ... is 0 bytes after a block of size 24 alloc'd', allocation stack as valgrind's"
is "$(python3 "$N" h.ov --first-error | sed -n 2p):$(python3 "$N" v.ov --first-error | sed -n 2p)" \
   "   fr 0x?: overflow1 (check_heap.c:30):   fr 0x?: overflow1 (check_heap.c:29)" \
   "... its first frame: the free (heapspy --check), the write (valgrind)"
valgrind "$C" uaf-read >/dev/null 2>v.uaf
"$H" valgrind --guard "$C" uaf-read >/dev/null 2>h.uaf
is "$(python3 "$N" h.uaf --first-error)" "$(python3 "$N" v.uaf --first-error)" \
   "read after free under --guard: 'Invalid read of size 1' at the reading line, free and allocation stacks as valgrind's"

# memcheck counts the next of a lost list in its head's record ("64 (32
# direct, 32 indirect)"); heapspy does not attribute indirect bytes to a
# record: the summaries agree, that record does not.
valgrind --leak-check=full "$L" list >/dev/null 2>v.list
"$H" valgrind --leak-check=full "$L" list >/dev/null 2>h.list
is "$(python3 "$N" h.list | sed -n '/LEAK SUMMARY/,$p')" "$(python3 "$N" v.list | sed -n '/LEAK SUMMARY/,$p')" \
   "an indirect leak: LEAK SUMMARY and ERROR SUMMARY as valgrind's"
done_testing
