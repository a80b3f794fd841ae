/*
 * spy_stacks.c: capture the call stack of an allocation (DWARF CFI, via
 * libunwind: Debian's binaries have no frame pointers) and deduplicate it
 * into the profile's stack table, so each distinct stack is stored once
 * and blocks refer to it by a 32-bit id. A stack's frames are a path in
 * the profile's tree of frame nodes (hsp_format.h), so a prefix shared by
 * many stacks is stored once.
 *
 * The hot path is lock-free: unwinding touches no spy lock, and a stack
 * already in the table is found by a lock-free probe (slots are published
 * with release stores after their record is complete; old tables stay
 * valid after a resize). Only a never-seen stack takes the insert lock,
 * and only it walks and adds frame nodes.
 *
 * Per-stack counters (allocations, bytes, what it holds now, temporaries)
 * are batched per thread (struct spy_hot, in spy_thread_mem); the in-use part is flushed whenever
 * the thread's share of the global in-use count is (spy_blocks.c), so the
 * peak copy (spy_peak.c) sees both agree.
 *
 * Must never: hold the insert lock while unwinding or scanning modules
 * (both take the dynamic loader's lock).
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <string.h>
#include <sys/mman.h>

#include "spy.h"
#include "spy_sample.h"

#define MAX_FRAMES 256
#define SKIP_MAX 8

/* The indexes (see hsp_format.h): each slot carries its record's hash
 * next to its id, so a probe only touches a record when the hash agrees. */
struct stack_table { uint64_t capacity; uint64_t slots[]; };
#define SLOT(hash, id) ((uint64_t)(hash) << 32 | (id))

static uint32_t insert_lock;
static uint64_t own_start, own_end;     /* this library's code */

extern const char __ehdr_start[];
extern const char etext[] __attribute__((visibility("hidden")));

/* The frame nodes' index, keyed by (parent, pc): the spy's own memory,
 * not the profile's (readers reach nodes by id, never by key). Probed and
 * grown only under the insert lock. */
static struct stack_table *frame_index;
static uint64_t frame_index_cap;        /* its capacity, read without the lock */
#define FRAME_INDEX_BYTES(cap) (8 + (cap) * 8)

static struct stack_table *frame_index_map(uint64_t cap) {
  struct stack_table *t = mmap(NULL, FRAME_INDEX_BYTES(cap), PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (t == MAP_FAILED) return NULL;
  t->capacity = cap;
  return t;
}

/* The index may be unmapped under a reader: its capacity is kept apart. */
uint64_t spy_stacks_resident(void) {
  uint64_t cap = __atomic_load_n(&frame_index_cap, __ATOMIC_RELAXED);
  return cap ? FRAME_INDEX_BYTES(cap) : 0;
}

void spy_stacks_init(void) {
  own_start = (uint64_t)(uintptr_t)__ehdr_start;
  own_end = (uint64_t)(uintptr_t)etext;
  uint64_t off, cap = 4096;
  struct stack_table *t = spy_arena_alloc(8 + cap * 8, &off);
  if (!t) return;
  t->capacity = cap;
  spy_hdr->stacks.capacity = cap;
  __atomic_store_n(&spy_hdr->stacks.table_off, off, __ATOMIC_RELEASE);
  if ((frame_index = frame_index_map(cap))) __atomic_store_n(&frame_index_cap, cap, __ATOMIC_RELAXED);
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
}

/* Stack records and frame nodes are carved, under the insert lock, out of
 * arena chunks: the arena rounds each allocation up to a cache line, which
 * would add half again to an 80-byte record and quadruple a 16-byte node. */
#define CARVE_CHUNK (32u << 10)
struct carver { uint64_t off, end; };
static struct carver stack_carver, frame_carver;

static void *carve(struct carver *c, uint64_t bytes, uint64_t *off) {
  if (c->end - c->off < bytes) {
    uint64_t o;
    if (!spy_arena_alloc(CARVE_CHUNK, &o)) return NULL;
    c->off = o;
    c->end = o + CARVE_CHUNK;
  }
  *off = c->off;
  c->off += bytes;
  return spy_arena_at(*off);             /* zeroed: fresh arena */
}

/* The stack's hash (spy.h), all of it: for walks not extending a memo. */
static inline uint64_t hash_pcs(const uint64_t *pc, unsigned n) {
  uint64_t h = SPY_STACK_HASH_SEED;
  for (unsigned i = n; i-- > 0;) h = spy_stack_hash_step(h, pc[i]);
  return spy_stack_hash_end(h, n);
}
#define SLOT_HASH(h64) ((uint32_t)(h64) | 1)  /* the index's 32 bits, never 0 */

static inline const struct hsp_frame *frame_at(uint32_t id) {
  return spy_arena_at(HSP_FRAME_OFF(id));
}

/* The stack's frames are pc[0..n): its walk from the leaf to the root.
 * Every node on it was written before the stack was published. */
static int path_is(const struct hsp_stack *s, const uint64_t *pc, unsigned n) {
  if (s->depth != n) return 0;
  uint32_t id = s->leaf;
  for (unsigned i = 0; i < n; i++) {
    const struct hsp_frame *f = frame_at(id);
    if (f->pc != pc[i]) return 0;
    id = f->parent;
  }
  return 1;
}

/* A stack is known by its depth, its 64-bit hash and its innermost pc:
 * walking all its nodes (one dependent load per frame) would double the
 * lookup's cost. Two distinct stacks of a run alike in all three: odds of
 * about stacks^2 / 2^64 (1 in 2 * 10^7 at a million stacks), and they
 * would share one record. make check-debug walks every match. */
static inline int same(const struct hsp_stack *s, uint64_t h64, const uint64_t *pc, unsigned n) {
  if (s->hash != h64 || s->depth != n || (n && frame_at(s->leaf)->pc != pc[0])) return 0;
  SPY_DEBUG_ASSERT(path_is(s, pc, n));
  return 1;
}

static uint32_t probe(struct stack_table *t, uint64_t h64, const uint64_t *pc,
                      unsigned n, uint64_t *free_slot) {
  uint64_t mask = t->capacity - 1;
  uint32_t hash = SLOT_HASH(h64);
  for (uint64_t i = hash & mask;; i = (i + 1) & mask) {
    uint64_t slot = __atomic_load_n(&t->slots[i], __ATOMIC_ACQUIRE);
    if (!slot) { if (free_slot) *free_slot = i; return 0; }
    uint32_t id = (uint32_t)slot;
    if ((uint32_t)(slot >> 32) == hash && same(spy_arena_at(HSP_STACK_OFF(id)), h64, pc, n))
      return id;
  }
}

/* Every slot of t into nt, twice its capacity. */
static void rehash(const struct stack_table *t, struct stack_table *nt) {
  uint64_t ncap = nt->capacity;
  /* probes mask with capacity - 1 and end only at a free slot */
  SPY_ASSERT((ncap & (ncap - 1)) == 0 && ncap == t->capacity * 2);
  for (uint64_t i = 0; i < t->capacity; i++) {
    uint64_t slot = t->slots[i];
    if (!slot) continue;
    uint64_t j = (slot >> 32) & (ncap - 1);
    while (nt->slots[j]) j = (j + 1) & (ncap - 1);
    nt->slots[j] = slot;
  }
}

/* With insert_lock held: the stacks' table with room for one more stack
 * (doubled if half full), or NULL. */
static struct stack_table *stacks_room(void) {
  struct hsp_stack_index *ix = &spy_hdr->stacks;
  struct stack_table *t = spy_arena_ptr(ix->table_off);
  if (t && (ix->count + 1) * 2 > t->capacity) {
    uint64_t off;
    struct stack_table *nt = spy_arena_alloc(8 + t->capacity * 16, &off);
    if (nt) {
      nt->capacity = t->capacity * 2;
      rehash(t, nt);
      uint64_t old_off = ix->table_off;
      ix->capacity = nt->capacity;
      __atomic_store_n(&ix->table_off, off, __ATOMIC_RELEASE);
      /* lock-free readers may still probe the old table: released pages
       * read as zeros, i.e. "not found", and they retry under the lock */
      spy_arena_release(old_off, 8 + t->capacity * 8);
      t = nt;
    }
  }
  return t && ix->count + 1 < t->capacity ? t : NULL;
}

/* With insert_lock held: the frame index with room for one more node
 * (doubled if half full), or NULL. */
static struct stack_table *frames_room(void) {
  struct stack_table *t = frame_index;
  uint64_t count = spy_hdr->frames_count;
  if (t && (count + 1) * 2 > t->capacity) {
    struct stack_table *nt = frame_index_map(t->capacity * 2);
    if (nt) {
      rehash(t, nt);
      frame_index = nt;
      __atomic_store_n(&frame_index_cap, nt->capacity, __ATOMIC_RELAXED);
      munmap(t, FRAME_INDEX_BYTES(t->capacity));
      t = nt;
    }
  }
  return t && count + 1 < t->capacity ? t : NULL;
}

/* With insert_lock held: the node of pc called from the node parent
 * (depth frames from the root), found or added; 0 if the arena is full.
 * The frame table is only ever probed under the lock. */
static uint32_t frame_intern(uint32_t parent, uint64_t pc, uint32_t depth) {
  uint64_t h64 = (pc ^ ((uint64_t)parent * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
  uint32_t hash = (uint32_t)(h64 ^ (h64 >> 32)) | 1;
  struct stack_table *t = frames_room();
  if (!t) return 0;
  uint64_t mask = t->capacity - 1, i = hash & mask;
  for (;; i = (i + 1) & mask) {
    uint64_t slot = t->slots[i];
    if (!slot) break;
    const struct hsp_frame *f = frame_at((uint32_t)slot);
    if ((uint32_t)(slot >> 32) == hash && f->pc == pc && f->parent == parent)
      return (uint32_t)slot;
  }
  uint64_t off;
  struct hsp_frame *f = carve(&frame_carver, sizeof *f, &off);
  /* a node id is its offset / 16 in 32 bits (64 GiB) */
  if (!f || off / 16 > UINT32_MAX) return 0;
  f->pc = pc;
  f->parent = parent;
  f->depth = depth;
  __atomic_store_n(&t->slots[i], SLOT(hash, off / 16), __ATOMIC_RELEASE);
  spy_hdr->frames_count++;
  return (uint32_t)(off / 16);
}

/* The last path stored, outermost first (guarded by insert_lock): a new
 * stack mostly shares its outer frames with the one before, whose nodes
 * then need no lookup. Nodes are never removed, so the memo stays true. */
static uint64_t memo_pc[MAX_FRAMES];
static uint32_t memo_node[MAX_FRAMES];
static unsigned memo_n;

/* With insert_lock held: the leaf node of pc[0..n), its nodes found or
 * added outermost first, so each node's parent is on record before it.
 * 0 if one could not be added (or n is 0). */
static uint32_t frame_path(const uint64_t *pc, unsigned n) {
  uint32_t node = 0;
  unsigned d = 0;                      /* frames from the root done */
  for (; d < n && d < memo_n && memo_pc[d] == pc[n - 1 - d]; d++) node = memo_node[d];
  for (; d < n; d++) {
    if (!(node = frame_intern(node, pc[n - 1 - d], d + 1))) { memo_n = d; return 0; }
    memo_pc[d] = pc[n - 1 - d];
    memo_node[d] = node;
  }
  memo_n = n;
  return node;
}

/* The stacks this thread found last, by hash: known by what same()
 * compares, so a hit is the id probe() would give, without its loads of
 * the table's slot, the record and its leaf node (python's churn: 2.8
 * new frames a capture, and the stack mostly one seen lately). An id
 * never changes (records are never removed; a forked child's arena is a
 * copy), so nothing here goes stale. */
#define STACK_IDS 512
struct stack_id { uint64_t hash, pc0; uint32_t depth, id; };
SPY_MEM_FITS(struct stack_id[STACK_IDS], stack_ids);

static inline struct stack_id *stack_id_slot(uint64_t hash) {
  return &((struct stack_id *)spy_mem()->stack_ids)[(hash >> 7) & (STACK_IDS - 1)];
}

/* The id last: a signal handler of this thread interning meanwhile sees
 * no entry, never a half-written one. */
static inline void stack_id_keep(struct stack_id *e, uint64_t hash, uint64_t pc0, unsigned n,
                                 uint32_t id) {
  e->id = 0;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  e->hash = hash;
  e->pc0 = pc0;
  e->depth = n;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  e->id = id;
}

/* hash: the stack's (spy.h), or 0 to compute it here. Only pc[0..filled)
 * is there yet (spy_unwind): a stack found needs its innermost pc only. */
static uint32_t intern(uint64_t *pc, unsigned n, uint64_t hash, unsigned filled) {
  if (filled < n && (!hash || !filled || SPY_DEBUG_ON)) {
    spy_unwind_fill(pc, filled, n);
    filled = n;
  }
  SPY_DEBUG_ASSERT(!hash || hash == hash_pcs(pc, n));   /* the memo's chain is the walk's */
  if (!hash) hash = hash_pcs(pc, n);
  struct stack_id *mine = stack_id_slot(hash);
  uint64_t pc0 = n ? pc[0] : 0;
  if (mine->id && mine->hash == hash && mine->depth == n && mine->pc0 == pc0) {
    SPY_DEBUG_ASSERT(path_is(spy_arena_at(HSP_STACK_OFF(mine->id)), pc, n));
    return mine->id;
  }
  struct stack_table *t =
      spy_arena_ptr(__atomic_load_n(&spy_hdr->stacks.table_off, __ATOMIC_ACQUIRE));
  if (!t) return 0;
  uint32_t id = probe(t, hash, pc, n, NULL);
  if (SPY_LIKELY(id)) {
    stack_id_keep(mine, hash, pc0, n, id);
    return id;
  }

  if (filled < n) spy_unwind_fill(pc, filled, n);
  /* A new stack: make sure its modules are on record (outside our lock,
   * the scan takes the loader's lock). */
  for (unsigned i = 0; i < n; i++)
    if (!spy_module_known(pc[i])) { spy_modules_scan(); break; }

  spy_lock(&insert_lock);
  t = spy_arena_at(spy_hdr->stacks.table_off);
  id = probe(t, hash, pc, n, NULL);
  if (!id && (t = stacks_room())) {
    uint64_t slot = UINT64_MAX, off;      /* probe sets slot: the stack is not there */
    probe(t, hash, pc, n, &slot);
    uint32_t leaf = frame_path(pc, n);
    struct hsp_stack *s = leaf || !n ? carve(&stack_carver, sizeof *s, &off) : NULL;
    /* an id is the record's offset / 8 in 32 bits: past 32 GiB of
     * profile, new stacks go unrecorded (id 0) rather than alias */
    if (s && off / 8 <= UINT32_MAX) {
      SPY_ASSERT(slot < t->capacity && !t->slots[slot]);   /* probe's free slot, ours */
      s->hash = hash;
      s->leaf = leaf;
      s->depth = n;
      id = (uint32_t)(off / 8);
      __atomic_store_n(&t->slots[slot], SLOT(SLOT_HASH(hash), id), __ATOMIC_RELEASE);
      spy_hdr->stacks.count++;
    }
  }
  spy_unlock(&insert_lock);
  if (id) stack_id_keep(mine, hash, pc0, n, id);
  return id;
}

/* libunwind's walk, our frames skipped: the reference and the fallback. */
static unsigned slow_unwind(uint64_t *out, unsigned max) {
  void *buf[MAX_FRAMES + SKIP_MAX];
  unsigned want = max + SKIP_MAX;
  spy_internal++;                      /* whatever libunwind allocates is its own */
  int got = unw_backtrace(buf, (int)want);
  spy_internal--;
  unsigned first = 0;
  while (first < (unsigned)got && first < SKIP_MAX &&
         (uint64_t)(uintptr_t)buf[first] >= own_start &&
         (uint64_t)(uintptr_t)buf[first] < own_end)
    first++;
  unsigned n = (unsigned)got - first;
  if (n > max) n = max;
  memcpy(out, buf + first, n * sizeof *out);
  return n;
}

/* The id of this thread's last stack: a walk that repeats the last one
 * exactly (see spy_unwind) needs no hashing or lookup. */
static __thread uint32_t last_id SPY_TLS;

__attribute__((noinline)) uint32_t spy_stack_capture(void) {
  uint64_t pcs[MAX_FRAMES];
  unsigned max = spy_opt.depth < MAX_FRAMES ? spy_opt.depth : MAX_FRAMES;
  uint64_t hash;
  unsigned filled;
  int n = spy_unwind(pcs, max, own_start, own_end, &hash, &filled);
  if (spy_unwind_repeat && last_id && !spy_opt.unwind_check) {
    SPY_DEBUG_ASSERT(intern(pcs, (unsigned)n, 0, filled) == last_id);   /* the same pcs, the same stack */
    return last_id;
  }
  if (SPY_UNLIKELY(n < 0)) {
    __atomic_add_fetch(&spy_hdr->unwind_fallbacks, 1, __ATOMIC_RELAXED);
    n = (int)slow_unwind(pcs, max);
    hash = 0;
    filled = (unsigned)n;
  } else if (SPY_UNLIKELY(spy_opt.unwind_check)) {
    spy_unwind_fill(pcs, filled, (unsigned)n);
    filled = (unsigned)n;
    uint64_t ref[MAX_FRAMES];
    unsigned m = slow_unwind(ref, max);
    __atomic_add_fetch(&spy_hdr->unwind_checked, 1, __ATOMIC_RELAXED);
    if (m != (unsigned)n || memcmp(ref, pcs, m * sizeof *ref))
      __atomic_add_fetch(&spy_hdr->unwind_mismatches, 1, __ATOMIC_RELAXED);
  }
  return last_id = intern(pcs, (unsigned)n, hash, filled);
}

/* A signal's interrupted context, walked by libunwind from its registers
 * (signal-safe: local unwinding allocates nothing of the heap). */
uint32_t spy_stack_from_context(const void *ucontext) {
  uint64_t pcs[MAX_FRAMES];
  unsigned max = spy_opt.depth < MAX_FRAMES ? spy_opt.depth : MAX_FRAMES, n = 0;
  unw_cursor_t c;
  spy_internal++;
  if (unw_init_local2(&c, (unw_context_t *)(uintptr_t)ucontext, UNW_INIT_SIGNAL_FRAME) == 0) {
    do {
      unw_word_t ip;
      if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || !ip) break;
      pcs[n] = n ? (uint64_t)ip : (uint64_t)ip + 1;  /* symbolizers look at pc-1 */
      n++;
    } while (n < max && unw_step(&c) > 0);
  }
  spy_internal--;
  return n ? intern(pcs, n, 0, n) : 0;
}

/* Per-stack counters, batched per thread (spy.h): a hot stack shared by
 * threads would otherwise bounce its record's cache line on every call.
 * A slot's counters are deltas not yet added to the stack's record. */

static inline void live_flush(struct spy_hot_slot *hot, unsigned i) {
  struct hsp_stack *s = spy_arena_ptr(HSP_STACK_OFF(hot[i].stack));
  __atomic_add_fetch(&s->in_use_bytes, hot[i].live_bytes, __ATOMIC_RELAXED);
  __atomic_add_fetch(&s->in_use_blocks, hot[i].live_blocks, __ATOMIC_RELAXED);
  hot[i].live_bytes = hot[i].live_blocks = 0;
}

static void hot_flush(struct spy_hot_slot *hot, unsigned i) {
  if (!hot[i].stack) return;
  struct hsp_stack *s = spy_arena_ptr(HSP_STACK_OFF(hot[i].stack));
  if (hot[i].allocs) {
    __atomic_add_fetch(&s->allocs, hot[i].allocs, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->bytes, hot[i].bytes, __ATOMIC_RELAXED);
  }
  if (hot[i].live_blocks || hot[i].live_bytes) live_flush(hot, i);
  if (hot[i].temporary | hot[i].temporary_alike) {
    __atomic_add_fetch(&s->temporary, hot[i].temporary, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->temporary_alike, hot[i].temporary_alike, __ATOMIC_RELAXED);
  }
  hot[i].allocs = hot[i].bytes = 0;
  hot[i].temporary = hot[i].temporary_alike = 0;
}

void spy_hot_claim(unsigned i, uint32_t stack) {
  struct spy_hot_slot *hot = spy_hot_mine()->slot;
  hot_flush(hot, i);
  hot[i].stack = stack;
}

/* Past exit's last flush (spy_stacks_flush_each_call): every flush
 * empties the slots it visits entirely, so the dirty ones are all that
 * can hold counts; this thread's first such flush visits them all. */
static int whole_slots;
static __thread int whole_done SPY_TLS;

/* The per-stack in-use deltas follow the thread's global in-use delta
 * (spy_blocks.c note_in_use): flushed whenever it is, so the stacks'
 * in_use_* and the heap's in-use count lag by the same batches. */
void spy_stacks_flush_live(void) {
  struct spy_hot *h = spy_hot_mine();
  struct spy_hot_slot *hot = h->slot;
  for (unsigned w = 0; w < SPY_HOT / 64; w++) {
    uint64_t bits = h->dirty[w];
    h->dirty[w] = 0;
    while (bits) {
      unsigned i = w * 64 + (unsigned)__builtin_ctzll(bits);
      bits &= bits - 1;
      if (SPY_UNLIKELY(whole_slots)) hot_flush(hot, i);
      else if (hot[i].stack && (hot[i].live_blocks || hot[i].live_bytes)) live_flush(hot, i);
    }
  }
}

void spy_stacks_flush_counts(void) {
  struct spy_hot_slot *hot = spy_hot_mine()->slot;
  for (unsigned i = 0; i < SPY_HOT; i++) hot_flush(hot, i);
  spy_sample_flush();                  /* --sample's exact totals go with them */
}

void spy_stacks_flush_each_call(void) {
  whole_slots = 1;
  if (whole_done) {
    spy_stacks_flush_live();
  } else {
    spy_stacks_flush_counts();
    whole_done = 1;
  }
}

/* Copy every stack's in_use_* to its peak_* (spy_peak.c), with the
 * insert lock held so that no table grows under the walk. */
void spy_stacks_copy_peak(void) {
  spy_lock(&insert_lock);
  struct stack_table *t = spy_arena_ptr(spy_hdr->stacks.table_off);
  uint64_t cap = t ? t->capacity : 0;
  for (uint64_t i = 0; i < cap; i++) {
    uint32_t id = (uint32_t)t->slots[i];
    if (!id) continue;
    struct hsp_stack *s = (struct hsp_stack *)(spy_arena_base + HSP_STACK_OFF(id));
    s->peak_bytes = __atomic_load_n(&s->in_use_bytes, __ATOMIC_RELAXED);
    s->peak_blocks = __atomic_load_n(&s->in_use_blocks, __ATOMIC_RELAXED);
  }
  spy_unlock(&insert_lock);
}

void spy_stacks_lock(void) { spy_lock(&insert_lock); }
void spy_stacks_unlock(void) { spy_unlock(&insert_lock); }
void spy_stacks_reset_lock(void) { insert_lock = 0; }
