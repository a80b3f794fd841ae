/*
 * spy_thread_mem.c: the blocks of spy_thread_mem.h, made and handed on.
 *
 * States: OWNED by a live thread; LEFT when its key destructor ran (the
 * thread may still run destructors and use the block); CLAIMED for the
 * moment a new thread takes a LEFT block whose owner is gone. Only the
 * CAS LEFT -> CLAIMED gives a block away, and only after tgkill said the
 * owner no longer exists: a live thread's block is never reused. A tid
 * reused meanwhile only delays the reuse.
 *
 * Must never: allocate through malloc, take a lock, unmap a block, change
 * errno.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spy.h"

enum { OWNED = 1, LEFT, CLAIMED };

__thread struct spy_thread_mem *spy_mem_mine SPY_TLS;
static struct spy_thread_mem *all;
static pthread_key_t leave_key;
static int leave_key_ok;
static struct spy_thread_mem spare;    /* when mmap fails: shared, degraded */
static int spare_warned;

static void leave(void *block) {
  struct spy_thread_mem *m = block;
  if (m) __atomic_store_n(&m->state, LEFT, __ATOMIC_RELEASE);
}

void spy_thread_mem_init(void) {
  if (!leave_key_ok) leave_key_ok = pthread_key_create(&leave_key, leave) == 0;
}

int spy_thread_gone(int tid) {
  int saved = errno;
  int dead = syscall(SYS_tgkill, getpid(), tid, 0) == -1 && errno == ESRCH;
  errno = saved;
  return dead;
}

static struct spy_thread_mem *reuse(int tid) {
  for (struct spy_thread_mem *m = __atomic_load_n(&all, __ATOMIC_ACQUIRE); m; m = m->next) {
    int st = LEFT;
    if (__atomic_load_n(&m->state, __ATOMIC_ACQUIRE) != LEFT || !spy_thread_gone(m->owner)) continue;
    if (!__atomic_compare_exchange_n(&m->state, &st, CLAIMED, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_RELAXED))
      continue;
    size_t head = offsetof(struct spy_thread_mem, hot);
    memset((char *)m + head, 0, sizeof *m - head);
    m->owner = tid;
    __atomic_store_n(&m->state, OWNED, __ATOMIC_RELEASE);
    return m;
  }
  return NULL;
}

static struct spy_thread_mem *fresh(int tid) {
  int saved = errno;
  void *p = mmap(NULL, sizeof(struct spy_thread_mem), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  errno = saved;
  if (p == MAP_FAILED) return NULL;
  struct spy_thread_mem *m = p;
  m->owner = tid;
  m->state = OWNED;
  m->next = __atomic_load_n(&all, __ATOMIC_RELAXED);
  while (!__atomic_compare_exchange_n(&all, &m->next, m, 1, __ATOMIC_RELEASE,
                                      __ATOMIC_RELAXED)) {}
  return m;
}

struct spy_thread_mem *spy_mem_make(void) {
  int tid = spy_gettid();
  struct spy_thread_mem *m = reuse(tid);
  if (!m) m = fresh(tid);
  if (!m) {
    /* Out of memory: threads without a block of their own share one; their
     * caches and batches may then be garbled, never out of bounds. */
    if (!__atomic_exchange_n(&spare_warned, 1, __ATOMIC_RELAXED))
      spy_warn("cannot map %zu bytes for a thread's working memory; its counts may be wrong",
               sizeof spare);
    spy_mem_mine = &spare;
    return &spare;
  }
  /* A signal handler that interrupted this very call may have made one
   * already and used it (a queued nested call): that one stays. Ours goes
   * back, to be taken once this thread is gone. */
  struct spy_thread_mem *none = NULL;
  if (!__atomic_compare_exchange_n(&spy_mem_mine, &none, m, 0, __ATOMIC_RELAXED,
                                   __ATOMIC_RELAXED)) {
    __atomic_store_n(&m->state, LEFT, __ATOMIC_RELEASE);
    return none;
  }
  if (leave_key_ok) {
    spy_internal++;                    /* a key below 32: no allocation */
    pthread_setspecific(leave_key, m);
    spy_internal--;
  }
  return m;
}

/* The forking thread keeps its block under its new tid; every other
 * block's owner is a thread of the parent, so it is free to take. */
void spy_thread_mem_fork_child(void) {
  struct spy_thread_mem *mine = spy_mem_mine;
  for (struct spy_thread_mem *m = all; m; m = m->next)
    if (m != mine) m->state = LEFT;
    else m->owner = spy_gettid();
}

/* A block's mapping: its size rounded up to whole pages. */
static uint64_t block_span(uint64_t page) {
  return (sizeof spare + page - 1) / page * page;
}

uint64_t spy_thread_mem_ranges(uint64_t (*out)[2], uint64_t max) {
  uint64_t size = block_span((uint64_t)sysconf(_SC_PAGESIZE)), n = 0;
  for (struct spy_thread_mem *m = __atomic_load_n(&all, __ATOMIC_ACQUIRE); m; m = m->next, n++)
    if (out && n < max) {
      out[n][0] = (uint64_t)(uintptr_t)m;
      out[n][1] = (uint64_t)(uintptr_t)m + size;
    }
  return n;
}

/* The blocks' share of the spy's own memory (the timeline's spy_rss_bytes
 * and spy_vm_bytes): all of their address space, and their resident pages
 * (mincore on the first MEASURED blocks, the rest counted at their mean). */
#define MEASURED 256
void spy_thread_mem_own(uint64_t *rss, uint64_t *vm) {
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), size = block_span(page);
  uint64_t blocks = 0, measured = 0, resident = 0;
  unsigned char in[(sizeof spare + 4095) / 4096 + 1];
  for (struct spy_thread_mem *m = __atomic_load_n(&all, __ATOMIC_ACQUIRE); m; m = m->next, blocks++) {
    if (measured == MEASURED || size / page > sizeof in) continue;
    int saved = errno;
    if (mincore(m, size, in) == 0) {
      measured++;
      for (uint64_t i = 0; i < size / page; i++) resident += (in[i] & 1) * page;
    }
    errno = saved;
  }
  *vm += blocks * size;
  *rss += measured ? resident * blocks / measured : 0;
}

