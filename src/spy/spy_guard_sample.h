/*
 * spy_guard_sample.h: --guard-sample N (GWP-ASan's design on a stock
 * binary). 1 in N allocations, chosen by a per-thread countdown drawn
 * from a geometric distribution, goes to a guard slot: one page between
 * inaccessible pages in a region reserved once, the block against its
 * left or right edge at random. A freed slot is made inaccessible and
 * queued; slots are reused oldest-first (the quarantine). A fault in the
 * region is explained (spy_crash.c, through spy_gs_find) and, unless
 * --halt-on-error, the slot is disabled (its pages left open) and the
 * program goes on: one report per slot.
 *
 * Everything else goes to glibc: an unsampled allocation costs one
 * global test and one thread-local decrement, an unsampled free one range
 * compare (spy_gs_owns; 0 when off). Recording in the profile is the
 * mode's own (every block in exact mode, the --sample ones with it).
 *
 * Must never: allocate; hold gs_lock across a system call or an unwind;
 * hand glibc a pointer of the region.
 */
#ifndef SPY_GUARD_SAMPLE_H
#define SPY_GUARD_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "spy.h"

extern int spy_gs_on;
extern uint64_t spy_gs_lo, spy_gs_len;    /* the region; len 0 when off */
extern __thread uint64_t spy_gs_left SPY_TLS;

void spy_gs_init(void);                    /* after spy_check_init and spy_guard_init */
/* The countdown ran out (or this thread's first allocation): 1 if this
 * allocation is to be guarded. */
int spy_gs_tick(void);
/* A guarded allocation: a slot if one is free and n fits (else glibc's),
 * recorded as the mode records blocks. Entered with spy_busy clear. */
void *spy_gs_malloc(size_t n, size_t align, unsigned family);
/* Free of a pointer of the region: recorded, checked (double, invalid),
 * the slot quarantined. Any spy state. */
void spy_gs_release(void *p, unsigned family);
size_t spy_gs_usable(const void *p);       /* a live slot block's size, 0 if none */
void spy_gs_reset_lock(void);              /* fork: the child's copy is free */
/* crash path (spy_check.h's struct spy_near): the block a fault explains */
struct spy_near;
int spy_gs_find(uint64_t addr, struct spy_near *out);
/* A SIGSEGV in the region without --halt-on-error: reported once per
 * slot, the slot disabled, 1 (the instruction runs again and succeeds). */
int spy_gs_recover(int sig, const void *siginfo, void *ucontext);
int spy_gs_recovers(void);                 /* 1: a fault in a slot is survived */

static inline int spy_gs_owns(const void *p) {
  return (uint64_t)(uintptr_t)p - spy_gs_lo < spy_gs_len;
}

/* With --guard-sample on: 1 if the countdown lets one allocation pass
 * (counted); 0 if a slot may be due (spy_gs_tick decides). */
static inline int spy_gs_pass(void) {
  if (SPY_LIKELY(spy_gs_left > 1)) {
    spy_gs_left--;
    return 1;
  }
  return 0;
}

/* One allocation: 1 if it goes to spy_gs_malloc. */
static inline int spy_gs_take(void) {
  if (SPY_LIKELY(!spy_gs_on)) return 0;
  return spy_gs_pass() ? 0 : spy_gs_tick();
}

#endif
