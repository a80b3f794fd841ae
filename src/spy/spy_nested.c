/*
 * spy_nested.c: allocations made while this thread is already inside the
 * spy, which only a signal handler interrupting it can do. The handler
 * cannot take the spy's locks (the interrupted code may hold them) nor
 * touch the unwinder's per-thread state, so it does the real allocation
 * and queues the record; the interrupted call replays the queue on its
 * way out. Frees are queued whole (record and real free) so the address
 * cannot be reused before its record is gone. Counts stay exact; such
 * blocks have no stack.
 *
 * Must never: lock, unwind, or lose the order of queued operations.
 */
#include "spy.h"
#include "spy_check.h"

#define QUEUE_MAX 64

enum { OP_ALLOC = 1, OP_FREE, OP_UNRECORD };

struct queued { uint64_t ptr, size; uint32_t family, op; };

struct queue {                     /* spy_thread_mem.nested */
  unsigned n, done;
  struct queued q[QUEUE_MAX];
};
SPY_MEM_FITS(struct queue, nested);
static inline struct queue *queue_mine(void) { return (struct queue *)spy_mem()->nested; }

__thread int spy_internal SPY_TLS;
__thread int spy_queued SPY_TLS;

static int push(uint64_t ptr, uint64_t size, unsigned family, unsigned op) {
  struct queue *queue = queue_mine();
  unsigned i = queue->n;
  if (i == QUEUE_MAX) {
    __atomic_add_fetch(&spy_hdr->untracked_calls, 1, __ATOMIC_RELAXED);
    return 0;
  }
  queue->q[i] = (struct queued){ ptr, size, family, op };
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  queue->n = i + 1;
  spy_queued = 1;
  return 1;
}

void *spy_nested_alloc(void *p, size_t size, unsigned family) {
  if (p) push((uint64_t)(uintptr_t)p, size, family, OP_ALLOC);
  return p;
}

void spy_nested_unrecord(void *p) {
  if (p) push((uint64_t)(uintptr_t)p, 0, 0, OP_UNRECORD);
}

void spy_nested_free(void *p) {
  /* queue full: with --check or a front p may not be glibc's pointer; leak it */
  if (!push((uint64_t)(uintptr_t)p, 0, 0xff, OP_FREE) && !spy_check_on && !spy_cb_front) __libc_free(p);
}

/* Called with spy_busy raised, by the outermost spy call before it
 * returns. A handler may queue more while this runs: it appends past
 * queue.n, and the reset only happens when nothing is left. */
void spy_drain_queue(void) {
  struct queue *queue = queue_mine();
  for (;;) {
    unsigned i = queue->done, n = queue->n;
    if (i == n) {
      if (__atomic_compare_exchange_n(&queue->n, &n, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        queue->done = 0;
        spy_queued = 0;
        return;
      }
      continue;
    }
    struct queued e = queue->q[i];
    queue->done = i + 1;
    void *p = (void *)(uintptr_t)e.ptr;
    switch (e.op) {
    case OP_ALLOC: spy_block_add(p, e.size, e.family, 0); break;
    case OP_UNRECORD: spy_block_remove(p, NULL, NULL); break;
    case OP_FREE:
      if (spy_check_on) { spy_check_free(p, e.family); break; }
      if (spy_cb_front) { spy_front_free(p); break; }
      spy_block_remove(p, NULL, NULL);
      __libc_free(p);
      break;
    }
  }
}
