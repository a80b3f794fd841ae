/*
 * spy_sample.h: --sample (production mode), the hot path. Each thread
 * counts down the bytes it allocates; an allocation that does not reach
 * the end of the countdown costs one load, one compare and one store of
 * a word that holds both the countdown and the count of calls (struct
 * hsp_sample_slot), on a line of the thread's own reached through one
 * thread-local pointer, nothing else: no stack, no table, no clock. The
 * bytes allocated follow from the countdown's progress.
 * One that does is recorded in full (spy_track) and weighted
 * (profile/hsp_sample.h); the next countdown is drawn from an exponential
 * distribution of mean spy_sampling (spy_sample.c).
 *
 * Frees: a sampled block's address is marked in a filter, a bit per
 * 32-byte address slot (glibc's smallest chunk: two blocks never share
 * one) repeating every 64 MiB: 256 KiB that stay in cache, laid out as
 * the heap is, so neighbouring blocks share a line. A free whose bit is 0
 * was never sampled and skips the table; a false positive (another
 * sampled block 64 MiB away) costs one table lookup that finds nothing.
 * The table keeps the filter (spy_block_add marks, spy_block_take
 * unmarks) with a saturating count per slot behind each bit, so a bit is
 * never 0 while a live sampled block maps to it.
 *
 * Must never: allocate, lock, or read the clock on the unsampled path.
 */
#ifndef SPY_SAMPLE_H
#define SPY_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "spy.h"

#define SPY_SAMPLE_SLOT_BITS 21             /* slots: 2^21 x 32 bytes = 64 MiB */
extern uint64_t spy_sampling;              /* the mean, bytes; 0: off */
extern uint8_t spy_sample_filter[1u << (SPY_SAMPLE_SLOT_BITS - 3)];
/* A thread's countdown and exact totals (struct hsp_sample_slot): a line
 * of its own in the profile (struct hsp_sample_live), written only by the
 * thread owning it, summed by readers, so every thread's calls are seen
 * as of now, also of threads that never sample and never exit and after
 * the spy's last flush. One thread-local pointer reaches all the hot path
 * needs. Cumulative: a slot whose thread is gone is taken over, counts
 * and all. */
/* NULL until the thread's first allocation or free claims one. */
extern __thread struct hsp_sample_slot *spy_sample_mine SPY_TLS;

void spy_sample_init(void);                /* from spy_opt; the header's mean */
/* The countdown word did not let n bytes pass: 1 if this allocation is
 * sampled (and the next countdown drawn), 0 if not (a thread's first, a
 * countdown longer than a word's half, or a snapshot request served on
 * the way). Counts it and folds the word into the slot's totals. */
int spy_sample_hit(size_t n);
/* Every thread's exact totals into the profile, now. */
void spy_sample_flush(void);
/* This thread's totals; the first call claims its slot. */
struct hsp_sample_slot *spy_sample_claim(void);
static inline struct hsp_sample_slot *spy_sample_here(void) {
  struct hsp_sample_slot *c = spy_sample_mine;
  return SPY_LIKELY(c != NULL) ? c : spy_sample_claim();
}
void spy_sample_mark(uint64_t p);
void spy_sample_unmark(uint64_t p);
void spy_sample_reset_lock(void);          /* fork: the child's copy is free, its slot its own */
/* A thread's generator seed before mixing: sample_seed=N (tests), else
 * the clock, the pid and salt (an address of the thread's). Shared with
 * --guard-sample (spy_guard_sample.c), which mixes it another way. */
uint64_t spy_sample_seed(const void *salt);
/* xorshift64* (Marsaglia; the multiply gives better low bits) */
static inline uint64_t spy_xorshift(uint64_t *state) {
  uint64_t x = *state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *state = x;
  return x * 0x2545f4914f6cdd1dull;
}

static inline unsigned spy_sample_slot(uint64_t p) {
  return (unsigned)(p >> 5) & ((1u << SPY_SAMPLE_SLOT_BITS) - 1);
}

/* Nonzero while an unsampled call may take the shortest path
 * (intercept_malloc.c): --sample on, the spy ready, no `heapspy snapshot`
 * request waiting; SPY_GATE_GS when --guard-sample is on too (its
 * countdown and its slots are then checked on that path). One load stands
 * for four; spy_sample_gate_update recomputes it after any of them
 * changes (a request raised in a signal handler included). */
enum { SPY_GATE_OPEN = 1, SPY_GATE_GS };
extern volatile uint32_t spy_sample_gate;
void spy_sample_gate_update(void);

/* The countdown word w (c->word) lets n bytes pass: they take n + 1
 * from its low half, which stays >= 0 (never borrows from the high). */
static inline int spy_sample_fits(uint64_t w, size_t n) {
  return n < (uint32_t)w;
}
/* Counts an allocation of n bytes that fits: n + 1 down, one call up. */
static inline void spy_sample_count(struct hsp_sample_slot *c, uint64_t w, size_t n) {
  c->word = w - n + ((1ull << 32) - 1);
}

/* With the gate open: 1 if the countdown lets n bytes pass unrecorded
 * (counted); 0: this allocation is to be sampled. */
static inline int spy_sample_pass(size_t n) {
  struct hsp_sample_slot *c = spy_sample_mine;
  if (__builtin_expect(c != NULL, 1)) {
    uint64_t w = c->word;
    if (__builtin_expect(spy_sample_fits(w, n), 1)) {
      spy_sample_count(c, w, n);
      return 1;
    }
  }
  return !spy_sample_hit(n);
}

/* One allocation of n bytes in sample mode: 1 to leave it unrecorded.
 * A `heapspy snapshot` request waiting also takes the slow path, which
 * serves it (unsampled allocations never pass spy_leave). */
static inline int spy_sample_skip(size_t n) {
  if (SPY_UNLIKELY(spy_request_pending)) return !spy_sample_hit(n);
  return spy_sample_pass(n);
}

/* Could p be a sampled block? 0: certainly not. */
static inline int spy_sample_maybe(const void *p) {
  unsigned slot = spy_sample_slot((uint64_t)(uintptr_t)p);
  return spy_sample_filter[slot >> 3] >> (slot & 7) & 1;
}

#endif
