/*
 * spy_sample.h: --sample (production mode), the hot path. Each thread
 * counts down the bytes it allocates; an allocation that does not reach
 * the end of the countdown costs one subtraction and its exact totals
 * (two thread-local adds), nothing else: no stack, no table, no clock.
 * One that does is recorded in full (spy_track) and weighted
 * (profile/hsp_sample.h); the next countdown is drawn from an exponential
 * distribution of mean spy_sampling (spy_sample.c).
 *
 * Frees: a sampled block's address is marked in a counting filter
 * (spy_sample_filter, a saturating byte per 16-byte address slot, 1 MiB,
 * mapped as the heap's own cache lines are: neighbouring blocks share a
 * line). A free whose filter byte is 0 was never sampled and skips the
 * table; a false positive costs one table lookup that finds nothing. The
 * table maintains the filter (spy_block_add marks, spy_block_take
 * unmarks), so the filter is never 0 for a live sampled block.
 *
 * Must never: allocate, lock, or read the clock on the unsampled path.
 */
#ifndef SPY_SAMPLE_H
#define SPY_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "spy.h"

#define SPY_SAMPLE_FILTER_BITS 20
extern uint64_t spy_sampling;              /* the mean, bytes; 0: off */
extern uint8_t spy_sample_filter[1u << SPY_SAMPLE_FILTER_BITS];
extern __thread uint64_t spy_sample_left __attribute__((tls_model("initial-exec")));
struct spy_sample_counts { uint64_t allocs, frees, bytes; };
extern __thread struct spy_sample_counts spy_sample_tls __attribute__((tls_model("initial-exec")));

void spy_sample_init(void);                /* from spy_opt; the header's mean */
/* The countdown ran out within these n bytes: 1 if this allocation is
 * sampled (and the next countdown drawn), 0 if not (a thread's first, or
 * a snapshot request served on the way). */
int spy_sample_hit(size_t n);
/* This thread's exact totals into the profile, now. */
void spy_sample_flush(void);
void spy_sample_mark(uint64_t p);
void spy_sample_unmark(uint64_t p);

static inline unsigned spy_sample_slot(uint64_t p) {
  return (unsigned)(p >> 4) & ((1u << SPY_SAMPLE_FILTER_BITS) - 1);
}

/* One allocation of n bytes in sample mode: 1 to leave it unrecorded.
 * A `heapspy snapshot` request waiting also takes the slow path, which
 * serves it (unsampled allocations never pass spy_leave). */
static inline int spy_sample_skip(size_t n) {
  spy_sample_tls.allocs++;
  spy_sample_tls.bytes += n;
  if (__builtin_expect(n < spy_sample_left && !spy_request_pending, 1)) {
    spy_sample_left -= n;
    return 1;
  }
  return !spy_sample_hit(n);
}

/* Could p be a sampled block? 0: certainly not. */
static inline int spy_sample_maybe(const void *p) {
  return spy_sample_filter[spy_sample_slot((uint64_t)(uintptr_t)p)] != 0;
}

#endif
