#!/usr/bin/env bash
# t1031-memcheck-clients: issue 15, deliverable 6: the CI tools that run
# valgrind run heapspy with one word changed, and say the same.
# - CTest: `ctest -T memcheck` on tests/clients/cmake with
#   MEMORYCHECK_COMMAND=heapspy-valgrind (CTest knows memcheck by a
#   "valgrind" in the command's name) reports the defects per test and the
#   "Memory checking results" valgrind gives it;
# - meson: `meson test --wrap='heapspy valgrind --error-exitcode=1
#   --leak-check=full'` on tests/clients/meson fails the tests valgrind
#   fails;
# - a make-check-style script: exit codes and the "ERROR SUMMARY: 0 errors"
#   grep, as with valgrind.
# The program: tests/cases/vg_leaks.c (a leaking test, a double free, a
# clean one).
source "$(dirname "$0")/../lib/tap.sh"
plan 8

HV="$(dirname "$HEAPSPY")/heapspy-valgrind"
L="$TESTBIN/vg_leaks"
have_valgrind=$(command -v valgrind)

# --- a make-check-style script -------------------------------------------
codes() {   # the exit codes of CMD... on leak, double-free and clean
  local out=""
  for m in leak double-free clean; do
    "$@" --leak-check=full --error-exitcode=1 "$L" "$m" >/dev/null 2>&1
    out="$out$m=$? "
  done
  echo "$out"
}
is "$(codes "$HEAPSPY" valgrind)" "leak=1 double-free=1 clean=0 " "heapspy valgrind --leak-check=full --error-exitcode=1: fails the leak and the double free"
if [ -n "$have_valgrind" ]; then
  is "$(codes valgrind)" "$(codes "$HV")" "... as valgrind does (through heapspy-valgrind, the link)"
else
  skip "exit codes as valgrind's" "valgrind not installed"
fi
"$HEAPSPY" valgrind "$L" clean 2>clean.log >/dev/null
check "grep -q 'ERROR SUMMARY: 0 errors' on a clean program passes" grep -q 'ERROR SUMMARY: 0 errors' clean.log

# --- CTest -----------------------------------------------------------------
memcheck() {   # DIR CHECKER: ctest -T memcheck's defects and results
  cmake -S "$TOP/tests/clients/cmake" -B "$1" -DMEMORYCHECK_COMMAND="$2" >"$1.log" 2>&1 &&
    cmake --build "$1" >>"$1.log" 2>&1 || { echo "build failed"; return; }
  (cd "$1" && ctest -T memcheck 2>&1) | sed -n -e 's/.*MemCheck: #[0-9]*: \([a-z_]*\) .*Defects: \([0-9]*\)/\1: \2/p' \
    -e '/^Memory checking results:/,$p'
}
if ! command -v ctest >/dev/null; then
  for i in 1 2 3; do skip "ctest -T memcheck" "cmake not installed"; done
else
  memcheck hs "$HV" >hs.out
  is "$(cat hs.out)" "leak: 3
double_free: 1
Memory checking results:
FIM - 1
Memory Leak - 1
Potential Memory Leak - 2" "ctest -T memcheck with heapspy-valgrind: the leak test's 3 loss records, the double free"
  check "... the memory checker's logs are heapspy's (==PID== lines)" \
    grep -q '^==[0-9]*== 300 bytes in 3 blocks are definitely lost in loss record 3 of 3' hs/Testing/Temporary/MemoryChecker.1.log
  if [ -n "$have_valgrind" ]; then
    memcheck vg "$have_valgrind" >vg.out
    is "$(cat hs.out)" "$(cat vg.out)" "... the same defects and results as with valgrind"
  else
    skip "ctest -T memcheck with valgrind" "valgrind not installed"
  fi
fi

# --- meson -----------------------------------------------------------------
mesontest() {   # DIR WRAPPER: each test's verdict
  meson setup "$1" "$TOP/tests/clients/meson" >"$1.log" 2>&1 && ninja -C "$1" >>"$1.log" 2>&1 ||
    { echo "build failed"; return; }
  (cd "$1" && meson test --wrap="$2" 2>&1) | sed -n 's/^ *[0-9]*\/[0-9]* \([a-z_]*\) *\(OK\|FAIL\) .*/\1 \2/p' | sort
}
if ! command -v meson >/dev/null; then
  for i in 1 2; do skip "meson test --wrap" "meson not installed"; done
else
  mesontest ms "$HEAPSPY valgrind --error-exitcode=1 --leak-check=full" >ms.out
  is "$(cat ms.out)" "clean OK
double_free FAIL
leak FAIL" "meson test --wrap='heapspy valgrind --error-exitcode=1 --leak-check=full': the leak and the double free fail"
  if [ -n "$have_valgrind" ]; then
    mesontest mv "valgrind --error-exitcode=1 --leak-check=full" >mv.out
    is "$(cat ms.out)" "$(cat mv.out)" "... exactly the tests valgrind fails"
  else
    skip "meson test --wrap=valgrind" "valgrind not installed"
  fi
fi
done_testing
