#!/usr/bin/env bash
# tests/oracle/t2120-valgrind-cxx.sh: exact-accounting oracle for C++ and the
# C allocation API. Runs build/tests/cxx_every_new (tests/oracle/
# cxx_every_new.cpp: every operator new/delete form, aligned new/delete,
# std::string/vector/map churn, malloc/calloc/realloc incl. realloc(NULL,n)
# and realloc(p,0), reallocarray, memalign, posix_memalign, aligned_alloc,
# valloc, strdup, and a few blocks leaked on purpose) under valgrind's
# memcheck and under heapspy, and asserts that heapspy's totals (allocs,
# frees, bytes allocated, bytes and blocks in use at exit) EQUAL valgrind's
# HEAP SUMMARY, with valgrind's default (runs __libc_freeres at exit) and
# with --run-libc-freeres=no on both sides. See oracle-lib.sh for what makes
# the two runs comparable. Skipped only when valgrind is not installed.
#
# Note for heapspy: valgrind counts operator new(n, align_val_t) as n bytes,
# the size the program asked for, although libstdc++ forwards it to
# aligned_alloc with n rounded up to the alignment; and valgrind's
# --run-libc-freeres=no still runs libstdc++'s freeres (--run-cxx-freeres
# defaults to yes), which frees the 72704-byte exception emergency pool.
# shellcheck disable=SC2034 # ORACLE_* are read by oracle-lib.sh
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/oracle/oracle-lib.sh"

plan 16
if ! oracle_have_valgrind; then
  oracle_skip_all cxx_every_new "valgrind not installed"
  done_testing
fi
[ -x "$TESTBIN/cxx_every_new" ] ||
  echo "# $TESTBIN/cxx_every_new is missing: build the tests first (make)"

# The program reads no environment variable, but keep both runs identical
# anyway (GLIBCXX_FORCE_NEW, which valgrind's wrapper sets, reaches both).
ORACLE_ENV=(PATH=/usr/bin:/bin LANG=C.UTF-8)
oracle_compare cxx_every_new /dev/null -- "$TESTBIN/cxx_every_new"
done_testing
