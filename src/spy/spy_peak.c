/*
 * spy_peak.c: the stacks holding the heap at (nearly) its peak, in the
 * aggregate mode, at a cost independent of the number of allocations.
 *
 * Every stack record keeps the bytes and blocks it holds now (per-thread
 * batches, spy_stacks.c, flushed together with the thread's share of the
 * global in-use count). When the heap in use first reaches spy_peak_next,
 * the allocating thread flushes its batch and copies every stack's
 * in_use_* to its peak_*; the next copy is due when the heap has grown by
 * a further 1/32 (at least HSP_PEAK_STEP bytes). So a run whose heap peaks
 * at P bytes makes O(log P) copies of O(stacks) each, and the last copy
 * was taken when the heap held more than P / (1 + 1/32), i.e. within 3.1%
 * of the exact peak (exact stack figures for one thread; with threads each
 * other thread's unflushed batch is missing, as in the peak itself).
 *
 * Invariants: one copy at a time (whoever moves spy_peak_next to
 * UINT64_MAX does it); hsp_peak.seq is odd while a copy is written, so a
 * process killed in the middle leaves a profile that says so.
 * Must never: allocate, unwind, or run with a shard lock held (it is
 * called from note_in_use, after the shard is unlocked).
 */
#include "spy.h"

uint64_t spy_peak_next = HSP_PEAK_STEP;

void spy_peak_copy(uint64_t in_use) {
  uint64_t due = __atomic_load_n(&spy_peak_next, __ATOMIC_RELAXED);
  if (in_use < due || due == UINT64_MAX ||
      !__atomic_compare_exchange_n(&spy_peak_next, &due, UINT64_MAX, 0,
                                   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    return;
  struct hsp_peak *pk = &spy_hdr->peak;
  SPY_ASSERT(pk->seq % 2 == 0);          /* one copy at a time, the last one done */
  __atomic_store_n(&pk->seq, pk->seq + 1, __ATOMIC_RELEASE);     /* odd: writing */
  int64_t global = spy_in_use_flush();   /* the stacks agree with it now */
  spy_stacks_copy_peak();
  pk->t_ms = spy_now_ms();
  pk->bytes = global > 0 ? (uint64_t)global : 0;
  pk->copies++;
  __atomic_store_n(&pk->seq, pk->seq + 1, __ATOMIC_RELEASE);     /* even: done */
  uint64_t step = in_use / 32 > HSP_PEAK_STEP ? in_use / 32 : HSP_PEAK_STEP;
  __atomic_store_n(&spy_peak_next, in_use + step, __ATOMIC_RELEASE);
}
