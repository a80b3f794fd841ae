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

# the valgrind side's pthread_self() must have the native width
CC=${CC:-gcc}
if ! "$CC" -O1 -shared -fPIC -o "$TMP/thread_id_high.so" \
    "$TOP/tests/oracle/thread_id_high.c" 2>"$TMP/cc.err"; then
  echo "# cannot build thread_id_high.so:"; sed 's/^/#   /' "$TMP/cc.err"
fi
ORACLE_VG_PRELOAD="$TMP/thread_id_high.so"

# -s: no user site folder (it depends on $HOME); site itself stays on.
# PYTHONDONTWRITEBYTECODE=1: a run that writes a missing .pyc (as root it
# can) would make the next run read it instead of compiling: other totals.
# The script sits alone in its own folder: python lists that folder (see
# oracle-lib.sh), and nothing beside it can shadow a module.
mkdir -p "$TMP/py" && cp "$TOP/tests/oracle/workload.py" "$TMP/py/workload.py"
ORACLE_ENV=(PATH=/usr/bin:/bin LANG=C.UTF-8 PYTHONMALLOC=malloc
            PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1)
oracle_compare python3 /dev/null -- /usr/bin/python3 -s "$TMP/py/workload.py"
done_testing
