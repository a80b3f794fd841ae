#!/usr/bin/env bash
# t1420-check-clean: issue 3, no false positives and no change of the
# numbers: sqlite3 and python3 run clean (zero errors, same output) under
# --check; check_heap's "clean" mode (every allocator call, alignments up
# to a page, realloc's copy, calloc's zeros, 100,000 frees through the
# quarantine) keeps its guarantees, and its totals are the same with and
# without --check, and valgrind's. Without --check, a buggy program gets
# no heap errors (nothing changes).
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/cases/check-lib.sh"
plan 11

totals() { python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["allocs"], t["frees"], t["bytes_allocated"])' "$1"; }

if command -v sqlite3 >/dev/null 2>&1; then
  check_run sq sqlite3 :memory: 'create table t(a); insert into t values(1); select * from t;'
  is "$(cat sq.out) $(cat sq.status)" "1 0" "sqlite3 under --check: same output, exit 0"
  is "$(errs sq)" "[]" "sqlite3 under --check: zero errors"
  is "$(grep -c 'heapspy: ERROR' sq.err)" 0 "sqlite3 under --check: nothing on stderr"
else
  for i in 1 2 3; do skip "sqlite3 under --check" "sqlite3 not installed"; done
fi

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
check_run py "$PY" -c 'print(1)'
is "$(cat py.out) $(cat py.status)" "1 0" "python3 under --check: same output, exit 0"
is "$(errs py)" "[]" "python3 under --check: zero errors"

check_run cl "$TESTBIN/check_heap" clean
is "$(cat cl.out) $(cat cl.status)" "clean: ok 0" "clean mode: alignment, usable size, realloc, calloc kept"
is "$(errs cl)" "[]" "clean mode: zero errors"
"$HEAPSPY" run -q -o plain.hsp -- "$TESTBIN/check_heap" clean >/dev/null 2>&1
"$HEAPSPY" report --format json plain.hsp >plain.json 2>/dev/null
is "$(totals cl.json)" "$(totals plain.json)" "clean mode: totals the same with and without --check"
if have_valgrind; then
  vg=$(valgrind "$TESTBIN/check_heap" clean 2>&1 >/dev/null | sed -n 's/.*total heap usage: \([0-9,]*\) allocs, \([0-9,]*\) frees, \([0-9,]*\) bytes allocated/\1 \2 \3/p' | tr -d ,)
  is "$(totals cl.json)" "$vg" "clean mode: totals under --check equal valgrind's"
else
  skip "clean mode: totals equal valgrind's" "valgrind not installed"
fi

"$HEAPSPY" run -q -o off.hsp -- "$TESTBIN/check_heap" overflow1 >/dev/null 2>off.err
"$HEAPSPY" report --format json off.hsp >off.json 2>/dev/null
is "$(errs off)" "[]" "without --check: no heap errors"
is "$(grep -c 'heapspy: ERROR' off.err)" 0 "without --check: nothing said"
done_testing
