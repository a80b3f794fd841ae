/*
 * spy_thread_mem.h: each thread's working memory too large for
 * thread-local storage, reached through one thread-local pointer: the
 * per-stack counter batches (spy_hot), the unwinder's rule cache and memo,
 * the stack ids found last, the locks held (--locks) and their memo, the
 * queue of nested calls.
 *
 * Why not TLS: the attach build is loaded by dlopen, and glibc gives a
 * late library static TLS only from its spare (1,664 bytes by default,
 * shared by every late library and every attach). With the 71 KB of these
 * arrays the spy's TLS was dynamic and every thread-local access a call
 * into glibc (_dl_tlsdesc_dynamic: 18% of an attached allocation loop's
 * cycles); without them it is 248 bytes of initial-exec TLS, one load per
 * access. The Makefile fails a build whose TLS outgrows SPY_TLS_BUDGET:
 * keep new thread-locals small, put arrays here. Needs spy.h's SPY_TLS
 * and SPY_LIKELY (spy.h includes it).
 *
 * Each area is owned by one file, which casts it to its private type and
 * asserts that the type fits. A block starts zeroed, like TLS.
 *
 * Lifetime: a block is mapped on the thread's first need and never
 * unmapped: a thread may enter the spy from TSD destructors after it
 * said goodbye. It goes to a new thread only once its owner has left
 * (its key destructor ran) and is dead (tgkill answers ESRCH), so two
 * live threads never share one.
 *
 * Must never: allocate through malloc or take a lock (a thread's first
 * need may come in a signal handler that interrupted that thread's own
 * first need); change errno.
 */
#ifndef SPY_THREAD_MEM_H
#define SPY_THREAD_MEM_H

#include <stdint.h>

#define SPY_TLS_BUDGET 400      /* bytes of the spy's own TLS, at most */

struct spy_thread_mem {
  struct spy_thread_mem *next;  /* every block made: a push-only list */
  int owner;                    /* tid */
  int state;                    /* spy_thread_mem.c: OWNED, LEFT, CLAIMED */
  _Alignas(64) unsigned char hot[12288 + 32];    /* spy_stacks.c (spy.h) */
  _Alignas(64) unsigned char unwind[32776 + 24592]; /* spy_unwind.c */
  _Alignas(64) unsigned char stack_ids[12288];   /* spy_stacks.c */
  _Alignas(64) unsigned char held[1584];         /* spy_locks.c */
  _Alignas(64) unsigned char lock_memo[2560];    /* spy_locks.c */
  _Alignas(64) unsigned char nested[1544];       /* spy_nested.c */
  _Alignas(64) unsigned char sample_spill[64];   /* spy_sample.c */
  unsigned char deadlock[72];                    /* spy_deadlock.c */
};

/* Owners check their types against their areas with this. */
#define SPY_MEM_FITS(type, area) \
  _Static_assert(sizeof(type) <= sizeof(((struct spy_thread_mem *)0)->area), \
                 #type " outgrew spy_thread_mem." #area)

extern __thread struct spy_thread_mem *spy_mem_mine SPY_TLS;
struct spy_thread_mem *spy_mem_make(void);

/* This thread's block; made on first need. */
static inline struct spy_thread_mem *spy_mem(void) {
  struct spy_thread_mem *m = spy_mem_mine;
  return SPY_LIKELY(m != NULL) ? m : spy_mem_make();
}

/* 1 if thread tid of this process no longer exists (its things may be
 * taken over); a tid reused meanwhile reads as alive. */
int spy_thread_gone(int tid);
void spy_thread_mem_init(void);        /* before a second thread enters */
void spy_thread_mem_fork_child(void);  /* only the forking thread lives on */
void spy_thread_mem_own(uint64_t *rss, uint64_t *vm);  /* adds the blocks' memory */
/* The blocks' address ranges [lo, hi), at most max of them into out (NULL:
 * none); returns how many blocks there are. The leak scan cuts them out
 * of its roots: what the spy remembers (a lock's address, a queued
 * block) must never make a leaked block look reachable. */
uint64_t spy_thread_mem_ranges(uint64_t (*out)[2], uint64_t max);

#endif
