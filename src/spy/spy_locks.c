/*
 * spy_locks.c: --locks. Interposes the pthread lock functions (mutexes of
 * every type with trylock/timedlock/clocklock, rwlocks, spinlocks, and the
 * mutex re-acquire inside condition waits), keeps the locks each thread
 * holds (struct spy_held, in spy_thread_mem), feeds the lock-order graph
 * (spy_lockgraph.c) and records misuse (spy_errors.c): re-locking a non-recursive lock the
 * thread already holds (recorded before the thread blocks for ever),
 * unlocking a lock the thread does not hold, destroying a held lock.
 *
 * A blocking acquisition that has to wait waits in slices, checking for a
 * deadlock in progress between them (spy_deadlock.c).
 *
 * Without --locks every interceptor is one flag test and a call of the
 * real function (and, with --yield-after-unlock, an unlock then yields). A blocking acquisition records its graph edges before it
 * blocks, so a run that really deadlocks leaves its cycle in the profile;
 * a trylock cannot deadlock and adds no edge (but is held, and later
 * acquisitions under it do).
 *
 * Must never: call the real lock functions with spy_busy raised (a signal
 * handler or another spy path would then pass through untracked for the
 * whole wait), or hold a spy lock across them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "spy.h"
#include "spy_locks.h"

int spy_locks_on;
static int yield_on;             /* --yield-after-unlock */
SPY_MEM_FITS(struct spy_held, held);
__thread int spy_lock_busy SPY_TLS;

typedef const struct timespec *ts_t;
static int (*real_mutex_lock)(pthread_mutex_t *);
static int (*real_mutex_trylock)(pthread_mutex_t *);
static int (*real_mutex_unlock)(pthread_mutex_t *);
static int (*real_mutex_destroy)(pthread_mutex_t *);
static int (*real_rw_rdlock)(pthread_rwlock_t *);
static int (*real_rw_wrlock)(pthread_rwlock_t *);
static int (*real_rw_tryrdlock)(pthread_rwlock_t *);
static int (*real_rw_trywrlock)(pthread_rwlock_t *);
static int (*real_rw_unlock)(pthread_rwlock_t *);
static int (*real_rw_destroy)(pthread_rwlock_t *);
static int (*real_mutex_timedlock)(pthread_mutex_t *, ts_t);
static int (*real_mutex_clocklock)(pthread_mutex_t *, clockid_t, ts_t);
static int (*real_rw_timedrdlock)(pthread_rwlock_t *, ts_t);
static int (*real_rw_timedwrlock)(pthread_rwlock_t *, ts_t);
static int (*real_rw_clockrdlock)(pthread_rwlock_t *, clockid_t, ts_t);
static int (*real_rw_clockwrlock)(pthread_rwlock_t *, clockid_t, ts_t);
static int (*real_spin_lock)(pthread_spinlock_t *);
static int (*real_spin_trylock)(pthread_spinlock_t *);
static int (*real_spin_unlock)(pthread_spinlock_t *);
static int (*real_spin_destroy)(pthread_spinlock_t *);
static int (*real_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, ts_t);
static int (*real_cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, ts_t);
static int resolved;

/* The next definitions (libc's). dlsym may allocate: its allocations
 * pass through untracked. Versioned symbols: dlsym gives the default
 * version, the one programs built against this glibc call. */
static void resolve(void) {
  spy_busy++;
  spy_internal++;
#define R(var, name) *(void **)&var = dlsym(RTLD_NEXT, name)
  R(real_mutex_lock, "pthread_mutex_lock");
  R(real_mutex_trylock, "pthread_mutex_trylock");
  R(real_mutex_unlock, "pthread_mutex_unlock");
  R(real_mutex_destroy, "pthread_mutex_destroy");
  R(real_rw_rdlock, "pthread_rwlock_rdlock");
  R(real_rw_wrlock, "pthread_rwlock_wrlock");
  R(real_rw_tryrdlock, "pthread_rwlock_tryrdlock");
  R(real_rw_trywrlock, "pthread_rwlock_trywrlock");
  R(real_rw_unlock, "pthread_rwlock_unlock");
  R(real_rw_destroy, "pthread_rwlock_destroy");
  R(real_mutex_timedlock, "pthread_mutex_timedlock");
  R(real_mutex_clocklock, "pthread_mutex_clocklock");
  R(real_rw_timedrdlock, "pthread_rwlock_timedrdlock");
  R(real_rw_timedwrlock, "pthread_rwlock_timedwrlock");
  R(real_rw_clockrdlock, "pthread_rwlock_clockrdlock");
  R(real_rw_clockwrlock, "pthread_rwlock_clockwrlock");
  R(real_spin_lock, "pthread_spin_lock");
  R(real_spin_trylock, "pthread_spin_trylock");
  R(real_spin_unlock, "pthread_spin_unlock");
  R(real_spin_destroy, "pthread_spin_destroy");
  R(real_cond_wait, "pthread_cond_wait");
  R(real_cond_timedwait, "pthread_cond_timedwait");
  R(real_cond_clockwait, "pthread_cond_clockwait");
#undef R
  __atomic_store_n(&resolved, 1, __ATOMIC_RELEASE);
  spy_internal--;
  spy_busy--;
}
#define REAL(f) (SPY_LIKELY(__atomic_load_n(&resolved, __ATOMIC_ACQUIRE)) ? f : (resolve(), f))

/* 1: the hot interceptors jump straight to the real function (resolved,
 * no --locks, no --yield-after-unlock). */
static int locks_pass;
static void pass_update(void) {
  __atomic_store_n(&locks_pass, resolved && !spy_locks_on && !yield_on, __ATOMIC_RELEASE);
}

void spy_locks_init(void) {
  if (!resolved) resolve();
  spy_locks_on = spy_opt.locks;
  yield_on = spy_opt.yield_after_unlock;
  pass_update();
}

/* --yield-after-unlock: give the processor away right after a release,
 * so another thread runs in the window the unlock opened (with or without
 * --locks; never for the spy's own calls). sched_yield leaves errno. */
static inline int unlocked(int r) {
  if (SPY_UNLIKELY(yield_on) && !spy_busy) sched_yield();
  return r;
}

void spy_locks_fork_child(void) {
  spy_lockgraph_reset_lock();
  spy_errors_reset_lock();
  if (spy_status != SPY_READY) spy_locks_on = 0;
  pass_update();
}

/* Track this call? (--locks, the spy ready, not the spy's own call.) */
static inline int tracking(void) {
  return SPY_UNLIKELY(spy_locks_on) && !spy_busy && spy_status == SPY_READY;
}
/* Bracket the spy's work in an interceptor; errno is the program's. */
static inline int enter(void) { spy_busy++; spy_lock_busy++; return errno; }
static inline void leave(int saved) { spy_lock_busy--; spy_leave(); errno = saved; }
/* The same where nothing can touch errno. */
static inline void enter_quiet(void) { spy_busy++; spy_lock_busy++; }
static inline void leave_quiet(void) { spy_lock_busy--; spy_leave(); }

#define HOT static inline __attribute__((always_inline))

struct attempt { uint64_t addr; uint32_t node, stack; unsigned kind, mode; int again; };

/* ---- the held set ----------------------------------------------------- */

HOT uint64_t held_hash(uint32_t node, unsigned mode) {
  return spy_lockgraph_mix((uint64_t)node << 1 | mode | 1ull << 40);
}

HOT int held_find(uint64_t addr) {
  const struct spy_held *h = spy_held_mine();
  for (int i = (int)h->n - 1; i >= 0; i--)
    if (h->e[i].addr == addr) return i;
  return -1;
}

HOT void held_push(uint64_t addr, uint32_t node, uint32_t stack, unsigned kind,
                      unsigned mode) {
  struct spy_held *h = spy_held_mine();
  if (h->n == SPY_HELD_MAX) { h->overflow++; return; }
  h->e[h->n] = (struct spy_held_entry){ addr, node, stack, (uint16_t)kind, (uint16_t)mode, 1 };
  h->sig += held_hash(node, mode);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  h->n++;
}

HOT void held_remove(int i) {
  struct spy_held *h = spy_held_mine();
  SPY_DEBUG_ASSERT(i >= 0 && (unsigned)i < h->n);
  h->sig -= held_hash(h->e[i].node, h->e[i].mode);
  for (unsigned j = (unsigned)i; j + 1 < h->n; j++) h->e[j] = h->e[j + 1];
  h->n--;
}

/* ---- the acquisition memo ---------------------------------------------
 * The graph needs a stack only for an edge seen for the first time, yet a
 * full unwind per acquisition is what made --locks slow. Each thread
 * remembers, per (call site, caller's stack pointer, lock, held set), the
 * node, the stack of the first such acquisition and the edges it fed. A
 * hit adds no edge that is not there already and changes no gate (same
 * held set, same gates), so it only counts the sightings; the held entry
 * takes the remembered stack. Invariant: a held lock's stack is the full
 * stack of the first acquisition by this thread from the same return
 * address and stack depth with the same locks held. */
#define MEMO_SLOTS 64             /* power of two; two ways per key */
_Static_assert(MEMO_SLOTS >= 2 && (MEMO_SLOTS & (MEMO_SLOTS - 1)) == 0,
               "key & (MEMO_SLOTS - 2) is an even slot, its second way the next one");
#define MEMO_EDGES 4
struct memo {
  uint64_t key;                   /* 0: empty */
  uint32_t node, stack;
  uint16_t nedges;
  uint16_t counted;               /* every edge's count has saturated */
  uint32_t edge[MEMO_EDGES];      /* spy_lockgraph_edge references */
};
SPY_MEM_FITS(struct memo[MEMO_SLOTS], lock_memo);
static inline struct memo *memo_mine(void) { return (struct memo *)spy_mem()->lock_memo; }

struct site { uint64_t ra, cfa; };
#define SITE() ((struct site){ (uint64_t)(uintptr_t)__builtin_return_address(0), \
                               (uint64_t)(uintptr_t)__builtin_frame_address(0) })

HOT uint64_t memo_key(struct site at, uint64_t addr, unsigned mode) {
  uint64_t k = spy_lockgraph_mix(at.ra ^ (at.cfa + mode) * 0x9e3779b97f4a7c15ull ^
                   addr * 0xc2b2ae3d27d4eb4full ^ spy_held_mine()->sig);
  return k ? k : 1;
}

/* Edges from every lock held to `node`, each with the other locks held
 * exclusively at this moment (the candidate gates). Their references go
 * to ref[] (up to MEMO_EDGES); returns how many edges there were. */
static unsigned add_edges(uint32_t node, uint32_t stack, uint32_t *ref) {
  const struct spy_held *h = spy_held_mine();
  uint32_t gates[SPY_HELD_MAX];
  unsigned nref = 0;
  for (unsigned i = 0; i < h->n; i++) {
    const struct spy_held_entry *from = &h->e[i];
    if (!from->node || from->node == node) continue;
    unsigned ng = 0;
    for (unsigned j = 0; j < h->n; j++)
      if (j != i && h->e[j].node && h->e[j].node != node && h->e[j].mode == HSP_MODE_EXCL)
        gates[ng++] = h->e[j].node;
    uint32_t r = spy_lockgraph_edge(from->node, node, from->stack, stack, gates, ng);
    if (nref < MEMO_EDGES) ref[nref] = r;
    nref++;
  }
  return nref;
}

/* A memo hit: one more sighting of its edges. */
static void memo_count(struct memo *m) {
  unsigned done = 0;
  for (unsigned k = 0; k < m->nedges; k++) done += spy_lockgraph_seen(m->edge[k]);
  m->counted = done == m->nedges;
}

/* A memo miss: unwind, feed the graph, remember. */
static __attribute__((noinline)) void acquire_slow(struct attempt *a, uint64_t key, int edges) {
  int saved = errno;
  spy_thread_register();
  a->stack = spy_stack_capture();
  a->node = spy_lockgraph_node(a->addr, a->kind, a->stack);
  uint32_t ref[MEMO_EDGES] = { 0 };
  unsigned n = edges ? add_edges(a->node, a->stack, ref) : 0;
  int lost = 0;
  for (unsigned k = 0; k < n && k < MEMO_EDGES; k++) lost |= !ref[k];
  if (a->node && n <= MEMO_EDGES && !lost) {
    struct memo *m = &memo_mine()[key & (MEMO_SLOTS - 2)];
    if (m->key) m += !m[1].key || (key >> 40 & 1);   /* (key is in neither way) */
    m->key = key;
    m->node = a->node;
    m->stack = a->stack;
    m->nedges = (uint16_t)n;
    m->counted = 0;
    for (unsigned k = 0; k < MEMO_EDGES; k++) m->edge[k] = ref[k];
  }
  errno = saved;
}

/* A remembered acquisition: node and stack from the memo. A hit means the
 * lock is not held by this thread (the held set is part of the key, and a
 * held lock's node is in it), so the held set need not be searched. *key
 * is left for acquire_slow. edges: 0 for a trylock. */
HOT int memo_hit(struct attempt *a, struct site at, int edges, uint64_t *key) {
  uint64_t k = *key = memo_key(at, a->addr, a->mode | (edges ? 0 : 2));
  struct memo *m = &memo_mine()[k & (MEMO_SLOTS - 2)];
  if (m->key != k) m++;
  if (SPY_LIKELY(m->key == k) && spy_lockgraph_node_live(m->node, a->addr)) {
    a->node = m->node;
    a->stack = m->stack;
    if (SPY_UNLIKELY(!m->counted)) memo_count(m);
    return 1;
  }
  return 0;
}

/* ---- the acquisition protocol ---------------------------------------- */

/* Before a blocking acquisition: misuse checks, then the edges. relock:
 * the caller's verdict on taking again a lock this thread holds (1: it
 * will wait for ever). Enters the spy; after() leaves it. */
/* The thread takes again a lock it holds and will wait for ever. */
static __attribute__((noinline)) void relocked(struct attempt *a, const void *lock, int i) {
  int saved = errno;
  a->stack = spy_stack_capture();
  spy_error_record(HSP_ERR_LOCK_RELOCK, a->addr, a->stack, spy_held_mine()->e[i].stack, a->kind);
  spy_warn("thread %d takes again the %s at %p it already holds: it will wait for "
           "ever (see the report's errors)", spy_gettid(),
           a->kind == HSP_LOCK_SPIN ? "spinlock" : a->kind == HSP_LOCK_RWLOCK ? "rwlock" : "mutex",
           lock);
  errno = saved;
}

HOT void before(struct attempt *a, const void *lock, unsigned kind, unsigned mode,
                   int (*relock_deadlocks)(const void *, const struct spy_held_entry *),
                   struct site at) {
  enter_quiet();
  a->addr = (uint64_t)(uintptr_t)lock;
  a->kind = kind;
  a->mode = mode;
  a->again = 0;
  uint64_t key;
  if (SPY_LIKELY(memo_hit(a, at, 1, &key))) {
    spy_held_mine()->last_stack = a->stack;
    return;
  }
  int i = held_find(a->addr);
  a->again = i >= 0;
  if (a->again) {
    a->node = spy_held_mine()->e[i].node;
    a->stack = spy_held_mine()->e[i].stack;
    if (relock_deadlocks && relock_deadlocks(lock, &spy_held_mine()->e[i])) relocked(a, lock, i);
  } else {
    acquire_slow(a, key, 1);
  }
  spy_held_mine()->last_stack = a->stack;
}

/* After the acquisition succeeded (r == 0). */
/* After the acquisition (held if r == 0); leaves the spy. */
HOT int after(const struct attempt *a, int r) {
  if (r == 0) {
    int i = a->again ? held_find(a->addr) : -1;
    if (i >= 0) spy_held_mine()->e[i].count++;
    else held_push(a->addr, a->node, a->stack, a->kind, a->mode);
  }
  leave_quiet();
  return r;
}

/* A trylock that succeeded: held, but no edge (it could not deadlock). */
static int tried(const void *lock, unsigned kind, unsigned mode, int r, struct site at) {
  if (r != 0) return r;
  enter_quiet();
  struct attempt a = { (uint64_t)(uintptr_t)lock, 0, 0, kind, mode, 0 };
  uint64_t key;
  int i = -1;
  if (!memo_hit(&a, at, 0, &key) && (i = held_find(a.addr)) < 0) acquire_slow(&a, key, 0);
  if (i >= 0) {
    spy_held_mine()->e[i].count++;
  } else {
    spy_held_mine()->last_stack = a.stack;
    held_push(a.addr, a.node, a.stack, kind, mode);
  }
  leave_quiet();
  return r;
}

/* Before a release. */
HOT void released(const void *lock, unsigned kind) {
  uint64_t addr = (uint64_t)(uintptr_t)lock;
  enter_quiet();
  int i = held_find(addr);
  if (SPY_LIKELY(i >= 0)) {
    if (--spy_held_mine()->e[i].count == 0) held_remove(i);
    leave_quiet();
    return;
  }
  leave_quiet();
  int saved = enter();
  if (spy_held_mine()->overflow) {
    spy_held_mine()->overflow--;               /* one we could not list */
  } else if (!spy_attached) {          /* attached: it may have been taken before */
    spy_error_record(HSP_ERR_LOCK_UNLOCK_NOT_HELD, addr, spy_stack_capture(), 0, kind);
  }
  leave(saved);
}

/* Before a destroy: held by this thread? (held by another: see EBUSY) */
static void destroying(const void *lock, unsigned kind) {
  int saved = enter();
  uint64_t addr = (uint64_t)(uintptr_t)lock;
  int i = held_find(addr);
  if (i >= 0)
    spy_error_record(HSP_ERR_LOCK_DESTROY_HELD, addr, spy_stack_capture(),
                     spy_held_mine()->e[i].stack, kind);
  leave(saved);
}

static void destroyed(const void *lock, unsigned kind, int r) {
  int saved = enter();
  if (r == EBUSY)
    spy_error_record(HSP_ERR_LOCK_DESTROY_HELD, (uint64_t)(uintptr_t)lock,
                     spy_stack_capture(), 0, kind);
  else if (r == 0 && held_find((uint64_t)(uintptr_t)lock) < 0)
    spy_lockgraph_destroyed((uint64_t)(uintptr_t)lock);
  leave(saved);
}

/* ---- blocking: try, then wait in slices and look for a deadlock -------
 * An acquisition that cannot be had at once publishes what it waits for
 * and waits in slices of SPY_DEADLOCK_CHECK_MS, checking between slices
 * (spy_deadlock.c) whether it is part of a cycle of blocked threads. An
 * uncontended acquisition costs one trylock, as the plain call would. */

static void wait_begin(uint64_t addr, unsigned mode) {
  struct spy_held *h = spy_held_mine();
  h->wait_seq++;
  h->wait_mode = mode;
  h->wait_stack = 0;
  __atomic_store_n(&h->waiting, addr, __ATOMIC_RELEASE);
}

static int wait_end(int r) {
  __atomic_store_n(&spy_held_mine()->waiting, 0, __ATOMIC_RELEASE);
  return r;
}

static struct timespec slice_end(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_nsec += SPY_DEADLOCK_CHECK_MS * 1000000L;
  if (t.tv_nsec >= 1000000000L) { t.tv_sec += t.tv_nsec / 1000000000L; t.tv_nsec %= 1000000000L; }
  return t;
}

/* One blocking acquisition through `timed` (a clock*lock taking an
 * absolute CLOCK_MONOTONIC deadline) after a trylock found it busy;
 * through `plain` if this glibc has no clock*lock (before 2.30). */
#define WAIT_IN_SLICES(lock, mode, timed, plain)                           \
  do {                                                                     \
    int r_;                                                                \
    if (!timed) return plain(lock);                                        \
    wait_begin((uint64_t)(uintptr_t)(lock), mode);                         \
    for (;;) {                                                             \
      struct timespec t_ = slice_end();                                    \
      if ((r_ = timed(lock, CLOCK_MONOTONIC, &t_)) != ETIMEDOUT) break;    \
      spy_deadlock_check();                                                \
    }                                                                      \
    return wait_end(r_);                                                   \
  } while (0)

static int mutex_wait(pthread_mutex_t *m) {
  WAIT_IN_SLICES(m, HSP_MODE_EXCL, real_mutex_clocklock, real_mutex_lock);
}
static int rd_wait(pthread_rwlock_t *l) {
  WAIT_IN_SLICES(l, HSP_MODE_READ, real_rw_clockrdlock, real_rw_rdlock);
}
static int wr_wait(pthread_rwlock_t *l) {
  WAIT_IN_SLICES(l, HSP_MODE_EXCL, real_rw_clockwrlock, real_rw_wrlock);
}

/* A spinlock spins: its slices are counted in spins. */
static int spin_wait(pthread_spinlock_t *l) {
  int r;
  wait_begin((uint64_t)(uintptr_t)l, HSP_MODE_EXCL);
  struct timespec end = slice_end();
  for (unsigned long spins = 1; (r = real_spin_trylock(l)) == EBUSY; spins++) {
    __builtin_ia32_pause();
    if (spins % 4096) continue;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec))
      continue;
    spy_deadlock_check();
    end = slice_end();
  }
  return wait_end(r);
}

/* ---- relock verdicts ------------------------------------------------ */

/* glibc: the low two bits of __kind are the type; normal (0) and
 * adaptive (3) wait for ever, recursive counts, errorcheck says EDEADLK. */
static int mutex_relock_deadlocks(const void *lock, const struct spy_held_entry *e) {
  (void)e;
  unsigned type = (unsigned)((const pthread_mutex_t *)lock)->__data.__kind & 3;
  return type == PTHREAD_MUTEX_NORMAL || type == 3;
}

/* A writer waits for its own read lock to go (glibc answers EDEADLK only
 * to a writer that holds the write lock). */
static int rw_wr_relock_deadlocks(const void *lock, const struct spy_held_entry *e) {
  (void)lock;
  return e->mode == HSP_MODE_READ;
}

static int spin_relock_deadlocks(const void *lock, const struct spy_held_entry *e) {
  (void)lock; (void)e;
  return 1;
}

/* The hottest interceptors (a program may lock millions of times a
 * second) are split: an exported wrapper with no frame of its own that
 * jumps to the real function while locks_pass holds, and the tracked
 * path, a function of its own handed the call site: the wrapper's return
 * address and stack pointer (a fixed distance from the caller's), which
 * tell call sites and stack depths apart as SITE() does. */
#define LOCK_FAST SPY_EXPORT SPY_FRAMELESS
static inline uint64_t stack_pointer(void) {
  uint64_t sp;
  __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
  return sp;
}
#define CALLER_SITE() ((struct site){ (uint64_t)(uintptr_t)__builtin_return_address(0), \
                                      stack_pointer() })
#define PASS(real, ...) if (SPY_LIKELY(locks_pass)) return real(__VA_ARGS__)

/* ---- mutexes ---------------------------------------------------------- */

/* A blocking call: its trylock first (inside the spy: it cannot block),
 * then, if the lock is busy, the wait in slices (outside). */
#define BLOCKING(lock, kind, mode, verdict, try, wait, at)            \
  do {                                                                \
    struct attempt a;                                                 \
    before(&a, (const void *)(lock), kind, mode, verdict, at);       \
    int r = REAL(try)(lock);                                          \
    if (SPY_UNLIKELY(r == EBUSY)) {                                   \
      leave_quiet();                                                  \
      r = wait(lock);                                                 \
      enter_quiet();                                                  \
    }                                                                 \
    return after(&a, r);                                              \
  } while (0)

/* A call with its own deadline: made outside the spy. */
#define TIMED(lock, kind, mode, call)                                 \
  do {                                                                \
    struct attempt a;                                                 \
    before(&a, lock, kind, mode, NULL, SITE());                       \
    leave_quiet();                                                    \
    int r = call;                                                     \
    enter_quiet();                                                    \
    return after(&a, r);                                              \
  } while (0)

static __attribute__((noinline)) int mutex_lock(pthread_mutex_t *m, struct site at) {
  if (!tracking()) return REAL(real_mutex_lock)(m);
  BLOCKING(m, HSP_LOCK_MUTEX, HSP_MODE_EXCL, mutex_relock_deadlocks, real_mutex_trylock,
           mutex_wait, at);
}
LOCK_FAST int pthread_mutex_lock(pthread_mutex_t *m) {
  PASS(real_mutex_lock, m);
  return mutex_lock(m, CALLER_SITE());
}

SPY_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, ts_t t) {
  if (!tracking()) return REAL(real_mutex_timedlock)(m, t);
  TIMED(m, HSP_LOCK_MUTEX, HSP_MODE_EXCL, real_mutex_timedlock(m, t));
}

SPY_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t c, ts_t t) {
  if (!tracking()) return REAL(real_mutex_clocklock)(m, c, t);
  TIMED(m, HSP_LOCK_MUTEX, HSP_MODE_EXCL, real_mutex_clocklock(m, c, t));
}

static __attribute__((noinline)) int mutex_trylock(pthread_mutex_t *m, struct site at) {
  if (!tracking()) return REAL(real_mutex_trylock)(m);
  return tried(m, HSP_LOCK_MUTEX, HSP_MODE_EXCL, real_mutex_trylock(m), at);
}
LOCK_FAST int pthread_mutex_trylock(pthread_mutex_t *m) {
  PASS(real_mutex_trylock, m);
  return mutex_trylock(m, CALLER_SITE());
}

static __attribute__((noinline)) int mutex_unlock(pthread_mutex_t *m) {
  if (!tracking()) return unlocked(REAL(real_mutex_unlock)(m));
  released(m, HSP_LOCK_MUTEX);
  return unlocked(real_mutex_unlock(m));
}
LOCK_FAST int pthread_mutex_unlock(pthread_mutex_t *m) {
  PASS(real_mutex_unlock, m);
  return mutex_unlock(m);
}

SPY_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m) {
  if (!tracking()) return REAL(real_mutex_destroy)(m);
  destroying(m, HSP_LOCK_MUTEX);
  int r = real_mutex_destroy(m);
  destroyed(m, HSP_LOCK_MUTEX, r);
  return r;
}

/* ---- condition waits: the mutex is released, then taken again -------- */

static int cond_wait_common(pthread_mutex_t *m, int (*wait)(void *), void *ctx,
                            struct site at) {
  int saved = enter();
  int i = held_find((uint64_t)(uintptr_t)m);
  struct spy_held_entry was = i >= 0 ? spy_held_mine()->e[i] : (struct spy_held_entry){ 0 };
  leave(saved);
  released(m, HSP_LOCK_MUTEX);
  int r = wait(ctx);
  if (r != 0 && r != ETIMEDOUT) {      /* never released: as it was */
    if (was.addr) {
      saved = enter();
      unsigned n = spy_held_mine()->n;
      held_push(was.addr, was.node, was.stack, was.kind, was.mode);
      if (spy_held_mine()->n > n) spy_held_mine()->e[n].count = was.count;
      leave(saved);
    }
    return r;
  }
  /* held again, on success and on timeout: a new acquisition, whose
   * edges come from every lock this thread kept through the wait */
  struct attempt a;
  before(&a, m, HSP_LOCK_MUTEX, HSP_MODE_EXCL, NULL, at);
  after(&a, 0);
  return r;
}

struct wait_args { pthread_cond_t *c; pthread_mutex_t *m; clockid_t clk; ts_t t; };
static int do_wait(void *p) { struct wait_args *w = p; return real_cond_wait(w->c, w->m); }
static int do_timedwait(void *p) { struct wait_args *w = p; return real_cond_timedwait(w->c, w->m, w->t); }
static int do_clockwait(void *p) { struct wait_args *w = p; return real_cond_clockwait(w->c, w->m, w->clk, w->t); }

SPY_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) {
  if (!tracking()) return REAL(real_cond_wait)(c, m);
  struct wait_args w = { c, m, 0, NULL };
  return cond_wait_common(m, do_wait, &w, SITE());
}

SPY_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, ts_t t) {
  if (!tracking()) return REAL(real_cond_timedwait)(c, m, t);
  struct wait_args w = { c, m, 0, t };
  return cond_wait_common(m, do_timedwait, &w, SITE());
}

SPY_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t k, ts_t t) {
  if (!tracking()) return REAL(real_cond_clockwait)(c, m, k, t);
  struct wait_args w = { c, m, k, t };
  return cond_wait_common(m, do_clockwait, &w, SITE());
}

/* ---- rwlocks ---------------------------------------------------------- */

static __attribute__((noinline)) int rw_rdlock(pthread_rwlock_t *l, struct site at) {
  if (!tracking()) return REAL(real_rw_rdlock)(l);
  BLOCKING(l, HSP_LOCK_RWLOCK, HSP_MODE_READ, NULL, real_rw_tryrdlock, rd_wait, at);
}
LOCK_FAST int pthread_rwlock_rdlock(pthread_rwlock_t *l) {
  PASS(real_rw_rdlock, l);
  return rw_rdlock(l, CALLER_SITE());
}

static __attribute__((noinline)) int rw_wrlock(pthread_rwlock_t *l, struct site at) {
  if (!tracking()) return REAL(real_rw_wrlock)(l);
  BLOCKING(l, HSP_LOCK_RWLOCK, HSP_MODE_EXCL, rw_wr_relock_deadlocks, real_rw_trywrlock,
           wr_wait, at);
}
LOCK_FAST int pthread_rwlock_wrlock(pthread_rwlock_t *l) {
  PASS(real_rw_wrlock, l);
  return rw_wrlock(l, CALLER_SITE());
}

SPY_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, ts_t t) {
  if (!tracking()) return REAL(real_rw_timedrdlock)(l, t);
  TIMED(l, HSP_LOCK_RWLOCK, HSP_MODE_READ, real_rw_timedrdlock(l, t));
}

SPY_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, ts_t t) {
  if (!tracking()) return REAL(real_rw_timedwrlock)(l, t);
  TIMED(l, HSP_LOCK_RWLOCK, HSP_MODE_EXCL, real_rw_timedwrlock(l, t));
}

SPY_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t c, ts_t t) {
  if (!tracking()) return REAL(real_rw_clockrdlock)(l, c, t);
  TIMED(l, HSP_LOCK_RWLOCK, HSP_MODE_READ, real_rw_clockrdlock(l, c, t));
}

SPY_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t c, ts_t t) {
  if (!tracking()) return REAL(real_rw_clockwrlock)(l, c, t);
  TIMED(l, HSP_LOCK_RWLOCK, HSP_MODE_EXCL, real_rw_clockwrlock(l, c, t));
}

SPY_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l) {
  if (!tracking()) return REAL(real_rw_tryrdlock)(l);
  return tried(l, HSP_LOCK_RWLOCK, HSP_MODE_READ, real_rw_tryrdlock(l), SITE());
}

SPY_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l) {
  if (!tracking()) return REAL(real_rw_trywrlock)(l);
  return tried(l, HSP_LOCK_RWLOCK, HSP_MODE_EXCL, real_rw_trywrlock(l), SITE());
}

static __attribute__((noinline)) int rw_unlock(pthread_rwlock_t *l) {
  if (!tracking()) return unlocked(REAL(real_rw_unlock)(l));
  released(l, HSP_LOCK_RWLOCK);
  return unlocked(real_rw_unlock(l));
}
LOCK_FAST int pthread_rwlock_unlock(pthread_rwlock_t *l) {
  PASS(real_rw_unlock, l);
  return rw_unlock(l);
}

SPY_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l) {
  if (!tracking()) return REAL(real_rw_destroy)(l);
  destroying(l, HSP_LOCK_RWLOCK);
  int r = real_rw_destroy(l);
  destroyed(l, HSP_LOCK_RWLOCK, r);
  return r;
}

/* ---- spinlocks -------------------------------------------------------- */

static __attribute__((noinline)) int spin_lock(pthread_spinlock_t *l, struct site at) {
  if (!tracking()) return REAL(real_spin_lock)(l);
  BLOCKING(l, HSP_LOCK_SPIN, HSP_MODE_EXCL, spin_relock_deadlocks, real_spin_trylock,
           spin_wait, at);
}
LOCK_FAST int pthread_spin_lock(pthread_spinlock_t *l) {
  PASS(real_spin_lock, l);
  return spin_lock(l, CALLER_SITE());
}

SPY_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l) {
  if (!tracking()) return REAL(real_spin_trylock)(l);
  return tried((const void *)l, HSP_LOCK_SPIN, HSP_MODE_EXCL, real_spin_trylock(l), SITE());
}

static __attribute__((noinline)) int spin_unlock(pthread_spinlock_t *l) {
  if (!tracking()) return unlocked(REAL(real_spin_unlock)(l));
  released((const void *)l, HSP_LOCK_SPIN);
  return unlocked(real_spin_unlock(l));
}
LOCK_FAST int pthread_spin_unlock(pthread_spinlock_t *l) {
  PASS(real_spin_unlock, l);
  return spin_unlock(l);
}

SPY_EXPORT int pthread_spin_destroy(pthread_spinlock_t *l) {
  if (!tracking()) return REAL(real_spin_destroy)(l);
  destroying((const void *)l, HSP_LOCK_SPIN);
  int r = real_spin_destroy(l);
  destroyed((const void *)l, HSP_LOCK_SPIN, r);
  return r;
}
