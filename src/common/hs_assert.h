/*
 * hs_assert.h: invariant checks for the CLI side (cli, analyze, inspect,
 * common), in three levels as mimalloc and SQLite have them:
 *
 *   HS_ASSERT(c)        always on. Cheap, and only for what would corrupt
 *                       memory or a report if false (an index in range, a
 *                       buffer's room, a table's free slot).
 *   HS_DEBUG_ASSERT(c)  only in builds with -DHS_DEBUG=1 (make check-debug):
 *                       may be expensive. Otherwise c is not evaluated.
 *   HS_ALWAYS(c), HS_NEVER(c)
 *                       for `if` conditions believed always true (always
 *                       false) that the code still handles: a normal build
 *                       evaluates c and takes the branch; a debug build
 *                       stops there, so the case is seen in testing.
 *
 * A failed check prints one line, "heapspy: internal error: FILE:LINE:
 * FUNCTION: assertion 'COND' failed", and aborts.
 *
 * Must never: check what a file, a process or the user can cause (a
 * corrupt profile, a bad option): that is an error message (hs_error,
 * hs_die), not an assertion. Never put side effects in HS_DEBUG_ASSERT
 * (normal builds do not run it). Not for the spy (src/spy/spy_assert.h:
 * no stdio there).
 */
#ifndef HS_ASSERT_H
#define HS_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

static inline __attribute__((noreturn, cold)) void hs_assert_fail(const char *file, int line,
                                                                  const char *func,
                                                                  const char *cond) {
  fflush(stdout);
  fprintf(stderr, "heapspy: internal error: %s:%d: %s: assertion '%s' failed\n", file, line,
          func, cond);
  abort();
}

#define HS_ASSERT(c) \
  (__builtin_expect(!!(c), 1) ? (void)0 : hs_assert_fail(__FILE__, __LINE__, __func__, #c))

#if defined(HS_DEBUG) && HS_DEBUG
#define HS_DEBUG_ASSERT(c) HS_ASSERT(c)
#define HS_ALWAYS(c) \
  (__builtin_expect(!!(c), 1) ? 1 : (hs_assert_fail(__FILE__, __LINE__, __func__, #c), 0))
#define HS_NEVER(c) \
  (__builtin_expect(!!(c), 0) ? (hs_assert_fail(__FILE__, __LINE__, __func__, #c), 1) : 0)
#else
#define HS_DEBUG_ASSERT(c) ((void)sizeof(!(c)))   /* compiled, never run */
#define HS_ALWAYS(c) (c)
#define HS_NEVER(c) (c)
#endif

#endif
