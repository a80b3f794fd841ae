/*
 * spy_assert.h: invariant checks inside the spy (libheapspy.so), the same
 * levels as src/common/hs_assert.h with a SPY_ prefix:
 *
 *   SPY_ASSERT(c)        always on: cheap, for what would corrupt the
 *                        program's memory or the profile if false, and
 *                        never on a hot path (the malloc and free
 *                        interceptors, spy_block_add/take, the unwinder,
 *                        the lock interceptors, the trace's events).
 *   SPY_DEBUG_ASSERT(c)  only with -DHS_DEBUG=1 (make check-debug): the
 *                        hot paths' checks. Otherwise c is not evaluated.
 *   SPY_ALWAYS(c), SPY_NEVER(c)
 *                        `if` conditions believed always true (always
 *                        false) that the code still handles: evaluated as
 *                        they are in a normal build, asserted in a debug one.
 *
 * A failed check writes one line to stderr with write(2), "heapspy:
 * internal error: FILE:LINE: assertion 'COND' failed", then aborts
 * (spy_assert_fail, spy_util.c). spy.h includes this header: every spy
 * file has the macros.
 *
 * Must never: call stdio or malloc (the failure path formats into a
 * stack buffer), take a lock, or check what the program may legitimately
 * do (a double free is an error report, not an assertion). No side
 * effects in SPY_DEBUG_ASSERT (normal builds do not run it).
 */
#ifndef SPY_ASSERT_H
#define SPY_ASSERT_H

/* spy_util.c: "heapspy: internal error: FILE:LINE: assertion 'COND'
 * failed" in one write(2), then abort(). */
void spy_assert_fail(const char *file, int line, const char *cond)
    __attribute__((noreturn, cold));

#define SPY_ASSERT(c) \
  (__builtin_expect(!!(c), 1) ? (void)0 : spy_assert_fail(__FILE__, __LINE__, #c))

#if defined(HS_DEBUG) && HS_DEBUG
#define SPY_DEBUG_ON 1                  /* for work only the assertions need */
#define SPY_DEBUG_ASSERT(c) SPY_ASSERT(c)
#define SPY_ALWAYS(c) \
  (__builtin_expect(!!(c), 1) ? 1 : (spy_assert_fail(__FILE__, __LINE__, #c), 0))
#define SPY_NEVER(c) \
  (__builtin_expect(!!(c), 0) ? (spy_assert_fail(__FILE__, __LINE__, #c), 1) : 0)
#else
#define SPY_DEBUG_ON 0
#define SPY_DEBUG_ASSERT(c) ((void)sizeof(!(c)))  /* compiled, never run */
#define SPY_ALWAYS(c) (c)
#define SPY_NEVER(c) (c)
#endif

#endif
