/*
 * spy_records.c: live blocks recorded next to themselves, not in the table.
 * Each block carries its record (size, family, stack, allocation time; 16
 * bytes) in a front of its own: exact mode asks glibc for 16 bytes more
 * and the record is the whole front (spy_fronts.c); --check's front has
 * the record first, then its 16-byte red zone. A bitmap with a pair of
 * bits per 16 bytes of address says where a recorded block starts (live)
 * and, in exact mode, which blocks have a front at all (front: set for
 * the block's whole life, the table's or not). An allocation writes its
 * record and sets its bits; a free clears them and reads the record, a
 * line glibc's own chunk header shares: neither touches the live-block
 * table, whose slot is a cache miss of its own (python's churn: 0.81x
 * the CPU under --check, 0.86x in exact mode).
 *
 * The table stays the one place the spy's readers look (leak scans,
 * checkpoints, the profile after exit): spy_blocks_flush_locked moves
 * every recorded block into it (its live bit cleared, so its free then
 * goes to the table) before any of them reads it, and finish() closes
 * the bitmap to new blocks for good at exit. The counters (per family,
 * per stack, in use) move at each call as they do for table blocks, a
 * stack's in-use count in its own record at once (spy_stack_live_now),
 * so a profile read while the program runs or after a SIGKILL has every
 * total and the heap by stack; only the list of single blocks misses the
 * recorded ones. A reader of the live process's memory finds those too
 * (struct hsp_records: `heapspy heap`, `maps`).
 *
 * The live bit is the block's ownership: setting it publishes the
 * record, clearing it takes the block. Both happen under the shard lock
 * the block's counters change under (spy_blocks_count_in/out; none while
 * the process has one thread), so of two threads freeing one block only
 * one gets it, the other sees no block, as after any double free. A
 * record is sealed with 16 bits of a per-process keyed hash: a stray
 * write over it is reported (--check), never trusted.
 *
 * Layout of the bitmap (struct hsp_rec_region): a 1 MiB top level, one
 * pointer per GiB of the 47-bit address space, each to that GiB's 16 MiB
 * of bit pairs (reserved, not committed: a page for each 256 KiB of heap
 * used), with the range of pairs ever set, which is all an enumeration
 * reads.
 *
 * Must never: allocate from the heap, take a lock of its own (the shard
 * locks are spy_blocks.c's), or read a record whose bit is clear (a
 * pointer given to free may point anywhere); the crash path may
 * enumerate at any moment (reads only).
 */
#include <string.h>
#include <sys/mman.h>

#include "spy.h"
#include "spy_check.h"
#include "spy_sample.h"

#define REGION_SHIFT HSP_REC_SHIFT                /* a GiB of address space */
#define TOP_ENTRIES HSP_REC_TOP                   /* 131,072 */
#define REGION_WORDS ((1ull << REGION_SHIFT) >> 10)   /* 64 bits: 1 KiB */

struct region {                        /* struct hsp_rec_region: readers know it */
  uint64_t lo, hi;                     /* words ever set: [lo, hi) */
  uint64_t pad[6];
  struct { uint64_t live, front; } w[REGION_WORDS];
};
_Static_assert(sizeof(struct region) == sizeof(struct hsp_rec_region), "the format's layout");

int spy_cb_on, spy_cb_used, spy_cb_front;
static struct region **top;
static uint64_t secret, rec_off = SPY_FRONT;

void spy_cb_init(void) {
  if (!(spy_check_on ? spy_opt.check_records : spy_opt.records) || spy_guard_on || spy_trace_on ||
      spy_sampling || spy_attached)
    return;
  void *p = mmap(NULL, sizeof *top * TOP_ENTRIES, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return;       /* the table keeps every block, as before */
  top = p;
  secret = spy_sample_seed(&secret) | 1;
  if (!spy_check_on) rec_off = spy_cb_front = SPY_EXACT_FRONT;
  spy_hdr->records = (struct hsp_records){ (uint64_t)(uintptr_t)top, secret, (uint32_t)rec_off, 0 };
  spy_cb_used = spy_cb_on = 1;
  __atomic_or_fetch(&spy_hdr->flags, HSP_FLAG_RECORDS, __ATOMIC_RELAXED);
}

void spy_cb_close(void) { spy_cb_on = 0; }

/* One multiply: the seal catches stray writes, it is no defence against
 * a program that aims at it (nothing in a process is). */
static inline uint64_t seal(uint64_t user, uint64_t w0, uint64_t w1) {
  return hsp_rec_seal(secret, user, w0, w1);
}

/* The record at user: 16 bytes, 32 before it (--check), 16 (exact). */
static inline uint64_t *record(uint64_t user) {
  return (uint64_t *)(uintptr_t)(user - rec_off);
}
#define SIZE_BITS HSP_REC_SIZE_BITS
#define SIZE_MASK ((1ull << SIZE_BITS) - 1)

/* The record as a table entry; 0 if its seal is broken. */
static int read_record(uint64_t user, struct hsp_block *out) {
  return hsp_rec_decode(secret, user, record(user), out);
}

static __attribute__((noinline)) struct region *region_make(uint64_t i) {
  void *m = mmap(NULL, sizeof(struct region), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return NULL;
  struct region *fresh = m, *was = NULL;
  fresh->lo = REGION_WORDS;
  if (__atomic_compare_exchange_n(&top[i], &was, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return fresh;
  munmap(m, sizeof *fresh);            /* another thread made it first */
  return was;
}

static inline struct region *region_of(uint64_t user, int make) {
  uint64_t i = user >> REGION_SHIFT;
  if (SPY_UNLIKELY(i >= TOP_ENTRIES || !top)) return NULL;
  struct region *r = __atomic_load_n(&top[i], __ATOMIC_ACQUIRE);
  return SPY_LIKELY(r || !make) ? r : region_make(i);
}

static inline uint64_t word_of(uint64_t user) { return (user & ((1ull << REGION_SHIFT) - 1)) >> 10; }
static inline uint64_t bit_of(uint64_t user) { return 1ull << ((user >> 4) & 63); }

static void widen(struct region *r, uint64_t w) {
  uint64_t lo = __atomic_load_n(&r->lo, __ATOMIC_RELAXED);
  while (w < lo && !__atomic_compare_exchange_n(&r->lo, &lo, w, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
  uint64_t hi = __atomic_load_n(&r->hi, __ATOMIC_RELAXED);
  while (w >= hi && !__atomic_compare_exchange_n(&r->hi, &hi, w + 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
}

/* A block's bits, or NULL if its GiB has none (yet, when make). */
static inline struct region *bits_of(uint64_t user, int make, uint64_t **word, uint64_t *bit) {
  struct region *r = region_of(user, make);
  if (r) {
    *word = &r->w[word_of(user)].live;
    *bit = bit_of(user);
  }
  return r;
}

/* A record whose seal broke: *out as glibc's chunk says (the stack not
 * known); --check reports it (report: the block is being freed). */
static void broken(uint64_t user, struct hsp_block *out, int report) {
  if (!spy_cb_front) {
    spy_check_broken_record(user, out, report);
    return;
  }
  uint64_t field = ((const uint64_t *)(uintptr_t)(user - rec_off))[-1], csize = field & ~7ull;
  uint64_t usable = csize - (field & 2 ? 16 : 8), size = 0;   /* IS_MMAPPED: no next chunk */
  if (csize >= 32 && csize < (1ull << 40) && usable > rec_off) size = usable - rec_off;
  *out = (struct hsp_block){ user, size << 8 | HSP_FAM_MALLOC, 0, 0 };
}

/* Records the block; 0 if it cannot (its GiB's bits cannot be mapped, or
 * it is too big for a record): the table then takes it (--check), or the
 * block is made again without a front (exact mode, spy_fronts.c). */
int spy_cb_add(void *ptr, size_t size, unsigned family, uint32_t stack) {
  uint64_t user = (uint64_t)(uintptr_t)ptr, *w, m;
  struct region *r = size <= SIZE_MASK ? bits_of(user, 1, &w, &m) : NULL;
  if (!r) return 0;
  uint32_t now = spy_now_ms();
  uint64_t *rec = record(user);
  uint64_t body = (uint64_t)size | (uint64_t)(family & 0xff) << SIZE_BITS;
  uint64_t w1 = (uint64_t)stack | (uint64_t)now << 32;
  rec[0] = body | seal(user, body, w1) << 48;
  rec[1] = w1;
  uint64_t i = word_of(user);
  if (SPY_UNLIKELY(i < r->lo || i >= r->hi)) widen(r, i);
  spy_blocks_count_in(user, size, family, stack, now, w, m);
  return 1;
}

/* The record at user, whose live bit (m of *w) was seen set: the block
 * is live and its memory ours until the bit is cleared. */
static inline __attribute__((always_inline)) int take_live(uint64_t user, uint64_t *w, uint64_t m,
                                                          struct hsp_block *out) {
  int sealed = read_record(user, out);
  if (!sealed) broken(user, out, 0);
  if (!spy_blocks_count_out(out, w, m)) return 0;   /* another thread's free took it */
  if (!sealed) broken(user, out, 1);
  return 1;
}

/* The recorded block at user, taken (its bits cleared, its counts moved
 * out): 1 and *out, or 0 if no recorded block starts there. A broken seal
 * is reported (--check) and the block taken with what glibc's chunk says
 * of its size. */
int spy_cb_take(uint64_t user, struct hsp_block *out) {
  uint64_t *w, m;
  if (!bits_of(user, 0, &w, &m) || !(__atomic_load_n(w, __ATOMIC_ACQUIRE) & m)) return 0;
  return take_live(user, w, m, out);
}

int spy_cb_lookup(uint64_t user, struct hsp_block *out) {
  uint64_t *w, m;
  if (!bits_of(user, 0, &w, &m) || !(__atomic_load_n(w, __ATOMIC_ACQUIRE) & m)) return 0;
  if (!read_record(user, out)) broken(user, out, 0);
  return 1;
}

int spy_cb_take_front(uint64_t user, struct hsp_block *out) {
  uint64_t *w, m;
  if (!spy_cb_front || !bits_of(user, 0, &w, &m)) return -1;
  uint64_t live = __atomic_load_n(w, __ATOMIC_ACQUIRE), front = __atomic_load_n(w + 1, __ATOMIC_ACQUIRE);
  if (!(front & m)) return -1;
  return (live & m) && take_live(user, w, m, out);
}

int spy_cb_fronted(uint64_t user) {
  uint64_t *w, m;
  return spy_cb_front && bits_of(user, 0, &w, &m) && (__atomic_load_n(w + 1, __ATOMIC_ACQUIRE) & m);
}

/* The block at user has no front any more (taken from the table, or the
 * spy is off): both its bits cleared. */
void spy_cb_unfront(uint64_t user) {
  uint64_t *w, m;
  if (!bits_of(user, 0, &w, &m)) return;
  __atomic_and_fetch(w, ~m, __ATOMIC_RELEASE);
  __atomic_and_fetch(w + 1, ~m, __ATOMIC_RELEASE);
}

/* It has its front again (a realloc failed after taking it). */
void spy_cb_refront(uint64_t user) {
  uint64_t *w, m;
  if (bits_of(user, 0, &w, &m)) __atomic_or_fetch(w + 1, m, __ATOMIC_RELEASE);
}

/* fn on every recorded block whose seal holds (at the last flush, every
 * one), in address order. take:
 * its bit is cleared if fn returns 1 (it moved the block into the table);
 * the caller holds every shard lock, so no bit changes meanwhile (a free
 * waits, then finds the block in the table). Reads only otherwise: the
 * crash path's, racing with the program. */
void spy_cb_each(int (*fn)(const struct hsp_block *, void *), void *ctx, int take) {
  if (!top) return;
  for (uint64_t i = 0; i < TOP_ENTRIES; i++) {
    struct region *r = __atomic_load_n(&top[i], __ATOMIC_ACQUIRE);
    if (!r) continue;
    uint64_t base = i << REGION_SHIFT, hi = __atomic_load_n(&r->hi, __ATOMIC_RELAXED);
    for (uint64_t w = __atomic_load_n(&r->lo, __ATOMIC_RELAXED); w < hi; w++) {
      uint64_t *live = &r->w[w].live, bits = __atomic_load_n(live, __ATOMIC_ACQUIRE);
      while (bits) {
        uint64_t m = bits & -bits, user = base + (w << 10) + ((uint64_t)__builtin_ctzll(bits) << 4);
        bits &= bits - 1;
        struct hsp_block b;
        int sealed = read_record(user, &b);
        /* a broken seal stays for its free to report, unless this is the
         * last flush (closed): then the table lists it as glibc's chunk
         * says, or the counters would hold a block no list shows */
        if (!sealed && take && !spy_cb_on) {
          broken(user, &b, 0);
          sealed = 1;
        }
        if (sealed && fn(&b, ctx) && take) __atomic_store_n(live, *live & ~m, __ATOMIC_RELEASE);
      }
    }
  }
}

/* The bitmap's mappings (the top level, each GiB's bits), as
 * spy_thread_mem_ranges: the count, up to max of them into out. */
uint64_t spy_cb_ranges(uint64_t (*out)[2], uint64_t max) {
  if (!top) return 0;
  uint64_t n = 0;
  for (uint64_t i = 0; i <= TOP_ENTRIES; i++) {
    const void *m = i < TOP_ENTRIES ? __atomic_load_n(&top[i], __ATOMIC_ACQUIRE) : (const void *)top;
    uint64_t len = i < TOP_ENTRIES ? sizeof(struct region) : sizeof *top * TOP_ENTRIES;
    if (!m) continue;
    if (out && n < max) {
      out[n][0] = (uint64_t)(uintptr_t)m;
      out[n][1] = (uint64_t)(uintptr_t)m + len;
    }
    n++;
  }
  return n;
}
