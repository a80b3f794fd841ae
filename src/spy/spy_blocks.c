/*
 * spy_blocks.c: the table of live blocks, kept in the profile file.
 *
 * Sharded by pointer hash (HSP_SHARDS), each shard an open-addressing
 * table with linear probing and backward-shift deletion, guarded by its
 * own lock, so threads freeing and allocating different blocks rarely
 * meet. A table is at most half full: each lookup is a cache miss, and
 * runs stay short enough that the two lines spy_block_prefetch loads
 * mostly hold them (python's churn and perl 2-3% faster than at 70%).
 * The price: 48 to 96 bytes of table a live block (35-70% full: 34 to
 * 69), none measured on the bench's workloads, whose tables kept their
 * size, nor on a million live blocks (bench/scan1m: 185 MB peak, was 192).
 * Each shard's per-family counters change under the same lock as its
 * table: a profile read after any death sees counters that agree with
 * the table, minus at most one operation per thread.
 *
 * Growing a shard builds a new table in the arena and publishes it with one
 * store; the old table is abandoned in the file (a bounded waste: at most
 * the size of the live one).
 *
 * Each free also tells the block's stack whether it was a temporary (the
 * thread's last allocation, nothing allocated or freed in between).
 *
 * In exact mode and under --check most blocks are recorded beside
 * themselves instead (spy_records.c), with the counters moved here as
 * for a table entry (spy_blocks_count_in/out); take and lookup ask there
 * first, and whatever reads the table whole first moves them in
 * (spy_blocks_flush_locked: leak scans, checkpoints, the end). The table
 * keeps the rest: exact mode's over-aligned blocks, a signal handler's,
 * and every block of --sample, --trace, --guard and attach.
 *
 * Under --sample the table holds the sampled blocks only, and every
 * counter it feeds gets a block's weight (profile/hsp_sample.h) instead of
 * its size and 1; it also keeps spy_sample.h's filter of their addresses.
 *
 * Must never: allocate from the heap, unwind, or call out while a shard
 * lock is held (the arena is the only callee, and its lock is a leaf).
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "profile/hsp_pending.h"
#include "profile/hsp_sample.h"
#include "spy.h"
#include "spy_check.h"
#include "spy_sample.h"
#include "spy_scan.h"
#include "spy_usdt.h"

/* Slots per shard to begin with: --sample's table holds only the sampled
 * blocks, a few thousand at most, and a smaller one spares a short run
 * the profile's growth (fallocate, faults). */
#define INITIAL_CAPACITY 1024
#define INITIAL_CAPACITY_SAMPLED 64

static struct hsp_shard *shards;

/* This thread's in-use change not yet added to the global count; a
 * thread-specific key's destructor adds what is left when the thread
 * exits, so short-lived threads do not make the global count drift. */
static __thread int64_t unflushed SPY_TLS;
static __thread int flush_registered SPY_TLS;
static pthread_key_t flush_key;
static int flush_key_ok;

static void flush_at_thread_exit(void *unused) {
  (void)unused;
  if (spy_hdr) spy_stacks_flush_counts();
  spy_check_thread_exit();
  if (unflushed && spy_hdr)
    __atomic_add_fetch(&spy_hdr->live.in_use_bytes, unflushed, __ATOMIC_RELAXED);
  unflushed = 0;
}


/* glibc clears this before a second thread starts and never sets it again
 * in this process: while it is set, no one can race us and the shard
 * locks (an atomic exchange each) are skipped. Signal handlers cannot
 * race either: nested calls pass through (spy_busy). */
extern char __libc_single_threaded;

static inline int shard_lock(struct hsp_shard *s) {
  if (__libc_single_threaded) return 0;
  spy_lock(&s->lock);
  return 1;
}
static inline void shard_unlock(struct hsp_shard *s, int locked) {
  if (locked) spy_unlock(&s->lock);
}

static inline uint64_t mix(uint64_t p) {
  p ^= p >> 33;
  p *= 0xff51afd7ed558ccdull;
  p ^= p >> 33;
  return p;
}
/* Shard by 64 MiB region (glibc's per-thread heaps are 64 MiB aligned):
 * threads allocating from their own arenas then rarely share a shard's
 * cache lines. */
static inline struct hsp_shard *shard_of(uint64_t p) {
  return &shards[mix(p >> 26) & (HSP_SHARDS - 1)];
}
static inline uint64_t home_slot(uint64_t h, uint64_t mask) {
  return h & mask;
}
static inline struct hsp_block *table_of(struct hsp_shard *s) {
  return spy_arena_at(s->table_off);    /* every shard has its table from spy_blocks_init */
}

void spy_blocks_init(void) {
  shards = spy_arena_ptr(spy_hdr->shards_off);
  spy_sample_init();
  flush_key_ok = pthread_key_create(&flush_key, flush_at_thread_exit) == 0;
  uint64_t cap = spy_sampling ? INITIAL_CAPACITY_SAMPLED : INITIAL_CAPACITY;
  for (int i = 0; i < HSP_SHARDS; i++) {
    uint64_t off;
    if (!spy_arena_alloc(cap * sizeof(struct hsp_block), &off))
      return;
    shards[i].capacity = cap;
    shards[i].table_off = off;
  }
}

/* Called with s->lock held. Returns 0 if the arena is exhausted (the
 * table then stays as it is and keeps working, only fuller). */
static int shard_grow(struct hsp_shard *s) {
  uint64_t ncap = s->capacity * 2, off;
  /* home_slot masks with capacity - 1; the copy below needs a free slot */
  SPY_ASSERT((ncap & (ncap - 1)) == 0 && s->count < ncap);
  struct hsp_block *nt = spy_arena_alloc(ncap * sizeof *nt, &off);
  if (!nt) return 0;
  struct hsp_block *ot = table_of(s);
  uint64_t moved = 0;
  for (uint64_t i = 0; i < s->capacity; i++) {
    if (!ot[i].ptr) continue;
    uint64_t j = home_slot(mix(ot[i].ptr), ncap - 1);
    while (nt[j].ptr) j = (j + 1) & (ncap - 1);
    nt[j] = ot[i];
    moved++;
  }
  SPY_DEBUG_ASSERT(moved == s->count);   /* the count is the table's occupancy */
  uint64_t old_off = s->table_off, old_cap = s->capacity;
  __atomic_store_n(&s->table_off, off, __ATOMIC_RELEASE);
  s->capacity = ncap;
  spy_arena_release(old_off, old_cap * sizeof *ot);
  return 1;
}

/* Track in-use bytes and the peak. The global counter is touched once per
 * HSP_PEAK_SLACK bytes of change per thread, not on every call. */
static int64_t note_in_use(int64_t delta) {
  if (SPY_UNLIKELY(!flush_registered) && !__libc_single_threaded && flush_key_ok) {
    flush_registered = 1;              /* a key below 32: no allocation */
    spy_internal++;
    pthread_setspecific(flush_key, (void *)1);
    spy_internal--;
    spy_thread_register();             /* for threads_at_exit, once */
  }
  int64_t d = unflushed + delta;
  int64_t now;
  if (d > HSP_PEAK_SLACK || d < -HSP_PEAK_SLACK) {
    spy_stacks_flush_live();
    now = __atomic_add_fetch(&spy_hdr->live.in_use_bytes, d, __ATOMIC_RELAXED);
    d = 0;
  } else {
    now = __atomic_load_n(&spy_hdr->live.in_use_bytes, __ATOMIC_RELAXED) + d;
  }
  unflushed = d;
  if (delta <= 0) return now;
  if (now > 0) spy_peak_note(now);
  uint64_t peak = __atomic_load_n(&spy_hdr->live.peak_bytes, __ATOMIC_RELAXED);
  while (now > 0 && (uint64_t)now > peak) {
    if (__atomic_compare_exchange_n(&spy_hdr->live.peak_bytes, &peak, (uint64_t)now, 1,
                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
      spy_hdr->live.peak_t_ms = spy_now_ms();
      break;
    }
  }
  return now;
}

int64_t spy_in_use_flush(void) {
  spy_stacks_flush_live();
  int64_t now = __atomic_add_fetch(&spy_hdr->live.in_use_bytes, unflushed, __ATOMIC_RELAXED);
  unflushed = 0;
  return now;
}

void spy_block_prefetch(const void *ptr) {
  uint64_t p = (uint64_t)(uintptr_t)ptr;
  struct hsp_shard *s = shard_of(p);
  const struct hsp_block *t = table_of(s);
  const struct hsp_block *b = &t[home_slot(mix(p), s->capacity - 1)];
  spy_prefetch(b);
  spy_prefetch((const char *)b + 64);   /* where a probe or a delete's shift goes on */
}

int spy_single_threaded(void) { return __libc_single_threaded; }

int64_t spy_in_use_estimate(void) {
  return __atomic_load_n(&spy_hdr->live.in_use_bytes, __ATOMIC_RELAXED) + unflushed;
}

/* A single-threaded free's table removal, and a single-threaded
 * allocation's entry (exact mode), in a table too big for the cache (see
 * set_pending), are left pending, in a queue of up to
 * HSP_PENDING_MAX operations applied oldest first, by which time the
 * slot's cache line (prefetched when the block was seen) has arrived: the
 * call itself never waits for it, nor does the next free of a burst
 * (python's churn: 9% less CPU with one pending operation, 6-8% less
 * again with 32). Every other table operation starts by completing them
 * all, so the order of operations is kept (free(p) then malloc returning
 * p works). pthread_create completes them first: no other thread can be
 * handed an address meanwhile. The queue is the profile header's (struct
 * hsp_pending_ring), where readers replay it (profile/hsp_pending.h): a
 * profile read from outside or after SIGKILL misses nothing. An
 * allocation keeps the time it was made.
 *
 * What the queue holds is not in the in-use figure yet, which watchers
 * read while the program runs (--snapshot-on, the timeline): it holds
 * at most PENDING_BYTES (a free counts its glibc chunk), and a bigger
 * operation is applied at once, so a program that makes a few big
 * allocations and sleeps is seen at once. */
#define PENDING_BYTES (32u << 10)
__thread uint64_t spy_trace_cut SPY_TLS;

static void finish_pending(void);
static void block_add_at(void *ptr, size_t size, unsigned family, uint32_t stack, uint32_t now);
static void add_now(void *ptr, size_t size, unsigned family, uint32_t stack, uint32_t now);
static int take_now(void *ptr, struct hsp_block *out);

/* Only the one thread of a single-threaded process changes the ring. */
static inline int pending(void) {
  const struct hsp_pending_ring *r = &spy_hdr->pending;
  return r->head != r->tail;
}
static uint64_t pending_bytes;          /* the queued operations' sizes, summed */

/* The oldest pending operation into the table; the table has it before
 * head moves past it (a reader in between replays it over a table that
 * may have it already, which the replay allows for). */
static void apply_oldest(void) {
  struct hsp_pending_ring *r = &spy_hdr->pending;
  unsigned i = r->head % HSP_PENDING_MAX;
  const struct hsp_pending *op = &r->op[i];
  struct hsp_block b = op->block;
  if (op->kind == HSP_PENDING_ADD)
    add_now((void *)(uintptr_t)b.ptr, HSP_BLOCK_SIZE(&b), HSP_BLOCK_FAMILY(&b), b.stack, b.t_ms);
  else
    take_now((void *)(uintptr_t)b.ptr, &(struct hsp_block){ 0 });
  pending_bytes -= HSP_BLOCK_SIZE(&b);
  __atomic_store_n(&r->head, r->head + 1, __ATOMIC_RELEASE);
}

/* Queues an operation; 0 if it is not to wait (the queue is then empty:
 * the caller applies it at once): its block is too big, or its shard's
 * table has fewer than spy_opt.queue_min_slots slots (16,384 of 24 bytes:
 * 384 KiB). Such a table stays in cache, waiting buys nothing, and the
 * queue's own work costs (make bench-hotpath's pair: 60.2 ns queued, 51.6
 * ns at once; a one-thread stress 10% of CPU): sqlite's table (2,048
 * slots) and the small heaps of most programs are applied at once; cc1's
 * and perl's (32,768) and python's (262,144) queue. A free's size is its
 * glibc chunk's: what it counts against PENDING_BYTES (readers take a
 * freed block's size from the table). */
static int set_pending(uint64_t p, uint64_t size_fam, uint32_t stack, uint32_t now,
                       uint32_t kind) {
  struct hsp_pending_ring *r = &spy_hdr->pending;
  uint64_t bytes = size_fam >> 8;
  if (bytes > PENDING_BYTES || shard_of(p)->capacity < spy_opt.queue_min_slots) {
    if (pending()) finish_pending();   /* in order: the in-use count and its peak stay exact */
    return 0;
  }
  while (pending() && (r->tail - r->head >= HSP_PENDING_MAX || pending_bytes + bytes > PENDING_BYTES))
    apply_oldest();
  unsigned i = r->tail % HSP_PENDING_MAX;
  struct hsp_pending *op = &r->op[i];
  op->block.ptr = p;
  op->block.size_fam = size_fam;
  op->block.stack = stack;
  op->block.t_ms = now;
  op->kind = kind;
  pending_bytes += bytes;
  __atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
  return 1;
}

void spy_block_remove_later(void *ptr, size_t chunk) {
  if (!set_pending((uint64_t)(uintptr_t)ptr, (uint64_t)chunk << 8, 0, 0, HSP_PENDING_FREE))
    take_now(ptr, &(struct hsp_block){ 0 });
}

void spy_block_add_soon(void *ptr, size_t size, unsigned family, uint32_t stack) {
  uint32_t now = spy_now_ms();
  if (!__libc_single_threaded || spy_trace_on || spy_sampling ||
      !set_pending((uint64_t)(uintptr_t)ptr, (uint64_t)size << 8 | family, stack, now,
                   HSP_PENDING_ADD))
    block_add_at(ptr, size, family, stack, now);
}

void spy_blocks_settle(void) {
  if (pending()) finish_pending();
}

/* This thread's last allocation, for temporaries (spy_stack_uncount):
 * cleared by its next free of a known block. The key is kept inverted
 * (never 0 for a block): the leak scan reads TLS, and a plain copy of
 * the pointer would keep the block "reachable". */
static __thread struct { uint64_t inv_key, size; uint32_t stack; } last_alloc
    SPY_TLS;
static inline void note_last_alloc(uint64_t p, uint64_t size, uint32_t stack) {
  last_alloc.inv_key = ~p;
  last_alloc.size = size;
  last_alloc.stack = stack;
}
/* The free of p (size bytes, from stack): was it a temporary? Clears the
 * thread's last allocation either way. */
static inline unsigned temporary_of(uint64_t p, uint32_t stack, uint64_t size) {
  unsigned t = 0;
  if (last_alloc.inv_key == ~p) t = SPY_TEMPORARY;
  else if (last_alloc.inv_key && last_alloc.stack == stack && last_alloc.size == size)
    t = SPY_TEMPORARY_ALIKE;
  last_alloc.inv_key = 0;
  return t;
}

void spy_block_add(void *ptr, size_t size, unsigned family, uint32_t stack) {
  block_add_at(ptr, size, family, stack, spy_now_ms());
}

static void block_add_at(void *ptr, size_t size, unsigned family, uint32_t stack, uint32_t now) {
  if (pending()) finish_pending();
  add_now(ptr, size, family, stack, now);
}

static void add_now(void *ptr, size_t size, unsigned family, uint32_t stack, uint32_t now) {
  uint64_t p = (uint64_t)(uintptr_t)ptr, h = mix(p);
  struct hsp_shard *s = shard_of(p);
  struct hsp_weight w = hsp_sample_weigh(spy_sampling, p, size);
  spy_stack_count(stack, w.bytes, w.blocks);
  int locked = shard_lock(s);
  if ((s->count + 1) * 2 > s->capacity && !shard_grow(s) &&
      s->count + 1 >= s->capacity) {
    shard_unlock(s, locked);              /* full and cannot grow: drop */
    return;
  }
  uint64_t mask = s->capacity - 1, i = home_slot(h, mask);
  struct hsp_block *t = table_of(s);
  /* a free slot exists (the probe ends) and the mask is a power of two */
  SPY_DEBUG_ASSERT(s->count < s->capacity && (s->capacity & mask) == 0);
  while (t[i].ptr && t[i].ptr != p) i = (i + 1) & mask;
  uint32_t missed_stack = 0;
  struct hsp_weight missed_w = { 0, 0 };
  struct hsp_block missed = { 0 };
  uint64_t missed_seq = 0;
  if (t[i].ptr == p) {                 /* a block we missed the free of */
    if (spy_trace_on) { missed = t[i]; missed_seq = spy_trace_next_seq(); }
    struct hsp_family_counts *of = &s->fam[HSP_BLOCK_FAMILY(&t[i])];
    missed_w = hsp_sample_weigh(spy_sampling, p, HSP_BLOCK_SIZE(&t[i]));
    missed_stack = t[i].stack;
    of->in_use_bytes -= missed_w.bytes;
    of->in_use_blocks -= missed_w.blocks;
    s->count--;
  }
  t[i].size_fam = (uint64_t)size << 8 | family;
  t[i].stack = stack;
  t[i].t_ms = now;
  __atomic_store_n(&t[i].ptr, p, __ATOMIC_RELEASE);
  s->count++;
  struct hsp_family_counts *f = &s->fam[family];
  f->allocs += w.blocks;
  f->bytes_allocated += w.bytes;
  f->in_use_bytes += w.bytes;
  f->in_use_blocks += w.blocks;
  uint64_t seq = spy_trace_on ? spy_trace_next_seq() : 0;
  shard_unlock(s, locked);
  if (!(p & HSP_PTR_CUSTOM)) {
    if (SPY_UNLIKELY(missed_w.blocks)) spy_usdt_free(p);
    spy_usdt_alloc(p, size, w.bytes);
  }
  if (spy_sampling && !missed_w.blocks) spy_sample_mark(p);
  if (SPY_UNLIKELY(missed_stack)) spy_stack_uncount(missed_stack, missed_w.bytes, missed_w.blocks, 0);
  note_last_alloc(p, size, stack);
  if (spy_trace_on) {
    if (missed.ptr) spy_trace_free(missed_seq, &missed, 0);
    spy_trace_alloc(seq, p, size, family, stack);
  }
  int64_t heap = note_in_use((int64_t)w.bytes - (int64_t)missed_w.bytes);
  if (SPY_UNLIKELY(now >= spy_timeline_next)) spy_timeline_tick_slow(now, heap, 0);
}

/* Removes slot i of a table with the given mask (backward shift). */
static void table_delete(struct hsp_block *t, uint64_t mask, uint64_t i) {
  SPY_DEBUG_ASSERT(t[i].ptr != 0);        /* the hole starts at a live slot */
  uint64_t j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (!t[j].ptr) break;
    uint64_t k = home_slot(mix(t[j].ptr), mask);
    /* t[j] may move to the hole at i unless its home lies in (i, j] */
    int stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    t[i] = t[j];
    i = j;
  }
  __atomic_store_n(&t[i].ptr, 0, __ATOMIC_RELEASE);
}

int spy_block_take(void *ptr, struct hsp_block *out) {
  if (spy_cb_used && spy_cb_take((uint64_t)(uintptr_t)ptr, out)) return 1;
  if (pending()) finish_pending();
  return take_now(ptr, out);
}

static int take_now(void *ptr, struct hsp_block *out) {
  uint64_t p = (uint64_t)(uintptr_t)ptr, h = mix(p);
  struct hsp_shard *s = shard_of(p);
  int locked = shard_lock(s);
  uint64_t mask = s->capacity - 1, i = home_slot(h, mask);
  struct hsp_block *t = table_of(s);
  while (t[i].ptr && t[i].ptr != p) i = (i + 1) & mask;
  if (!t[i].ptr) {
    shard_unlock(s, locked);
    return 0;
  }
  *out = t[i];
  uint64_t size = HSP_BLOCK_SIZE(&t[i]);
  struct hsp_weight w = hsp_sample_weigh(spy_sampling, p, size);
  struct hsp_family_counts *f = &s->fam[HSP_BLOCK_FAMILY(&t[i])];
  SPY_DEBUG_ASSERT(s->count > 0);         /* a block found is a block counted */
  table_delete(t, mask, i);
  s->count--;
  f->frees += w.blocks;
  f->in_use_bytes -= w.bytes;
  f->in_use_blocks -= w.blocks;
  uint64_t seq = spy_trace_on ? spy_trace_next_seq() : 0;
  shard_unlock(s, locked);
  if (!(p & HSP_PTR_CUSTOM)) spy_usdt_free(p);
  unsigned temporary = temporary_of(p, out->stack, size);
  if (spy_sampling) spy_sample_unmark(p);
  spy_stack_uncount(out->stack, w.bytes, w.blocks, temporary);
  if (spy_trace_on) spy_trace_free(seq, out, 0);
  note_in_use(-(int64_t)w.bytes);
  return 1;
}

int spy_block_remove(void *ptr, size_t *size, unsigned *family) {
  struct hsp_block b;
  if (!spy_block_take(ptr, &b)) return 0;
  if (size) *size = HSP_BLOCK_SIZE(&b);
  if (family) *family = HSP_BLOCK_FAMILY(&b);
  return 1;
}

/* b into a free slot of s (the lock held; one is free), h its hash; the
 * family counters are the caller's to move. */
static void place(struct hsp_shard *s, const struct hsp_block *b, uint64_t h) {
  uint64_t mask = s->capacity - 1, i = home_slot(h, mask);
  struct hsp_block *t = table_of(s);
  while (t[i].ptr) i = (i + 1) & mask;
  t[i].size_fam = b->size_fam;
  t[i].stack = b->stack;
  t[i].t_ms = b->t_ms;
  __atomic_store_n(&t[i].ptr, b->ptr, __ATOMIC_RELEASE);
  s->count++;
}

/* Undo spy_block_take (a realloc that failed keeps its old block). */
void spy_block_untake(const struct hsp_block *b) {
  uint64_t h = mix(b->ptr);
  struct hsp_shard *s = shard_of(b->ptr);
  int locked = shard_lock(s);
  if (s->count + 1 >= s->capacity) {    /* full and could not grow (spy_block_add) */
    shard_unlock(s, locked);            /* keep a free slot: probes must end */
    return;
  }
  place(s, b, h);
  struct hsp_weight w = hsp_sample_weigh(spy_sampling, b->ptr, HSP_BLOCK_SIZE(b));
  struct hsp_family_counts *f = &s->fam[HSP_BLOCK_FAMILY(b)];
  f->frees -= w.blocks;
  f->in_use_bytes += w.bytes;
  f->in_use_blocks += w.blocks;
  uint64_t seq = spy_trace_on ? spy_trace_next_seq() : 0;
  shard_unlock(s, locked);
  if (!(b->ptr & HSP_PTR_CUSTOM)) spy_usdt_alloc(b->ptr, HSP_BLOCK_SIZE(b), w.bytes);
  if (spy_sampling) spy_sample_mark(b->ptr);
  spy_stack_restore(b->stack, w.bytes, w.blocks);
  if (spy_trace_on) spy_trace_free(seq, b, 1);
  note_in_use((int64_t)w.bytes);
}

int spy_block_lookup(const void *ptr, struct hsp_block *out) {
  uint64_t p = (uint64_t)(uintptr_t)ptr, h = mix(p);
  if (spy_cb_used && spy_cb_lookup(p, out)) return 1;
  if (pending()) finish_pending();
  struct hsp_shard *s = shard_of(p);
  int locked = shard_lock(s);
  uint64_t mask = s->capacity - 1, i = home_slot(h, mask);
  struct hsp_block *t = table_of(s);
  while (t[i].ptr && t[i].ptr != p) i = (i + 1) & mask;
  int found = t[i].ptr != 0;
  if (found) *out = t[i];
  shard_unlock(s, locked);
  return found;
}

int spy_block_containing(uint64_t addr, struct hsp_block *out) {
  uint64_t p = addr & ~15ull;
  for (uint64_t back = 0; back <= 1024 && p >= back; back += 16)
    if (spy_block_lookup((void *)(uintptr_t)(p - back), out) &&
        out->ptr + HSP_BLOCK_SIZE(out) > addr)
      return 1;
  return 0;
}

/* Also called outside any interceptor (exit, detach, a fatal signal's
 * handler): spy_busy is raised so that a signal handler allocating
 * meanwhile queues its calls (spy_nested.c) instead of entering the
 * table, and the ring, half way through an operation. */
static void finish_pending(void) {
  spy_busy++;
  while (pending()) apply_oldest();
  pending_bytes = 0;                   /* nothing queued: nothing to drift */
  spy_busy--;
}

void spy_blocks_lock_all(void) {
  if (pending()) finish_pending();
  for (int i = 0; i < HSP_SHARDS; i++) spy_lock(&shards[i].lock);
}
void spy_blocks_unlock_all(void) {
  for (int i = HSP_SHARDS - 1; i >= 0; i--) spy_unlock(&shards[i].lock);
}

void spy_blocks_reset_locks(void) {
  for (int i = 0; i < HSP_SHARDS; i++) shards[i].lock = 0;
  spy_sample_reset_lock();             /* the filter of sampled blocks */
}

/* Try a lock for a bounded time: at exit or in a fatal signal handler the
 * holder may be this very thread, interrupted, or a thread that never
 * runs again. */
static int lock_bounded(uint32_t *l) {
  for (int spins = 0; spins < 100000; spins++) {
    if (!__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) return 1;
    __builtin_ia32_pause();
  }
  return 0;
}

int spy_blocks_lock_all_bounded(void) {
  for (int i = 0; i < HSP_SHARDS; i++) {
    if (lock_bounded(&shards[i].lock)) continue;
    while (--i >= 0) spy_unlock(&shards[i].lock);
    return 0;
  }
  return 1;
}

uint64_t spy_blocks_allocs(void) {
  uint64_t n = 0;
  for (int si = 0; si < HSP_SHARDS; si++)
    for (int f = 0; f < HSP_MAX_FAMILIES; f++)
      n += __atomic_load_n(&shards[si].fam[f].allocs, __ATOMIC_RELAXED);
  return n;
}

/* Capture the first bytes of one live block per stack, for the report's
 * hex dumps. Runs at exit and in fatal signal handlers: no heap, bounded
 * waits only. */
void spy_capture_samples(void) {
  if (pending() && !spy_busy) finish_pending();
  /* one sample per stack that holds a block: room for the fewer of the
   * stacks and the live blocks (counts read unlocked: a block added
   * meanwhile may go without a sample) */
  uint64_t nstacks = spy_hdr->stacks.count, live = 0;
  for (int si = 0; si < HSP_SHARDS; si++) live += __atomic_load_n(&shards[si].count, __ATOMIC_RELAXED);
  if (live < nstacks) nstacks = live;
  if (!nstacks) return;
  uint64_t bits = spy_hdr->arena_used / 8 + 1;
  size_t bmsize = (size_t)((bits + 7) / 8 + 4095) & ~(size_t)4095;
  uint8_t *seen = mmap(NULL, bmsize, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (seen == MAP_FAILED) return;
  uint64_t off;
  struct hsp_sample *out = spy_arena_alloc(nstacks * sizeof *out, &off);
  uint64_t n = 0;
  for (int si = 0; out && si < HSP_SHARDS; si++) {
    struct hsp_shard *s = &shards[si];
    if (!lock_bounded(&s->lock)) continue;
    struct hsp_block *t = table_of(s);
    for (uint64_t i = 0; i < s->capacity && n < nstacks; i++) {
      uint32_t st = t[i].stack;
      if (!t[i].ptr) continue;
      if (SPY_NEVER(st >= bits)) continue;  /* a stack id is an offset in the arena */
      if (seen[st / 8] & (1u << (st % 8))) continue;
      seen[st / 8] |= (uint8_t)(1u << (st % 8));
      uint64_t size = HSP_BLOCK_SIZE(&t[i]);
      out[n].ptr = t[i].ptr;
      out[n].size = size;
      out[n].stack = st;
      out[n].len = size < HSP_SAMPLE_BYTES ? (uint32_t)size : HSP_SAMPLE_BYTES;
      memcpy(out[n].data, (const void *)(uintptr_t)HSP_ADDR(t[i].ptr), out[n].len);
      n++;
    }
    spy_unlock(&s->lock);
  }
  munmap(seen, bmsize);
  if (!out) return;
  spy_hdr->samples_count = n;
  __atomic_store_n(&spy_hdr->samples_off, off, __ATOMIC_RELEASE);
  __atomic_or_fetch(&spy_hdr->flags, HSP_FLAG_SAMPLES, __ATOMIC_RELAXED);
}

/* Leak kind of the block at key from the last scan's verdicts. */
static unsigned verdict_of(uint64_t key) {
  uint64_t n = spy_hdr->verdicts_count, lo = 0, hi = n, addr = HSP_ADDR(key);
  const struct hsp_verdict *v = spy_arena_ptr(spy_hdr->verdicts_off);
  uint32_t custom = (key & HSP_PTR_CUSTOM) != 0;
  if (!v) return HSP_LEAK_UNCLASSIFIED;
  while (lo < hi) {
    uint64_t mid = (lo + hi) / 2;
    if (v[mid].ptr < addr) lo = mid + 1; else hi = mid;
  }
  for (; lo < n && v[lo].ptr == addr; lo++)
    if (v[lo].custom == custom) return v[lo].kind;
  return HSP_LEAK_UNCLASSIFIED;
}

/* The live heap by (stack, family), for a checkpoint: an open-addressing
 * tally in scratch memory, then copied into the profile. Holds every
 * shard lock while it reads, so the picture is one moment. */
uint64_t spy_blocks_snapshot(uint64_t *count_out, int with_kinds) {
  spy_blocks_lock_all();
  uint64_t off = spy_blocks_snapshot_locked(count_out, with_kinds);
  spy_blocks_unlock_all();
  return off;
}

uint64_t spy_blocks_snapshot_locked(uint64_t *count_out, int with_kinds) {
  uint64_t total = 0, cap = 64, off = 0;
  spy_blocks_flush_locked();
  *count_out = 0;
  spy_trace_cut = __atomic_load_n(&spy_trace_seq, __ATOMIC_RELAXED);
  for (int i = 0; i < HSP_SHARDS; i++) total += shards[i].count;
  while (cap < total * 2) cap *= 2;
  size_t bytes = cap * sizeof(struct hsp_site);
  struct hsp_site *tally = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (tally == MAP_FAILED) return 0;
  uint64_t n = 0;
  for (int si = 0; si < HSP_SHARDS; si++) {
    const struct hsp_block *t = table_of(&shards[si]);
    for (uint64_t i = 0; i < shards[si].capacity; i++) {
      if (!t[i].ptr) continue;
      unsigned kind = with_kinds ? verdict_of(t[i].ptr) : 0;
      uint64_t key = ((uint64_t)kind << 48 | (uint64_t)HSP_BLOCK_FAMILY(&t[i]) << 32 | t[i].stack) + 1;
      uint64_t j = mix(key) & (cap - 1);
      while (tally[j].blocks &&
             ((uint64_t)tally[j].kind << 48 | (uint64_t)tally[j].family << 32 | tally[j].stack) + 1 != key)
        j = (j + 1) & (cap - 1);
      if (!tally[j].blocks) {
        tally[j].stack = t[i].stack;
        tally[j].family = (uint16_t)HSP_BLOCK_FAMILY(&t[i]);
        tally[j].kind = (uint16_t)kind;
        n++;
      }
      struct hsp_weight wt = hsp_sample_weigh(spy_sampling, t[i].ptr, HSP_BLOCK_SIZE(&t[i]));
      tally[j].bytes += wt.bytes;
      tally[j].blocks += wt.blocks;
    }
  }
  struct hsp_site *out = spy_arena_alloc(n * sizeof *out + 8, &off);
  if (out) {
    uint64_t w = 0;
    for (uint64_t j = 0; j < cap; j++)
      if (tally[j].blocks) out[w++] = tally[j];
    *count_out = w;
  }
  munmap(tally, bytes);
  return out ? off : 0;
}

struct best_of {
  int64_t (*score)(const struct hsp_block *, void *);
  void *ctx;
  int64_t best;
  struct hsp_block *out;
};
static int best_record(const struct hsp_block *b, void *arg) {
  struct best_of *bo = arg;
  int64_t sc = bo->score(b, bo->ctx);
  if (sc >= 0 && (bo->best < 0 || sc < bo->best)) { bo->best = sc; *bo->out = *b; }
  return 0;
}

/* The crash path: every shard's table read without its lock (the holder
 * may be the crashed thread); a block being moved may be missed, never
 * invented: tables stay mapped after a resize. */
int spy_blocks_best(int64_t (*score)(const struct hsp_block *, void *), void *ctx,
                    struct hsp_block *out) {
  /* the queue, replayed, not applied: this may be a signal handler, even
   * one that interrupted the spy (the replay only reads, and an operation
   * half written is not in the ring yet). Only a single-threaded process
   * has a queue: static is safe (the stack may be a small alternate one). */
  static struct hsp_pending_replay r;
  int queued = pending();
  if (queued) hsp_pending_read(&spy_hdr->pending, &r);
  int64_t best = -1;
  for (int si = 0; si < HSP_SHARDS; si++) {
    struct hsp_shard *s = &shards[si];
    /* capacity first: a resize publishes the bigger table before it */
    uint64_t cap = __atomic_load_n(&s->capacity, __ATOMIC_ACQUIRE);
    struct hsp_block *t = spy_arena_ptr(__atomic_load_n(&s->table_off, __ATOMIC_ACQUIRE));
    for (uint64_t i = 0; t && i < cap; i++) {
      struct hsp_block b = t[i];
      if (!b.ptr || (b.ptr & HSP_PTR_CUSTOM) || (queued && hsp_pending_note(&r, &b))) continue;
      int64_t sc = score(&b, ctx);
      if (sc >= 0 && (best < 0 || sc < best)) { best = sc; *out = b; }
    }
  }
  if (queued) hsp_pending_run(&r, NULL);
  for (unsigned k = 0; queued && k < r.n; k++) {
    if (r.home[k] != k || !r.live[k] || (r.blk[k].ptr & HSP_PTR_CUSTOM)) continue;
    int64_t sc = score(&r.blk[k], ctx);
    if (sc >= 0 && (best < 0 || sc < best)) { best = sc; *out = r.blk[k]; }
  }
  if (spy_cb_used) {                   /* --check's recorded blocks */
    struct best_of bo = { score, ctx, best, out };
    spy_cb_each(best_record, &bo, 0);
    best = bo.best;
  }
  return best >= 0;
}

/* ---- blocks recorded outside the table (spy_records.c) ----------- */

static int insert_locked(const struct hsp_block *b, void *unused);

void spy_blocks_count_in(uint64_t p, uint64_t size, unsigned family, uint32_t stack, uint32_t now,
                         uint64_t *word, uint64_t bit) {
  struct hsp_shard *s = shard_of(p);
  spy_stack_count_recorded(stack, size);
  int locked = shard_lock(s);
  /* the record is written; closed meanwhile (exit: the last flush may be
   * over), the block goes where the readers look */
  struct hsp_block b = { p, size << 8 | family, stack, now };
  int listed = SPY_UNLIKELY(!spy_cb_on) && insert_locked(&b, NULL);
  if (!listed) __atomic_store_n(word, *word | bit, __ATOMIC_RELEASE);
  if (spy_cb_front) __atomic_store_n(word + 1, word[1] | bit, __ATOMIC_RELEASE);
  struct hsp_family_counts *f = &s->fam[family];
  f->allocs++;
  f->bytes_allocated += size;
  f->in_use_bytes += size;
  f->in_use_blocks++;
  shard_unlock(s, locked);
  spy_usdt_alloc(p, size, size);
  note_last_alloc(p, size, stack);
  int64_t heap = note_in_use((int64_t)size);
  if (SPY_UNLIKELY(now >= spy_timeline_next)) spy_timeline_tick_slow(now, heap, 0);
}

int spy_blocks_count_out(const struct hsp_block *b, uint64_t *word, uint64_t bit) {
  uint64_t p = b->ptr, size = HSP_BLOCK_SIZE(b);
  struct hsp_shard *s = shard_of(p);
  int locked = shard_lock(s);
  if (!(*word & bit)) {
    shard_unlock(s, locked);
    return 0;
  }
  __atomic_store_n(word, *word & ~bit, __ATOMIC_RELAXED);
  if (spy_cb_front) __atomic_store_n(word + 1, word[1] & ~bit, __ATOMIC_RELAXED);
  struct hsp_family_counts *f = &s->fam[HSP_BLOCK_FAMILY(b)];
  f->frees++;
  f->in_use_bytes -= size;
  f->in_use_blocks--;
  shard_unlock(s, locked);
  spy_usdt_free(p);
  unsigned temporary = temporary_of(p, b->stack, size);
  spy_stack_uncount_recorded(b->stack, size, temporary);
  note_in_use(-(int64_t)size);
  return 1;
}

/* Into its shard's table as it is (counted already), the lock held; 0 if
 * the table is full and cannot grow. */
static int insert_locked(const struct hsp_block *b, void *unused) {
  (void)unused;
  struct hsp_shard *s = shard_of(b->ptr);
  if ((s->count + 1) * 2 > s->capacity && !shard_grow(s) && s->count + 1 >= s->capacity)
    return 0;
  place(s, b, mix(b->ptr));
  return 1;
}

void spy_blocks_flush_locked(void) {
  if (spy_cb_used) spy_cb_each(insert_locked, NULL, 1);
}

void spy_blocks_flush_records(void) {
  if (!spy_cb_used || !spy_blocks_lock_all_bounded()) return;
  spy_blocks_flush_locked();
  if (!spy_cb_on) __atomic_or_fetch(&spy_hdr->flags, HSP_FLAG_RECORDS_LISTED, __ATOMIC_RELAXED);
  spy_blocks_unlock_all();
}
