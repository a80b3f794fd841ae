#!/usr/bin/env bash
# t1410-check-cxx: issue 3, --check on C++ family mismatches
# (check_cxx.cpp): new/free, new[]/delete, malloc/delete, new/delete[]
# are mismatched_free errors at the freeing line, with the allocation
# line; offset is the family of the freeing call (0 free, 1 delete,
# 2 delete[]). Pairs used right (and an over-aligned new): no error.
# Memcheck reports the same mismatches.
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/check-lib.sh"
plan 14

P="$TESTBIN/check_cxx"
S=check_cxx.cpp
one() {  # mode, alloc word, free word, freeing family
  check_run "$1" "$P" "$1"
  like "$(cat "$1.err")" "^heapspy: ERROR: mismatched_free on address $addr: the [0-9]+-byte block at $addr was allocated with $2 and freed with $3$" \
    "$1: stderr"
  is "$(errs "$1" | sed -E "s/^(\[\('[a-z_]+', '[0-9a-fx]+'), [0-9]+, /\1, SIZE, /")" \
    "[('mismatched_free', '$addr', SIZE, $4, $(mark $S "$1-free"), $(mark $S "$1-alloc"), None)]" "$1: errors[]"
  if have_valgrind; then
    check "$1: memcheck finds it too" test "$(vg_finds "$P" "$1")" -ge 1
  else
    skip "$1: memcheck finds it too" "valgrind not installed"
  fi
}
one new-free new free 0
one array-delete 'new\[\]' delete 1
one malloc-delete malloc delete 1
one new-delete-array new 'delete\[\]' 2

check_run clean "$P" clean
is "$(cat clean.out)" "clean: ok" "clean: pairs used right, alignment kept"
is "$(errs clean)" "[]" "clean: no errors"
done_testing
