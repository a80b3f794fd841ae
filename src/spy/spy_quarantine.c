/*
 * spy_quarantine.c: --check's quarantine, where freed blocks wait before
 * glibc gets them back. A FIFO ring of at most check_quarantine bytes
 * (default 16 MiB) and Q_CAP blocks; the oldest leave first, through
 * spy_check_release (spy_check.c), which verifies their poison and red
 * zones, reports, and frees them. It answers "was this pointer freed
 * already" (double frees), walks every held block at exit and at leak
 * checks, and names the freed block a crash hit.
 *
 * Threads do not serialize on the quarantine: each thread's frees gather
 * in a batch of its own (B_CAP entries, a slot of a registry in our own
 * mapping) handed to the ring under one q_lock per batch. An entry is
 * always in exactly one place a search sees (its batch or the ring: it
 * moves under both locks), so double frees are found wherever the first
 * free's entry sits; exit, leak checks and the crash path walk every
 * batch; a thread's batch is flushed at its exit
 * (spy_quarantine_thread_exit).
 * Lock order: a batch's lock, then q_lock.
 *
 * Must never: allocate; hold q_lock (or a batch's lock others wait on)
 * while unwinding, recording an error or calling spy_check_release /
 * spy_check_poison; free a block itself; leave a stale user pointer in a
 * slot it emptied (the leak scan would take it for a root).
 */
#include <string.h>
#include <sys/mman.h>

#include "spy.h"

extern char __libc_single_threaded;

#define Q_CAP (1u << 20)          /* quarantined blocks at most */
#define B_CAP 32                  /* entries a thread gathers per hand-over */
#define B_SLOTS 256               /* threads with a batch at once; the rest go direct */

static struct spy_qent *ring;     /* Q_CAP entries, FIFO from q_head */
static uint64_t q_head, q_count, q_bytes;
static uint32_t q_lock;

/* A thread's gathered frees. Only the owner appends; anyone holding lock
 * may move entries to the ring (a moved entry's user is zeroed, count is
 * reset once all are moved). */
struct batch { uint32_t lock, owned, count; uint64_t bytes; struct spy_qent e[B_CAP]; };
static struct batch *batches;     /* B_SLOTS */
static __thread struct batch *my_batch __attribute__((tls_model("initial-exec")));
static __thread int my_batch_state __attribute__((tls_model("initial-exec")));  /* 1 has one, 2 direct */

static void *map(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

int spy_quarantine_init(void) {
  ring = map(sizeof *ring * Q_CAP);
  batches = map(sizeof *batches * B_SLOTS);
  return ring && batches ? 0 : -1;
}

/* fork: every batch, then the ring; the child keeps the batches' entries
 * (quarantined blocks of its heap), its only thread keeps its own slot. */
void spy_quarantine_lock(void) {
  for (unsigned i = 0; i < B_SLOTS; i++) spy_lock(&batches[i].lock);
  spy_lock(&q_lock);
}
void spy_quarantine_unlock(void) {
  spy_unlock(&q_lock);
  for (unsigned i = 0; i < B_SLOTS; i++) spy_unlock(&batches[i].lock);
}
void spy_quarantine_reset_lock(void) {
  q_lock = 0;
  if (batches)
    for (unsigned i = 0; i < B_SLOTS; i++) {
      batches[i].lock = 0;
      if (&batches[i] != my_batch) batches[i].owned = 0;
    }
}

/* ---- the ring (under q_lock) ------------------------------------------- */

/* The ring slot holding user, newest first, or UINT64_MAX. A linear walk:
 * only frees of pointers the live table does not know (double, invalid,
 * glibc's own blocks) ask, and an index would cost every free two cache
 * misses. */
static uint64_t ring_find(uint64_t user) {
  for (uint64_t k = q_count; k-- > 0;) {
    uint64_t slot = (q_head + k) % Q_CAP;
    if (ring[slot].user == user) return slot;
  }
  return UINT64_MAX;
}

static struct spy_qent q_pop(void) {
  struct spy_qent e = ring[q_head];
  ring[q_head].user = 0;          /* a stale pointer would look like a root to the leak scan */
  q_head = (q_head + 1) % Q_CAP;
  q_count--;
  q_bytes -= e.size + e.front + SPY_RZ;
  return e;
}

/* Evicted blocks left the cache long ago: ask for the lines
 * spy_check_release reads (zones and poison, at most 8 lines a block) of
 * all of them at once, so their misses overlap instead of queueing one by
 * one. */
static void prefetch_out(const struct spy_qent *out, unsigned nout) {
  for (unsigned k = 0; k < nout; k++) {
    const char *lo = (const char *)(uintptr_t)(out[k].user - out[k].front);
    const char *hi = (const char *)(uintptr_t)(out[k].user + SPY_POISONED(out[k].size) + SPY_RZ);
    for (unsigned n = 0; lo < hi && n < 8; lo += 64, n++) __builtin_prefetch(lo);
    __builtin_prefetch(hi - 1);
  }
}

static uint64_t q_cost(const struct spy_qent *e) { return e->size + e->front + SPY_RZ; }

/* No thread's batch: the ring at once (the caller holds no lock). */
static void quarantine_direct(const struct spy_qent *e) {
  uint64_t cost = q_cost(e), limit = spy_opt.check_quarantine;
  for (;;) {
    struct spy_qent out[8];
    unsigned nout = 0;
    int done = 0;
    spy_lock(&q_lock);
    while (q_count && (q_count == Q_CAP || q_bytes + cost > limit) && nout < 8) out[nout++] = q_pop();
    if (q_count < Q_CAP && q_bytes + cost <= limit) {
      ring[(q_head + q_count) % Q_CAP] = *e;
      q_count++;
      q_bytes += cost;
      done = 1;
    }
    spy_unlock(&q_lock);
    prefetch_out(out, nout);
    for (unsigned k = 0; k < nout; k++) spy_check_release(&out[k], e->free_stack, "quarantine eviction");
    if (done) return;
  }
}

/* ---- the batches ------------------------------------------------------- */

/* Moves b's entries to the ring; b->lock held (locked) on entry and on
 * return, dropped only while evicted blocks are checked and given back
 * (their reports must not run under a lock others wait on). here: the
 * stack the evictions are reported at. */
static void batch_flush(struct batch *b, uint32_t here, int locked) {
  uint64_t limit = spy_opt.check_quarantine;
  for (;;) {
    struct spy_qent out[16];
    unsigned nout = 0, left = 0;
    spy_lock(&q_lock);
    for (uint32_t i = 0; i < b->count; i++) {
      struct spy_qent *e = &b->e[i];
      if (!e->user) continue;
      uint64_t cost = q_cost(e);
      while (q_count && (q_count == Q_CAP || q_bytes + cost > limit) && nout < 16) out[nout++] = q_pop();
      if (q_count == Q_CAP || q_bytes + cost > limit) { left = 1; break; }
      ring[(q_head + q_count) % Q_CAP] = *e;
      q_count++;
      q_bytes += cost;
      e->user = 0;               /* moved: no stale root, no second find */
    }
    spy_unlock(&q_lock);
    if (!left) { b->count = 0; b->bytes = 0; }
    if (!nout) return;
    if (locked) spy_unlock(&b->lock);
    prefetch_out(out, nout);
    for (unsigned k = 0; k < nout; k++) spy_check_release(&out[k], here, "quarantine eviction");
    if (locked) spy_lock(&b->lock);
    if (!left) return;
  }
}

static struct batch *batch_mine(void) {
  if (SPY_LIKELY(my_batch_state == 1)) return my_batch;
  if (my_batch_state == 2) return NULL;
  my_batch_state = 2;
  for (unsigned i = 0; i < B_SLOTS; i++) {
    uint32_t free_slot = 0;
    if (__atomic_compare_exchange_n(&batches[i].owned, &free_slot, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
      my_batch = &batches[i];
      my_batch_state = 1;
      break;
    }
  }
  return my_batch;
}

/* A freed, poisoned block joins the quarantine: this thread's batch,
 * the ring when the batch is full (or holds limit/64 bytes). */
void spy_quarantine_put(const struct spy_qent *e) {
  uint64_t cost = q_cost(e), limit = spy_opt.check_quarantine;
  if (cost > limit) { spy_check_release(e, e->free_stack, "free"); return; }
  struct batch *b = batch_mine();
  if (!b) { quarantine_direct(e); return; }
  int locked = !__libc_single_threaded;   /* alone: no one can look (spy_blocks.c) */
  if (locked) spy_lock(&b->lock);
  b->e[b->count] = *e;
  __atomic_store_n(&b->count, b->count + 1, __ATOMIC_RELEASE);
  b->bytes += cost;
  if (b->count == B_CAP || b->bytes >= limit / 64) batch_flush(b, e->free_stack, locked);
  if (locked) spy_unlock(&b->lock);
}

/* Every thread's batch into the ring (exit, leak checks). */
static void batch_flush_all(uint32_t here) {
  for (unsigned i = 0; i < B_SLOTS; i++) {
    struct batch *b = &batches[i];
    if (!__atomic_load_n(&b->count, __ATOMIC_ACQUIRE)) continue;
    spy_lock(&b->lock);
    batch_flush(b, here, 1);
    spy_unlock(&b->lock);
  }
}

/* The thread is leaving (its pthread key's destructor): its batch goes to
 * the ring and its slot back to the registry; later frees go direct. */
void spy_quarantine_thread_exit(void) {
  if (my_batch_state != 1) return;
  struct batch *b = my_batch;
  spy_busy++;
  spy_lock(&b->lock);
  batch_flush(b, spy_stack_capture(), 1);
  spy_unlock(&b->lock);
  my_batch = NULL;
  my_batch_state = 2;
  __atomic_store_n(&b->owned, 0, __ATOMIC_RELEASE);
  spy_busy--;
}

/* ---- lookups ----------------------------------------------------------- */

/* Batches first, then the ring: an entry only moves batch -> ring, so
 * one that is in either when we start is seen. */
int spy_quarantine_find(uint64_t user, struct spy_qent *out) {
  for (unsigned i = 0; i < B_SLOTS; i++) {
    struct batch *b = &batches[i];
    if (!__atomic_load_n(&b->count, __ATOMIC_ACQUIRE)) continue;
    int found = 0;
    spy_lock(&b->lock);
    for (uint32_t k = 0; k < b->count && !found; k++)
      if (b->e[k].user == user) { *out = b->e[k]; found = 1; }
    spy_unlock(&b->lock);
    if (found) return 1;
  }
  spy_lock(&q_lock);
  uint64_t i = ring_find(user);
  if (i != UINT64_MAX) *out = ring[i];
  spy_unlock(&q_lock);
  return i != UINT64_MAX;
}

/* Exit (release: every block verified and given back) or a leak check
 * (every block verified where it is). */
void spy_quarantine_verify_all(int release_all) {
  uint32_t here = spy_stack_capture();
  const char *at = release_all ? "exit" : "leak check";
  batch_flush_all(here);
  if (release_all) {
    for (;;) {
      struct spy_qent out[64];
      unsigned nout = 0;
      spy_lock(&q_lock);
      while (q_count && nout < 64) out[nout++] = q_pop();
      spy_unlock(&q_lock);
      for (unsigned k = 0; k < nout; k++) spy_check_release(&out[k], here, at);
      if (!nout) return;
    }
  }
  /* verify in place: bad blocks are copied out, re-poisoned, reported */
  for (uint64_t from = 0;;) {
    struct spy_qent bad[16];
    unsigned nbad = 0;
    spy_lock(&q_lock);
    for (; from < q_count && nbad < 16; from++) {
      struct spy_qent *e = &ring[(q_head + from) % Q_CAP];
      unsigned char *u = (unsigned char *)(uintptr_t)e->user;
      long last;
      if (spy_check_scan(u, SPY_POISONED(e->size), SPY_FILL_FREED, &last) < 0) continue;
      bad[nbad++] = *e;
    }
    spy_unlock(&q_lock);
    for (unsigned k = 0; k < nbad; k++) spy_check_poison(&bad[k], here, at);
    spy_lock(&q_lock);   /* still quarantined ones: poison again, once reported */
    for (unsigned k = 0; k < nbad; k++) {
      if (ring_find(bad[k].user) != UINT64_MAX)
        memset((void *)(uintptr_t)bad[k].user, SPY_FILL_FREED, SPY_POISONED(bad[k].size));
    }
    spy_unlock(&q_lock);
    if (!nbad) return;
  }
}

/* The crash path: a quarantined block holding addr (no lock: the holder
 * may be the crashed thread; a racing eviction can only hide a block). */
int spy_quarantine_find_freed(uint64_t addr, struct spy_near *out) {
  for (uint64_t k = 0; k < q_count && k < Q_CAP; k++) {
    const struct spy_qent *e = &ring[(q_head + k) % Q_CAP];
    if (addr >= e->user - e->front && addr < e->user + e->size + SPY_RZ) {
      *out = (struct spy_near){ e->user, e->size, e->alloc_stack, e->free_stack, 1 };
      return 1;
    }
  }
  for (unsigned i = 0; i < B_SLOTS; i++)
    for (uint32_t k = 0; k < batches[i].count && k < B_CAP; k++) {
      const struct spy_qent *e = &batches[i].e[k];
      if (e->user && addr >= e->user - e->front && addr < e->user + e->size + SPY_RZ) {
        *out = (struct spy_near){ e->user, e->size, e->alloc_stack, e->free_stack, 1 };
        return 1;
      }
    }
  return 0;
}
