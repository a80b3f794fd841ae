#!/usr/bin/env bash
# tests/oracle/t2110-valgrind-python3.sh: exact-accounting oracle on a real
# interpreter. Runs /usr/bin/python3 on tests/oracle/workload.py (dict,
# list, str, json and re churn; about 196,000 mallocs) with
# PYTHONMALLOC=malloc (every object allocation is a malloc call) and
# PYTHONHASHSEED=0 (string hashes, and so dict/set layouts, fixed) under
# valgrind's memcheck and under heapspy, and asserts that heapspy's totals
# (allocs, frees, bytes allocated, bytes and blocks in use at exit) EQUAL
# valgrind's HEAP SUMMARY, with valgrind's default (runs __libc_freeres at
# exit) and with --run-libc-freeres=no on both sides. See oracle-lib.sh for
# what makes the two runs comparable, and thread_id_high.c for the one
# library preloaded into valgrind's client (python's thread-id ints would
# otherwise be 4 bytes smaller under valgrind than natively). Skipped only
# when valgrind is not installed.
# shellcheck disable=SC2034 # ORACLE_* are read by oracle-lib.sh
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/oracle/oracle-lib.sh"

plan 16
if ! oracle_have_valgrind; then
  oracle_skip_all python3 "valgrind not installed"
  done_testing
fi

oracle_python_setup   # workload, environment, pthread_self() width
ORACLE_HS_WRAP=(setarch -R)   # the brk heap below 2^30, as valgrind's (oracle-lib.sh)
oracle_compare python3 /dev/null -- /usr/bin/python3 -s "$TMP/py/workload.py"
done_testing
