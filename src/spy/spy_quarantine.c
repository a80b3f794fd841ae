/*
 * spy_quarantine.c: --check's quarantine, where freed blocks wait before
 * glibc gets them back. FIFO rings holding at most check_quarantine bytes
 * (default 16 MiB) between them; the oldest leave first, through
 * spy_check_release (spy_check.c), which verifies their poison and red
 * zones, reports, and frees them. It answers "was this pointer freed
 * already" (double frees), walks every held block at exit and at leak
 * checks, and names the freed block a crash hit.
 *
 * Each thread that frees owns a ring (a slot of a registry in our own
 * mapping) and gets an equal share of the bytes: its frees wait in its
 * own ring and it evicts only its own blocks, which glibc mostly handed
 * it from its own arena. A shared FIFO made every thread verify and free
 * the others' blocks: their cache lines and arena locks bounced between
 * cores. A thread's ring goes to the shared ring when it exits; threads
 * past the registry's slots use the shared ring directly. An entry is in
 * exactly one ring (it moves under both locks), so every search that
 * walks all rings finds it.
 * Lock order: a thread's ring, then the shared ring.
 *
 * Must never: allocate; hold a ring's lock while unwinding, recording an
 * error or calling spy_check_release / spy_check_poison; free a block
 * itself; leave a stale user pointer in a slot it emptied (the leak scan
 * would take it for a root).
 */
#include <string.h>
#include <sys/mman.h>

#include "spy.h"
#include "spy_check.h"

extern char __libc_single_threaded;

#define SHARED_CAP (1u << 20)     /* blocks in the shared ring at most */
#define OWN_CAP (1u << 18)        /* blocks in a thread's ring at most */
_Static_assert((SHARED_CAP & (SHARED_CAP - 1)) == 0 && (OWN_CAP & (OWN_CAP - 1)) == 0,
               "ring capacities are powers of two (at() masks)");
#define SLOTS 256                 /* threads with a ring of their own at once */

struct qring {
  uint32_t lock, owned, cap;
  uint64_t head, count, bytes;
  struct spy_qent *e;             /* cap entries, FIFO from head; mapped when first owned */
};

static struct qring shared;
static struct qring *slots;       /* SLOTS */
static uint32_t owners;           /* slots owned by live threads */
static __thread struct qring *mine SPY_TLS;
static __thread int mine_state SPY_TLS;  /* 1 owns one, 2 shared */

/* Bytes held in every ring, read without their locks (a timeline point
 * needs an estimate, and the free path must not share a counter between
 * threads). */
uint64_t spy_quarantine_held(void) {
  uint64_t sum = __atomic_load_n(&shared.bytes, __ATOMIC_RELAXED);
  for (unsigned i = 0; slots && i < SLOTS; i++)
    if (__atomic_load_n(&slots[i].e, __ATOMIC_RELAXED)) sum += __atomic_load_n(&slots[i].bytes, __ATOMIC_RELAXED);
  return sum;
}

static uint64_t rings_vm;       /* address space of the rings (never unmapped) */

uint64_t spy_quarantine_vm(void) { return __atomic_load_n(&rings_vm, __ATOMIC_RELAXED); }

static void *map(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return NULL;
  __atomic_add_fetch(&rings_vm, bytes, __ATOMIC_RELAXED);
  return p;
}

int spy_quarantine_init(void) {
  shared.e = map(sizeof *shared.e * SHARED_CAP);
  shared.cap = SHARED_CAP;
  slots = map(sizeof *slots * SLOTS);
  return shared.e && slots ? 0 : -1;
}

/* Each ring's share of the bytes: the threads owning rings split them. */
static uint64_t share(void) {
  uint32_t n = __atomic_load_n(&owners, __ATOMIC_RELAXED);
  return spy_opt.check_quarantine / (n ? n : 1);
}

/* fork: every thread's ring, then the shared one; the child keeps their
 * entries (quarantined blocks of its heap), its only thread its own slot. */
void spy_quarantine_lock(void) {
  for (unsigned i = 0; i < SLOTS; i++) spy_lock(&slots[i].lock);
  spy_lock(&shared.lock);
}
void spy_quarantine_unlock(void) {
  spy_unlock(&shared.lock);
  for (unsigned i = 0; i < SLOTS; i++) spy_unlock(&slots[i].lock);
}
void spy_quarantine_reset_lock(void) {
  shared.lock = 0;
  if (!slots) return;
  for (unsigned i = 0; i < SLOTS; i++) {
    slots[i].lock = 0;
    if (&slots[i] != mine) slots[i].owned = 0;
  }
  owners = mine_state == 1;
}

/* ---- one ring (under its lock) ----------------------------------------- */

static uint64_t q_cost(const struct spy_qent *e) { return e->size + e->front + SPY_RZ; }

/* cap is a power of two (SHARED_CAP, OWN_CAP): a mask, not a division */
static struct spy_qent *at(const struct qring *r, uint64_t k) { return &r->e[(r->head + k) & (r->cap - 1)]; }

static void push(struct qring *r, const struct spy_qent *e) {
  SPY_DEBUG_ASSERT(r->count < r->cap);   /* else the newest overwrites the oldest */
  *at(r, r->count) = *e;
  r->count++;
  r->bytes += q_cost(e);
}

static struct spy_qent pop(struct qring *r) {
  SPY_DEBUG_ASSERT(r->count > 0 && r->bytes >= q_cost(at(r, 0)));
  struct spy_qent *slot = at(r, 0), e = *slot;
  slot->user = 0;                 /* a stale pointer would look like a root to the leak scan */
  r->head = (r->head + 1) & (r->cap - 1);
  r->count--;
  r->bytes -= q_cost(&e);
  return e;
}

/* The entry holding user, newest first, or NULL. A linear walk: only
 * frees of pointers the live table does not know (double, invalid,
 * glibc's own blocks) ask, and an index would cost every free two cache
 * misses. */
static struct spy_qent *find_in(const struct qring *r, uint64_t user) {
  for (uint64_t k = r->count; k-- > 0;)
    if (at(r, k)->user == user) return at(r, k);
  return NULL;
}

static int full_for(const struct qring *r, uint64_t cost, uint64_t limit) {
  return r->count == r->cap || (r->count && r->bytes + cost > limit);
}

/* Evicted blocks left the cache long ago: ask for the lines
 * spy_check_release reads (zones and poison, at most 8 lines a block). */
static void prefetch_block(const struct spy_qent *e) {
  const char *lo = (const char *)(uintptr_t)(e->user - e->front);
  const char *hi = (const char *)(uintptr_t)(e->user + SPY_POISONED(e->size) + SPY_RZ);
  for (unsigned n = 0; lo < hi && n < 8; lo += 64, n++) spy_prefetch(lo);
  spy_prefetch(hi - 1);
}

/* The evicted blocks' lines all at once, so their misses overlap instead
 * of queueing one by one (mostly in cache already: spy_quarantine_put
 * asked for the next ones a free ahead). */
static void release_out(const struct spy_qent *out, unsigned nout, uint32_t here, const char *why) {
  // cppcheck-suppress uninitvar
  for (unsigned k = 0; k < nout; k++) prefetch_block(&out[k]);   /* filled by the caller's loop */
  for (unsigned k = 0; k < nout; k++) spy_check_release(&out[k], here, why);
}

/* ---- the rings --------------------------------------------------------- */

static struct qring *ring_mine(void) {
  if (SPY_LIKELY(mine_state == 1)) return mine;
  if (mine_state == 2) return &shared;
  mine_state = 2;
  for (unsigned i = 0; i < SLOTS; i++) {
    uint32_t free_slot = 0;
    if (!__atomic_compare_exchange_n(&slots[i].owned, &free_slot, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      continue;
    if (!slots[i].e) {            /* a slot never owned before: its ring */
      struct spy_qent *e = map(sizeof *e * OWN_CAP);
      if (!e) { __atomic_store_n(&slots[i].owned, 0, __ATOMIC_RELEASE); break; }
      spy_lock(&slots[i].lock);
      slots[i].cap = OWN_CAP;
      __atomic_store_n(&slots[i].e, e, __ATOMIC_RELEASE);
      spy_unlock(&slots[i].lock);
    }
    __atomic_add_fetch(&owners, 1, __ATOMIC_RELAXED);
    mine = &slots[i];
    mine_state = 1;
    return mine;
  }
  return &shared;
}

/* A freed, poisoned block joins its thread's ring; the ring's oldest
 * leave while it holds more than its share (a block larger than the
 * share is not held at all). The two blocks next in line are asked for
 * now, a free ahead of their eviction: their lines arrive meanwhile
 * (python's churn under --check: the poison check went from 9.4% of the
 * run to 2.3%, with release_out from 11.1% to 3.0%). */
#define NEXT_OUT 2
void spy_quarantine_put(const struct spy_qent *e) {
  uint64_t cost = q_cost(e);
  struct qring *r = ring_mine();
  uint64_t limit = share();
  if (cost > limit) { spy_check_release(e, e->free_stack, "free"); return; }
  /* alone in the process, nobody can look at a thread's own ring */
  int locked = r == &shared || !__libc_single_threaded;
  for (;;) {
    struct spy_qent out[16];
    unsigned nout = 0, done = 0;
    struct spy_qent next[NEXT_OUT];
    unsigned nnext = 0;
    if (locked) spy_lock(&r->lock);
    while (full_for(r, cost, limit) && nout < 16) out[nout++] = pop(r);
    if (!full_for(r, cost, limit)) { push(r, e); done = 1; }
    for (; done && nnext < NEXT_OUT && nnext < r->count; nnext++) next[nnext] = *at(r, nnext);
    if (locked) spy_unlock(&r->lock);
    release_out(out, nout, e->free_stack, "quarantine eviction");
    for (unsigned k = 0; k < nnext; k++) prefetch_block(&next[k]);
    if (done) return;
  }
}

/* Moves r's blocks, oldest first, to the shared ring (a thread leaving,
 * or exit and leak checks gathering everything before a walk). */
static void to_shared(struct qring *r, uint32_t here) {
  for (;;) {
    struct spy_qent out[16];
    unsigned nout = 0;
    uint64_t limit = share();
    spy_lock(&r->lock);
    spy_lock(&shared.lock);
    while (r->count && nout < 16) {
      if (full_for(&shared, q_cost(at(r, 0)), limit)) { out[nout++] = pop(&shared); continue; }
      struct spy_qent e = pop(r);
      push(&shared, &e);
    }
    uint64_t left = r->count;
    spy_unlock(&shared.lock);
    spy_unlock(&r->lock);
    release_out(out, nout, here, "quarantine eviction");
    if (!left) return;
  }
}

/* The thread is leaving (its pthread key's destructor): its ring goes to
 * the shared one and its slot back to the registry; later frees go to
 * the shared ring. */
void spy_quarantine_thread_exit(void) {
  if (mine_state != 1) return;
  struct qring *r = mine;
  spy_busy++;
  to_shared(r, spy_stack_capture());
  mine = NULL;
  mine_state = 2;
  __atomic_sub_fetch(&owners, 1, __ATOMIC_RELAXED);
  __atomic_store_n(&r->owned, 0, __ATOMIC_RELEASE);
  spy_busy--;
}

/* ---- lookups ----------------------------------------------------------- */

/* Every ring: an entry moves only from a thread's ring to the shared one,
 * holding both locks, so one quarantined when we start is seen. */
static struct qring *ring_at(unsigned i) { return i < SLOTS ? &slots[i] : &shared; }

int spy_quarantine_find(uint64_t user, struct spy_qent *out) {
  for (unsigned i = 0; i <= SLOTS; i++) {
    struct qring *r = ring_at(i);
    if (!__atomic_load_n(&r->count, __ATOMIC_ACQUIRE)) continue;
    spy_lock(&r->lock);
    const struct spy_qent *e = find_in(r, user);
    if (e) *out = *e;
    spy_unlock(&r->lock);
    if (e) return 1;
  }
  return 0;
}

/* Exit (release: every block verified and given back) or a leak check
 * (every block verified where it is). */
void spy_quarantine_verify_all(int release) {
  uint32_t here = spy_stack_capture();
  const char *why = release ? "exit" : "leak check";
  for (unsigned i = 0; i <= SLOTS; i++) {
    struct qring *r = ring_at(i);
    if (release) {
      for (;;) {
        struct spy_qent out[64];
        unsigned nout = 0;
        spy_lock(&r->lock);
        while (r->count && nout < 64) out[nout++] = pop(r);
        spy_unlock(&r->lock);
        if (!nout) break;
        release_out(out, nout, here, why);
      }
      continue;
    }
    /* in place: bad blocks are copied out, reported, poisoned again */
    for (uint64_t from = 0;;) {
      struct spy_qent bad[16];
      unsigned nbad = 0;
      spy_lock(&r->lock);
      for (; from < r->count && nbad < 16; from++) {
        const struct spy_qent *e = at(r, from);
        long last;
        if (spy_check_scan((const unsigned char *)(uintptr_t)e->user, SPY_POISONED(e->size),
                           SPY_FILL_FREED, &last) >= 0)
          bad[nbad++] = *e;
      }
      spy_unlock(&r->lock);
      if (!nbad) break;
      for (unsigned k = 0; k < nbad; k++) spy_check_poison(&bad[k], here, why);
      spy_lock(&r->lock);
      for (unsigned k = 0; k < nbad; k++)
        if (find_in(r, bad[k].user))
          memset((void *)(uintptr_t)bad[k].user, SPY_FILL_FREED, SPY_POISONED(bad[k].size));
      spy_unlock(&r->lock);
    }
  }
}

/* The crash path: a quarantined block holding addr (no lock: the holder
 * may be the crashed thread; a racing eviction can only hide a block). */
int spy_quarantine_find_freed(uint64_t addr, struct spy_near *out) {
  for (unsigned i = 0; i <= SLOTS; i++) {
    const struct qring *r = ring_at(i);
    if (!r->e) continue;
    for (uint64_t k = 0; k < r->count && k < r->cap; k++) {
      const struct spy_qent *e = at(r, k);
      if (e->user && addr >= e->user - e->front && addr < e->user + e->size + SPY_RZ) {
        *out = (struct spy_near){ e->user, e->size, e->alloc_stack, e->free_stack, 1 };
        return 1;
      }
    }
  }
  return 0;
}
