/*
 * spy_fronts.c: exact mode's blocks with their record in front.
 * Each block the program asks malloc, calloc, realloc or operator new for
 * gets 16 more bytes from glibc; they hold its record (size, family,
 * stack, time: spy_records.c), right before the block, where a free
 * reads it from the line glibc's own chunk header shares. The live-block
 * table, whose slot is a cache miss of its own on every free, then only
 * lists blocks at checkpoints and at exit (spy_blocks_flush_locked).
 *
 * A block has a front if its front bit says so (spy_cb_fronted), and only
 * then: blocks from before the spy started, over-aligned ones (memalign
 * and its kin keep glibc's alignment, in the table) and a signal
 * handler's come from glibc as they are. A front is settled before the
 * block is handed out: a block whose address has no bits (its GiB's could
 * not be mapped) is made again without one.
 *
 * Order: a front bit is cleared before glibc frees the memory (else
 * another thread's new block there could lose its bit).
 *
 * Must never: hand glibc a pointer but the one it made (user - 16 for a
 * fronted block), or trust a front bit it did not read under the spy.
 */
#include <errno.h>
#include <string.h>

#include "spy.h"

#define FRONT SPY_EXACT_FRONT

static inline void *raw_of(void *p) { return (char *)p - FRONT; }

/* raw (n + FRONT bytes from glibc) as the block handed out, its record
 * written; made again without a front if its bits cannot be kept. */
static inline void *settle(void *raw, size_t n, unsigned family, int zero) {
  void *p = (char *)raw + FRONT;
  if (SPY_LIKELY(spy_cb_add(p, n, family, spy_stack_capture()))) return p;
  void *q = zero ? __libc_calloc(1, n) : __libc_malloc(n);
  if (q) memcpy(q, p, n);
  __libc_free(raw);
  if (q) spy_block_add_soon(q, n, family, spy_stack_capture());
  return q;
}

void *spy_front_new(size_t n, int zero, unsigned family) {
  if (SPY_UNLIKELY(n >= (1ull << 40))) {  /* beyond a record's size field: fails in glibc */
    errno = ENOMEM;
    return NULL;
  }
  void *raw = zero ? __libc_calloc(1, n + FRONT) : __libc_malloc(n + FRONT);
  return raw ? settle(raw, n, family, zero) : NULL;
}

/* p's block taken if it has a front, its bits clear after: 1 (from its
 * record, or from the table a checkpoint moved it into), 0 (neither has
 * it: a double free, glibc's own check then speaks), -1 (no front). */
static int take(void *p, struct hsp_block *out) {
  uint64_t u = (uint64_t)(uintptr_t)p;
  int took = spy_cb_take_front(u, out);
  if (took) return took;
  took = spy_block_take(p, out);
  spy_cb_unfront(u);
  return took;
}

void spy_front_free(void *p) {
  void *raw = raw_of(p);
  struct hsp_block b;
  int took = take(p, &b);
  if (took < 0) {
    spy_untrack_and_free(p);
    return;
  }
  if (SPY_UNLIKELY(((const size_t *)raw)[-1] & 2) && took)   /* IS_MMAPPED */
    spy_crash_note_unmapped(&b);
  __libc_free(raw);
}

void *spy_front_realloc(void *old, size_t n) {
  if (!old) return spy_front_new(n, 0, HSP_FAM_MALLOC);
  if (!n) {                                   /* glibc's realloc(p, 0): a free */
    spy_front_free(old);
    return NULL;
  }
  if (SPY_UNLIKELY(n >= (1ull << 40))) {
    errno = ENOMEM;
    return NULL;
  }
  struct hsp_block was;
  int known = take(old, &was) > 0;           /* realloc_slow saw its front */
  void *raw = __libc_realloc(raw_of(old), n + FRONT);
  if (!raw) {                                 /* old stays */
    if (known) spy_block_untake(&was);
    spy_cb_refront((uint64_t)(uintptr_t)old);
    return NULL;
  }
  return settle(raw, n, HSP_FAM_MALLOC, 0);
}

void spy_front_free_off(void *p) {
  uint64_t u = (uint64_t)(uintptr_t)p;
  if (!p || !spy_cb_fronted(u)) {
    __libc_free(p);
    return;
  }
  spy_cb_unfront(u);
  __libc_free(raw_of(p));
}

/* The spy is off: the block moves to glibc's own layout, no front. */
void *spy_front_realloc_off(void *old, size_t n) {
  uint64_t u = (uint64_t)(uintptr_t)old;
  if (!old || !spy_cb_fronted(u)) return __libc_realloc(old, n);
  if (!n) {
    spy_front_free_off(old);
    return NULL;
  }
  if (n > SIZE_MAX - FRONT) {
    errno = ENOMEM;
    return NULL;
  }
  spy_cb_unfront(u);
  char *raw = __libc_realloc(raw_of(old), n + FRONT);
  if (!raw) {
    spy_cb_refront(u);
    return NULL;
  }
  memmove(raw, raw + FRONT, n);
  return raw;
}
