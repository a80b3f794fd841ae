/*
 * spy_locks.c: --locks. Interposes the pthread lock functions (mutexes of
 * every type with trylock/timedlock/clocklock, rwlocks, spinlocks, and the
 * mutex re-acquire inside condition waits), keeps the locks each thread
 * holds (spy_held, in TLS), feeds the lock-order graph (spy_lockgraph.c)
 * and records misuse (spy_errors.c): re-locking a non-recursive lock the
 * thread already holds (recorded before the thread blocks for ever),
 * unlocking a lock the thread does not hold, destroying a held lock.
 *
 * Without --locks every interceptor is one flag test and a call of the
 * real function. A blocking acquisition records its graph edges before it
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
#include <time.h>

#include "spy.h"

int spy_locks_on;
__thread struct spy_held spy_held __attribute__((tls_model("initial-exec")));
__thread int spy_lock_busy __attribute__((tls_model("initial-exec")));

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

void spy_locks_init(void) {
  if (!resolved) resolve();
  spy_locks_on = spy_opt.locks;
}

void spy_locks_fork_child(void) {
  spy_lockgraph_reset_lock();
  spy_errors_reset_lock();
  if (spy_status != SPY_READY) spy_locks_on = 0;
}

/* Track this call? (--locks, the spy ready, not the spy's own call.) */
static inline int tracking(void) {
  return SPY_UNLIKELY(spy_locks_on) && !spy_busy && spy_status == SPY_READY;
}
/* Bracket the spy's work in an interceptor; errno is the program's. */
static inline int enter(void) { spy_busy++; spy_lock_busy++; return errno; }
static inline void leave(int saved) { spy_lock_busy--; spy_leave(); errno = saved; }

/* ---- the held set ----------------------------------------------------- */

static int held_find(uint64_t addr) {
  for (int i = (int)spy_held.n - 1; i >= 0; i--)
    if (spy_held.e[i].addr == addr) return i;
  return -1;
}

static void held_push(uint64_t addr, uint32_t node, uint32_t stack, unsigned kind,
                      unsigned mode) {
  struct spy_held *h = &spy_held;
  if (h->n == SPY_HELD_MAX) { h->overflow++; return; }
  h->e[h->n] = (struct spy_held_entry){ addr, node, stack, (uint16_t)kind, (uint16_t)mode, 1 };
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  h->n++;
}

static void held_remove(int i) {
  struct spy_held *h = &spy_held;
  for (unsigned j = (unsigned)i; j + 1 < h->n; j++) h->e[j] = h->e[j + 1];
  h->n--;
}

/* Edges from every lock held to `node`, each with the other locks held
 * exclusively at this moment (the candidate gates). */
static void add_edges(uint32_t node, uint32_t stack) {
  const struct spy_held *h = &spy_held;
  uint32_t gates[SPY_HELD_MAX];
  for (unsigned i = 0; i < h->n; i++) {
    const struct spy_held_entry *from = &h->e[i];
    if (!from->node || from->node == node) continue;
    unsigned ng = 0;
    for (unsigned j = 0; j < h->n; j++)
      if (j != i && h->e[j].node && h->e[j].node != node && h->e[j].mode == HSP_MODE_EXCL)
        gates[ng++] = h->e[j].node;
    spy_lockgraph_edge(from->node, node, from->stack, stack, gates, ng);
  }
}

/* ---- the acquisition protocol ---------------------------------------- */

struct attempt { uint64_t addr; uint32_t node, stack; unsigned kind, mode; int again; };

/* Before a blocking acquisition: misuse checks, then the edges. relock:
 * the caller's verdict on taking again a lock this thread holds (1: it
 * will wait for ever). */
static void before(struct attempt *a, const void *lock, unsigned kind, unsigned mode,
                   int (*relock_deadlocks)(const void *, const struct spy_held_entry *)) {
  int saved = enter();
  spy_thread_register();
  a->addr = (uint64_t)(uintptr_t)lock;
  a->kind = kind;
  a->mode = mode;
  int i = held_find(a->addr);
  a->again = i >= 0;
  a->stack = spy_stack_capture();
  spy_held.last_stack = a->stack;
  if (a->again) {
    a->node = spy_held.e[i].node;
    if (relock_deadlocks && relock_deadlocks(lock, &spy_held.e[i])) {
      spy_error_record(HSP_ERR_LOCK_RELOCK, a->addr, a->stack, spy_held.e[i].stack, kind);
      spy_warn("thread %d takes again the %s at %p it already holds: it will wait for "
               "ever (see the report's errors)", spy_gettid(),
               kind == HSP_LOCK_SPIN ? "spinlock" : kind == HSP_LOCK_RWLOCK ? "rwlock" : "mutex",
               lock);
    }
  } else {
    a->node = spy_lockgraph_node(a->addr, kind, a->stack);
    add_edges(a->node, a->stack);
  }
  leave(saved);
}

/* After the acquisition succeeded (r == 0). */
static int after(const struct attempt *a, int r) {
  if (r != 0) return r;
  int saved = enter();
  int i = a->again ? held_find(a->addr) : -1;
  if (i >= 0) spy_held.e[i].count++;
  else held_push(a->addr, a->node, a->stack, a->kind, a->mode);
  leave(saved);
  return r;
}

/* A trylock that succeeded: held, but no edge (it could not deadlock). */
static int tried(const void *lock, unsigned kind, unsigned mode, int r) {
  if (r != 0) return r;
  int saved = enter();
  spy_thread_register();
  uint64_t addr = (uint64_t)(uintptr_t)lock;
  int i = held_find(addr);
  if (i >= 0) {
    spy_held.e[i].count++;
  } else {
    uint32_t stack = spy_stack_capture();
    spy_held.last_stack = stack;
    held_push(addr, spy_lockgraph_node(addr, kind, stack), stack, kind, mode);
  }
  leave(saved);
  return r;
}

/* Before a release. */
static void released(const void *lock, unsigned kind) {
  int saved = enter();
  uint64_t addr = (uint64_t)(uintptr_t)lock;
  int i = held_find(addr);
  if (i >= 0) {
    if (--spy_held.e[i].count == 0) held_remove(i);
  } else if (spy_held.overflow) {
    spy_held.overflow--;               /* one we could not list */
  } else {
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
                     spy_held.e[i].stack, kind);
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

/* ---- mutexes ---------------------------------------------------------- */

#define BLOCKING(lock, kind, mode, verdict, call)  \
  do {                                             \
    struct attempt a;                              \
    before(&a, lock, kind, mode, verdict);         \
    return after(&a, call);                        \
  } while (0)

SPY_EXPORT int pthread_mutex_lock(pthread_mutex_t *m) {
  if (!tracking()) return REAL(real_mutex_lock)(m);
  BLOCKING(m, HSP_LOCK_MUTEX, HSP_MODE_EXCL, mutex_relock_deadlocks, real_mutex_lock(m));
}

SPY_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, ts_t t) {
  if (!tracking()) return REAL(real_mutex_timedlock)(m, t);
  BLOCKING(m, HSP_LOCK_MUTEX, HSP_MODE_EXCL, NULL, real_mutex_timedlock(m, t));
}

SPY_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t c, ts_t t) {
  if (!tracking()) return REAL(real_mutex_clocklock)(m, c, t);
  BLOCKING(m, HSP_LOCK_MUTEX, HSP_MODE_EXCL, NULL, real_mutex_clocklock(m, c, t));
}

SPY_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m) {
  if (!tracking()) return REAL(real_mutex_trylock)(m);
  return tried(m, HSP_LOCK_MUTEX, HSP_MODE_EXCL, real_mutex_trylock(m));
}

SPY_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m) {
  if (!tracking()) return REAL(real_mutex_unlock)(m);
  released(m, HSP_LOCK_MUTEX);
  return real_mutex_unlock(m);
}

SPY_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m) {
  if (!tracking()) return REAL(real_mutex_destroy)(m);
  destroying(m, HSP_LOCK_MUTEX);
  int r = real_mutex_destroy(m);
  destroyed(m, HSP_LOCK_MUTEX, r);
  return r;
}

/* ---- condition waits: the mutex is released, then taken again -------- */

static int cond_wait_common(pthread_mutex_t *m, int (*wait)(void *), void *ctx) {
  int saved = enter();
  int i = held_find((uint64_t)(uintptr_t)m);
  struct spy_held_entry was = i >= 0 ? spy_held.e[i] : (struct spy_held_entry){ 0 };
  leave(saved);
  released(m, HSP_LOCK_MUTEX);
  int r = wait(ctx);
  if (r != 0 && r != ETIMEDOUT) {      /* never released: as it was */
    if (was.addr) {
      saved = enter();
      unsigned n = spy_held.n;
      held_push(was.addr, was.node, was.stack, was.kind, was.mode);
      if (spy_held.n > n) spy_held.e[n].count = was.count;
      leave(saved);
    }
    return r;
  }
  /* held again, on success and on timeout: a new acquisition, whose
   * edges come from every lock this thread kept through the wait */
  struct attempt a;
  before(&a, m, HSP_LOCK_MUTEX, HSP_MODE_EXCL, NULL);
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
  return cond_wait_common(m, do_wait, &w);
}

SPY_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, ts_t t) {
  if (!tracking()) return REAL(real_cond_timedwait)(c, m, t);
  struct wait_args w = { c, m, 0, t };
  return cond_wait_common(m, do_timedwait, &w);
}

SPY_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t k, ts_t t) {
  if (!tracking()) return REAL(real_cond_clockwait)(c, m, k, t);
  struct wait_args w = { c, m, k, t };
  return cond_wait_common(m, do_clockwait, &w);
}

/* ---- rwlocks ---------------------------------------------------------- */

SPY_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l) {
  if (!tracking()) return REAL(real_rw_rdlock)(l);
  BLOCKING(l, HSP_LOCK_RWLOCK, HSP_MODE_READ, NULL, real_rw_rdlock(l));
}

SPY_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l) {
  if (!tracking()) return REAL(real_rw_wrlock)(l);
  BLOCKING(l, HSP_LOCK_RWLOCK, HSP_MODE_EXCL, rw_wr_relock_deadlocks, real_rw_wrlock(l));
}

SPY_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, ts_t t) {
  if (!tracking()) return REAL(real_rw_timedrdlock)(l, t);
  BLOCKING(l, HSP_LOCK_RWLOCK, HSP_MODE_READ, NULL, real_rw_timedrdlock(l, t));
}

SPY_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, ts_t t) {
  if (!tracking()) return REAL(real_rw_timedwrlock)(l, t);
  BLOCKING(l, HSP_LOCK_RWLOCK, HSP_MODE_EXCL, NULL, real_rw_timedwrlock(l, t));
}

SPY_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t c, ts_t t) {
  if (!tracking()) return REAL(real_rw_clockrdlock)(l, c, t);
  BLOCKING(l, HSP_LOCK_RWLOCK, HSP_MODE_READ, NULL, real_rw_clockrdlock(l, c, t));
}

SPY_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t c, ts_t t) {
  if (!tracking()) return REAL(real_rw_clockwrlock)(l, c, t);
  BLOCKING(l, HSP_LOCK_RWLOCK, HSP_MODE_EXCL, NULL, real_rw_clockwrlock(l, c, t));
}

SPY_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l) {
  if (!tracking()) return REAL(real_rw_tryrdlock)(l);
  return tried(l, HSP_LOCK_RWLOCK, HSP_MODE_READ, real_rw_tryrdlock(l));
}

SPY_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l) {
  if (!tracking()) return REAL(real_rw_trywrlock)(l);
  return tried(l, HSP_LOCK_RWLOCK, HSP_MODE_EXCL, real_rw_trywrlock(l));
}

SPY_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l) {
  if (!tracking()) return REAL(real_rw_unlock)(l);
  released(l, HSP_LOCK_RWLOCK);
  return real_rw_unlock(l);
}

SPY_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l) {
  if (!tracking()) return REAL(real_rw_destroy)(l);
  destroying(l, HSP_LOCK_RWLOCK);
  int r = real_rw_destroy(l);
  destroyed(l, HSP_LOCK_RWLOCK, r);
  return r;
}

/* ---- spinlocks -------------------------------------------------------- */

SPY_EXPORT int pthread_spin_lock(pthread_spinlock_t *l) {
  if (!tracking()) return REAL(real_spin_lock)(l);
  BLOCKING((const void *)l, HSP_LOCK_SPIN, HSP_MODE_EXCL, spin_relock_deadlocks, real_spin_lock(l));
}

SPY_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l) {
  if (!tracking()) return REAL(real_spin_trylock)(l);
  return tried((const void *)l, HSP_LOCK_SPIN, HSP_MODE_EXCL, real_spin_trylock(l));
}

SPY_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l) {
  if (!tracking()) return REAL(real_spin_unlock)(l);
  released((const void *)l, HSP_LOCK_SPIN);
  return real_spin_unlock(l);
}

SPY_EXPORT int pthread_spin_destroy(pthread_spinlock_t *l) {
  if (!tracking()) return REAL(real_spin_destroy)(l);
  destroying((const void *)l, HSP_LOCK_SPIN);
  int r = real_spin_destroy(l);
  destroyed((const void *)l, HSP_LOCK_SPIN, r);
  return r;
}
