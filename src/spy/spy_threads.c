/*
 * spy_threads.c: the registry of the program's threads, and the record of
 * who was still running when exit started (SPEC story 5, the JSON
 * `threads_at_exit`): tid, name, whether it was inside the allocator, the
 * locks it held (--locks) and the stack of its last lock acquisition.
 *
 * A thread registers itself the first time it enters the spy while other
 * threads exist (its first allocation, or its first lock with --locks)
 * and leaves at thread exit through a thread-specific key's destructor.
 * A slot holds pointers to the thread's own spy_busy and spy_held;
 * the slot lock keeps the thread from leaving (and its TLS from going
 * away) while the exiting thread copies them.
 *
 * Must never: allocate (the task list is read with getdents64), block on
 * anything but a slot lock (held for a copy), or run twice at exit.
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spy.h"
#include "spy_locks.h"

#define MAX_THREADS 1024
#define MAX_EXIT_THREADS 512

struct slot {
  uint32_t lock;
  int tid;                  /* 0: free */
  volatile int *busy;       /* the thread's spy_busy */
  volatile int *lock_busy;  /* its spy_lock_busy */
  struct spy_held *held;    /* its spy_held */
};

static struct slot slots[MAX_THREADS];
static unsigned slots_used;   /* slots below this index were ever used */
static __thread struct slot *self SPY_TLS;
static __thread int gone SPY_TLS;
static pthread_key_t leave_key;
static int leave_key_ok;
static int exit_recorded;

int spy_gettid(void) { return (int)syscall(SYS_gettid); }

static void leave_registry(void *unused) {
  (void)unused;
  struct slot *s = self;
  if (!s) return;
  spy_lock(&s->lock);
  s->tid = 0;
  spy_unlock(&s->lock);
  self = NULL;
  gone = 1;                 /* later destructors' calls: do not come back */
}

void spy_threads_init(void) {
  leave_key_ok = pthread_key_create(&leave_key, leave_registry) == 0;
  spy_thread_register();    /* the thread that starts the spy (main) */
}

void spy_thread_register(void) {
  if (self || gone) return;
  int tid = spy_gettid();
  for (unsigned i = 0; i < MAX_THREADS; i++) {
    struct slot *s = &slots[i];
    if (__atomic_load_n(&s->tid, __ATOMIC_RELAXED)) continue;
    spy_lock(&s->lock);
    if (s->tid) { spy_unlock(&s->lock); continue; }
    s->busy = &spy_busy;
    s->lock_busy = &spy_lock_busy;
    s->held = spy_held_mine();
    s->tid = tid;
    spy_unlock(&s->lock);
    unsigned used = __atomic_load_n(&slots_used, __ATOMIC_RELAXED);
    while (used < i + 1 &&
           !__atomic_compare_exchange_n(&slots_used, &used, i + 1, 0, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED)) {}
    self = s;
    if (leave_key_ok) {
      spy_internal++;       /* a key below 32: no allocation */
      pthread_setspecific(leave_key, (void *)1);
      spy_internal--;
    }
    return;
  }
  gone = 1;                 /* registry full: this thread stays unknown */
}

unsigned spy_threads_views(struct spy_thread_view *out, unsigned max) {
  unsigned n = 0, used = __atomic_load_n(&slots_used, __ATOMIC_ACQUIRE);
  for (unsigned i = 0; i < used && n < max; i++) {
    struct slot *s = &slots[i];
    if (!__atomic_load_n(&s->tid, __ATOMIC_RELAXED)) continue;
    spy_lock(&s->lock);
    if (s->tid) {
      const struct spy_held *h = s->held;
      struct spy_thread_view *v = &out[n++];
      v->tid = s->tid;
      v->waiting = __atomic_load_n(&h->waiting, __ATOMIC_ACQUIRE);
      v->wait_seq = h->wait_seq;
      v->wait_mode = h->wait_mode;
      v->wait_stack = h->wait_stack;
      unsigned k = h->n < SPY_VIEW_HELD ? h->n : SPY_VIEW_HELD;
      for (unsigned j = 0; j < k; j++) v->held[j] = h->e[j];
      v->nheld = k;
    }
    spy_unlock(&s->lock);
  }
  return n;
}

/* ---- at exit --------------------------------------------------------- */

void spy_thread_name(int tid, char name[16]) {
  char path[64];
  spy_fmt(path, sizeof path, "/proc/self/task/%d/comm", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, name, 15) : -1;
  if (fd >= 0) close(fd);
  if (n < 0) n = 0;
  while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == 0)) n--;
  name[n] = 0;
}

/* With its slot locked: what the thread is doing now. */
static void copy_thread(struct slot *s, struct hsp_exit_thread *t) {
  t->known = 1;
  t->in_allocator = *s->busy > 0 && *s->lock_busy == 0;
  const struct spy_held *h = s->held;
  unsigned n = h->n < SPY_HELD_MAX ? h->n : SPY_HELD_MAX;
  t->nheld = n + h->overflow;
  t->stack = h->last_stack;
  for (unsigned i = 0; i < n && i < HSP_HELD_MAX; i++) {
    t->held[i].addr = h->e[i].addr;
    t->held[i].stack = h->e[i].stack;
    t->held[i].mode = h->e[i].mode;
  }
  if (n) t->stack = h->e[n - 1].stack;    /* innermost held lock */
}

static void fill(struct hsp_exit_thread *t, int tid) {
  t->tid = tid;
  spy_thread_name(tid, t->name);
  for (unsigned i = 0; i < MAX_THREADS; i++) {
    struct slot *s = &slots[i];
    if (__atomic_load_n(&s->tid, __ATOMIC_RELAXED) != tid) continue;
    spy_lock(&s->lock);
    if (s->tid == tid) copy_thread(s, t);
    spy_unlock(&s->lock);
    return;
  }
}

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* Records every thread of the process but the caller, as of now. */
void spy_threads_at_exit(void) {
  if (!spy_hdr || __atomic_exchange_n(&exit_recorded, 1, __ATOMIC_ACQ_REL)) return;
  int me = spy_gettid();
  spy_hdr->exit_tid = me;
  int tids[MAX_EXIT_THREADS];
  unsigned n = 0;
  int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[4096];
  long got;
  while (n < MAX_EXIT_THREADS && (got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < got && n < MAX_EXIT_THREADS;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
      off += d->d_reclen;
      int tid = 0;
      for (const char *c = d->d_name; *c >= '0' && *c <= '9'; c++) tid = tid * 10 + (*c - '0');
      if (tid > 0 && tid != me) tids[n++] = tid;
    }
  }
  close(fd);
  if (!n) return;
  uint64_t off;
  struct hsp_exit_thread *t = spy_arena_alloc(n * sizeof *t, &off);
  if (!t) return;
  for (unsigned i = 0; i < n; i++) fill(&t[i], tids[i]);
  spy_hdr->exit_threads_count = n;
  __atomic_store_n(&spy_hdr->exit_threads_off, off, __ATOMIC_RELEASE);
}

/* In a forked child only the forking thread exists. */
void spy_threads_fork_child(void) {
  for (unsigned i = 0; i < MAX_THREADS; i++)
    if (&slots[i] != self) slots[i].tid = 0;
    else slots[i].tid = spy_gettid();
  for (unsigned i = 0; i < MAX_THREADS; i++) slots[i].lock = 0;
  exit_recorded = 0;
}
