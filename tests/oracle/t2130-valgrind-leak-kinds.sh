#!/usr/bin/env bash
# tests/oracle/t2130-valgrind-leak-kinds.sh: the reachability scan against
# memcheck's on real programs (issue 4): bytes and blocks per leak kind
# (definitely, indirectly, possibly lost, still reachable) and per
# heuristic must EQUAL memcheck's (--leak-check=full
# --show-leak-kinds=all, heuristics at their default, all).
#  * sqlite3 runs tests/oracle/workload.sql and leaves with `.exit 3`,
#    which calls exit() with the database still open: its memory is still
#    held, and sqlite's allocator hands out pointers 8 bytes into each
#    block after a 64-bit size (memcheck's length64 heuristic: 235 blocks
#    still reachable through it; without the heuristic they would be
#    possibly lost).
#  * leak_heuristics.cpp holds one block by each heuristic's interior
#    pointer (stdstring, length64, newarray, multipleinheritance) and one
#    by a plain interior pointer (possibly lost).
#  * python3 (PYTHONMALLOC=malloc) runs tests/oracle/workload.py and keeps
#    its interned objects until exit; some only through interior pointers
#    (possibly lost).
# Environments as in oracle-lib.sh. Skipped only without valgrind.
# shellcheck disable=SC2034 # ORACLE_* are read by oracle-lib.sh
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/oracle/oracle-lib.sh"

plan 36
if ! oracle_have_valgrind; then
  for _i in $(seq 36); do skip "leak kinds against memcheck" "valgrind not installed"; done
  done_testing
fi

SQLITE3=$(command -v sqlite3 || echo /usr/bin/sqlite3)
mkdir -p "$TMP/sql"
{ cat "$TOP/tests/oracle/workload.sql"; echo ".exit 3"; } > "$TMP/sql/exit-open.sql"
ORACLE_ENV=(PATH=/usr/bin:/bin LANG=C.UTF-8)
oracle_compare_leaks sqlite3 "$TMP/sql/exit-open.sql" -- "$SQLITE3" -batch -init /dev/null :memory:

oracle_compare_leaks leak_heuristics /dev/null -- "$TESTBIN/leak_heuristics"

oracle_python_setup   # as in t2110
oracle_compare_leaks python3 /dev/null -- /usr/bin/python3 -s "$TMP/py/workload.py"
done_testing
