#!/usr/bin/env bash
# tests/oracle/t2139-valgrind-spy-memory.sh: the spy's own memory is never
# a root of the leak scan. lock_leak.c drops 6 blocks that each hold a
# mutex and a rwlock it locked and unlocked; under --locks the spy keeps
# lock addresses in each thread's working memory (spy_thread_mem.h), and
# the scan used to read that memory as a root: the last block of each
# thread read "still reachable" (208 bytes in 2 blocks) where memcheck
# finds all 6 definitely lost. Leak kinds (bytes and blocks) must equal
# memcheck's with --locks and without. Skipped only without valgrind.
# shellcheck disable=SC2034 # ORACLE_* are read by oracle-lib.sh
source "$(dirname "$0")/../lib/tap.sh"
source "$TOP/tests/oracle/oracle-lib.sh"

plan $((2 * 12 + 1))
if ! oracle_have_valgrind; then
  for _i in $(seq $((2 * 12 + 1))); do skip "leak kinds against memcheck, --locks" "valgrind not installed"; done
  done_testing
fi

ORACLE_HS_ARGS=(--locks)
oracle_compare_leaks lock_leak-locks /dev/null -- "$TESTBIN/lock_leak"
is "$(_oracle_field "$TMP/out/lock_leak-locks.leaks.vg.json" blocks leaks definitely_lost)" 6 \
  "lock_leak: memcheck loses the 6 blocks the program drops"
ORACLE_HS_ARGS=()
oracle_compare_leaks lock_leak /dev/null -- "$TESTBIN/lock_leak"
done_testing
