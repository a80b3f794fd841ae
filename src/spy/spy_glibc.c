/*
 * spy_glibc.c: glibc's own account of its heap (mallinfo2) for the
 * timeline and the marks, so a report can tell live data that grows (a
 * leak) from freed memory glibc keeps (retention, fragmentation).
 *
 * mallinfo2 takes every arena's lock in turn and walks the bins, so it is
 * asked only where that cannot deadlock or cost much:
 *  - never in a signal handler (spy_in_handler) or at a crash or _exit:
 *    the interrupted code may hold an arena lock;
 *  - never with this thread inside glibc's allocator: every interceptor
 *    raises spy_busy around the real call, so a read happens only at
 *    spy_busy <= 1 (on the way out of an interceptor, or outside the spy);
 *  - never holding a spy lock an allocation waits for (the one lock here
 *    is taken with a try, by readers only);
 *  - a due point reads at most every SPY_GLIBC_EVERY_MS, and never
 *    sooner than SPY_GLIBC_SHARE times the last read took (a heap of
 *    millions of free chunks makes the walk long: its cost stays under
 *    0.5% of the run; --check's quarantine fragments python's heap so
 *    that a walk took 2.5 ms, 2.5% of the run at one per 100 ms); the
 *    points between repeat the last reading, whose t_ms says when it was
 *    made.
 *
 * Must never: allocate, block on a lock, or run from a signal handler.
 */
#include <malloc.h>
#include <string.h>
#include <time.h>

#include "spy.h"

#define SPY_GLIBC_EVERY_MS 100
#define SPY_GLIBC_SHARE 200

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__thread int spy_in_handler SPY_TLS;

static struct hsp_glibc last;
static uint32_t busy, wait_ms = SPY_GLIBC_EVERY_MS;

void spy_glibc_read(struct hsp_glibc *g, uint32_t now, int force, uint64_t rss_file) {
  memset(g, 0, sizeof *g);
  if (__atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE)) return;   /* another thread reads */
  int safe = !spy_in_handler && spy_busy <= 1;
  if (safe && (force || !last.t_ms || now >= last.t_ms + wait_ms)) {
    uint64_t t0 = now_ns();
    struct mallinfo2 mi = mallinfo2();
    uint64_t spaced_ms = (now_ns() - t0) * SPY_GLIBC_SHARE / 1000000u;
    wait_ms = spaced_ms > SPY_GLIBC_EVERY_MS ? (uint32_t)spaced_ms : SPY_GLIBC_EVERY_MS;
    last.t_ms = now ? now : 1;          /* 0 means "never read" */
    last.free_bytes = mi.fordblks;
    last.fastbin_bytes = mi.fsmblks;
    last.main_top_bytes = mi.keepcost;
    last.system_bytes = mi.arena;
    last.mmapped_bytes = mi.hblkhd;
    last.in_use_bytes = mi.uordblks;
    last.free_chunks = mi.ordblks;
  }
  *g = last;
  __atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
  g->rss_file_bytes = rss_file;         /* read with the point's RSS, always fresh */
}
