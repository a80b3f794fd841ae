#!/usr/bin/env bash
# tests/oracle/t2100-valgrind-sqlite3.sh: exact-accounting oracle on a real
# program. Runs the sqlite3 CLI on tests/oracle/workload.sql (in-memory
# database, a few thousand rows, indexes, joins, window functions; about
# 31,000 mallocs) under valgrind's memcheck and under heapspy, and asserts
# that heapspy's totals (allocs, frees, bytes allocated, bytes and blocks in
# use at exit) EQUAL valgrind's HEAP SUMMARY, with valgrind's default (runs
# __libc_freeres at exit) and with --run-libc-freeres=no on both sides.
# See oracle-lib.sh for what makes the two runs comparable. Skipped only
# when valgrind is not installed (sqlite3 missing is a failure).
# shellcheck disable=SC2034 # ORACLE_* are read by oracle-lib.sh
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/oracle/oracle-lib.sh"

plan 16
if ! oracle_have_valgrind; then
  oracle_skip_all sqlite3 "valgrind not installed"
  done_testing
fi
SQLITE3=$(command -v sqlite3 || echo /usr/bin/sqlite3)

# -init /dev/null: no ~/.sqliterc, and no home-folder lookup (getpwuid)
# -batch: no interactive behaviour whatever stdin is
ORACLE_ENV=(PATH=/usr/bin:/bin LANG=C.UTF-8)
oracle_compare sqlite3 "$TOP/tests/oracle/workload.sql" -- \
  "$SQLITE3" -batch -init /dev/null :memory:
done_testing
