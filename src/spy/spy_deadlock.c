/*
 * spy_deadlock.c: a deadlock in progress (--locks). A thread that stays
 * blocked in an acquisition (spy_locks.c waits in slices of
 * SPY_DEADLOCK_CHECK_MS) looks, at the end of each slice, for a cycle of
 * blocked threads through itself: it waits for a lock held by T1, T1 waits
 * for a lock held by T2, ..., Tn waits for a lock it holds. The threads'
 * states are read one at a time, so a cycle counts only when the next
 * check finds it again with every thread still in the same wait (same
 * wait numbers): those threads then stayed blocked, holding what they
 * held, across the whole interval, and none of them can ever go on.
 *
 * The lowest tid of the cycle reports it once: one line on stderr, one
 * struct hsp_deadlock in the profile (with every thread's waiting stack
 * and the stack where it took the lock the previous one waits for). The
 * program is then left hanging, as it would without the spy (kill it:
 * the profile has the report), or, with --halt-on-error, stopped with
 * SIGABRT (heapspy run exits 134).
 *
 * Limits: a lock held by several readers is not followed (a writer
 * blocked on readers may still be freed by one of them); locks whose
 * holder the spy does not know (taken before --locks started, or by the
 * spy's own calls) end the search; the mutex re-acquire inside a
 * condition wait happens inside glibc and is not watched; timed calls
 * (timedlock, clocklock) end by themselves and are not either.
 *
 * Must never: run with a spy lock held by the caller, block on anything
 * but the views' lock (held for the search, a leaf above the slot locks),
 * or allocate.
 */
#include <errno.h>
#include <signal.h>

#include "spy.h"
#include "spy_locks.h"

#define MAX_VIEWS 1024

static struct spy_thread_view views[MAX_VIEWS];   /* under views_lock */
static uint32_t views_lock;

/* The cycle seen at this thread's previous check, canonical: rotated to
 * start at its lowest tid. */
struct cycle {
  unsigned n;
  int tid[HSP_DEADLOCK_MAX];
  uint32_t seq[HSP_DEADLOCK_MAX];
};
SPY_MEM_FITS(struct cycle, deadlock);
static __thread uint32_t reported_seq SPY_TLS;

static int view_of(unsigned n, int tid) {
  for (unsigned i = 0; i < n; i++)
    if (views[i].tid == tid) return (int)i;
  return -1;
}

/* The one thread whose hold on addr blocks a `mode` request, and its held
 * entry; -1 if none is known or several readers hold it. */
static int holder(unsigned n, uint64_t addr, unsigned mode, const struct spy_held_entry **held) {
  int found = -1;
  for (unsigned i = 0; i < n; i++)
    for (unsigned k = 0; k < views[i].nheld; k++) {
      const struct spy_held_entry *e = &views[i].held[k];
      if (e->addr != addr || (mode == HSP_MODE_READ && e->mode == HSP_MODE_READ)) continue;
      if (found >= 0) return -1;
      found = (int)i;
      *held = e;
    }
  return found;
}

/* Follows the waits from view `self`: fills d (every thread's wait and
 * the lock it holds that the previous one waits for) and c. 1: a cycle
 * of two threads or more through self. */
static int find_cycle(unsigned n, int self, struct hsp_deadlock *d, struct cycle *c) {
  const struct spy_held_entry *holds[HSP_DEADLOCK_MAX];
  int path[HSP_DEADLOCK_MAX];
  unsigned k = 0;
  for (int cur = self;;) {
    const struct spy_thread_view *v = &views[cur];
    if (k == HSP_DEADLOCK_MAX || !v->waiting) return 0;
    int h = holder(n, v->waiting, v->wait_mode, &holds[k]);
    if (h < 0) return 0;
    path[k++] = cur;
    if (h == self) break;
    for (unsigned j = 0; j < k; j++)
      if (path[j] == h) return 0;     /* a cycle that self only waits on */
    cur = h;
  }
  if (k < 2) return 0;                /* a relock: reported as such */
  unsigned low = 0;
  for (unsigned j = 1; j < k; j++)
    if (views[path[j]].tid < views[path[low]].tid) low = j;
  d->n = c->n = k;
  for (unsigned j = 0; j < k; j++) {
    unsigned i = (low + j) % k, prev = (i + k - 1) % k;
    const struct spy_thread_view *v = &views[path[i]];
    struct hsp_deadlock_thread *t = &d->t[j];
    t->tid = c->tid[j] = v->tid;
    c->seq[j] = v->wait_seq;
    t->waits = v->waiting;
    t->mode = v->wait_mode;
    t->wait_stack = v->wait_stack;
    t->waits_node = holds[i]->node;
    t->holds = holds[prev]->addr;
    t->holds_node = holds[prev]->node;
    t->holds_stack = holds[prev]->stack;
  }
  return 1;
}

static void report(struct hsp_deadlock *d) {
  char line[1024];
  size_t len = spy_fmt(line, sizeof line, "DEADLOCK: %u threads wait for each other:",
                       d->n);
  for (unsigned j = 0; j < d->n; j++) {
    struct hsp_deadlock_thread *t = &d->t[j];
    spy_thread_name(t->tid, t->name);
    len += spy_fmt(line + len, sizeof line - len, "%s thread %d (%s) holds %p, waits for %p",
                   j ? ";" : "", t->tid, t->name, (void *)(uintptr_t)t->holds,
                   (void *)(uintptr_t)t->waits);
  }
  spy_fmt(line + len, sizeof line - len, "; %s",
          spy_opt.halt_on_error ? "stopping it (--halt-on-error)"
                                : "it is left hanging: the profile has the stacks");
  spy_warn("%s", line);
  d->t_ms = spy_now_ms();
  spy_lockgraph_add_deadlock(d);
}

void spy_deadlock_check(void) {
  struct spy_held *me = spy_held_mine();
  if (!me->waiting) return;
  int saved = errno;
  spy_busy++;
  spy_thread_register();
  if (!me->wait_stack) me->wait_stack = spy_stack_capture();
  struct hsp_deadlock d = { 0 };
  struct cycle c = { 0 };
  int found = 0, tid = spy_gettid();
  if (!__atomic_exchange_n(&views_lock, 1, __ATOMIC_ACQUIRE)) {   /* busy: next slice */
    unsigned n = spy_threads_views(views, MAX_VIEWS);
    int self = view_of(n, tid);
    found = self >= 0 && find_cycle(n, self, &d, &c);
    spy_unlock(&views_lock);
  }
  struct cycle *suspect = (struct cycle *)spy_mem()->deadlock;
  int again = found && c.n == suspect->n &&
              !__builtin_memcmp(c.tid, suspect->tid, sizeof c.tid) &&
              !__builtin_memcmp(c.seq, suspect->seq, sizeof c.seq);
  *suspect = c;
  if (again && c.tid[0] == tid && reported_seq != me->wait_seq) {
    reported_seq = me->wait_seq;
    report(&d);
    if (spy_opt.halt_on_error) raise(SIGABRT);
  }
  spy_leave();
  errno = saved;
}
