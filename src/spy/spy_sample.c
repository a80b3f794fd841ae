/*
 * spy_sample.c: --sample's slow path (see spy_sample.h): the per-thread
 * xorshift generator and its exponential draws, the address filter of
 * sampled blocks, and the exact totals each thread keeps.
 *
 * Seeds: sample_seed=N (tests) gives thread k (in order of their first
 * allocation) the seed N + k, so a single-threaded run samples the same
 * blocks every time; 0 seeds from the clock, the pid and the thread.
 *
 * Must never: allocate, lock, or call anything that may re-enter the spy
 * (log and expm1 from libm do not).
 */
#include <math.h>
#include <time.h>
#include <unistd.h>

#include "profile/hsp_sample.h"
#include "spy.h"
#include "spy_guard_sample.h"
#include "spy_sample.h"

uint64_t spy_sampling;
uint8_t spy_sample_filter[1u << (SPY_SAMPLE_SLOT_BITS - 3)];
/* Behind each bit, the sampled blocks in its slot (255: too many to
 * count, the bit stays). Changed only under filter_lock, at the rate of
 * samples; the bits are read without it (spy_sample_maybe). Touched only
 * where sampled blocks live: the rest of it is never paged in. */
static uint8_t slot_count[1u << SPY_SAMPLE_SLOT_BITS];
static uint32_t filter_lock;
__thread struct hsp_sample_slot *spy_sample_mine SPY_TLS;
static __thread uint64_t rng SPY_TLS;
/* What a countdown has beyond what its word's low half holds (2^32 - 1
 * bytes; --sample 1G draws more one time in 55). */
static __thread uint64_t beyond SPY_TLS;
#define WORD_MAX 0xffffffffull
static uint64_t threads_seeded;

/* The threads' totals (spy_sample.h), in the profile (struct
 * hsp_sample_live; the library's own array if the arena has no room).
 * Beyond SLOTS threads alive at once, a thread counts in its own TLS and
 * adds it to the header's spill at each sample: such a thread's last
 * counts before it exits are lost. */
#define SLOTS 4096
static struct hsp_sample_slot own_slots[SLOTS], *slots = own_slots;
static struct hsp_sample_live *live;       /* the header's */
SPY_MEM_FITS(struct hsp_sample_slot, sample_spill);
static inline struct hsp_sample_slot *spill_mine(void) {
  return (struct hsp_sample_slot *)spy_mem()->sample_spill;
}

struct hsp_sample_slot *spy_sample_claim(void) {
  int self = spy_gettid();
  struct hsp_sample_slot *spill = spill_mine(), *c = spill;
  uint32_t n = __atomic_load_n(&live->slots_used, __ATOMIC_ACQUIRE);
  while (n < SLOTS) {                      /* a fresh slot first */
    if (__atomic_compare_exchange_n(&live->slots_used, &n, n + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      c = &slots[n];
      __atomic_store_n(&c->owner, self, __ATOMIC_RELEASE);
      break;
    }
  }
  for (uint32_t i = 0; c == spill && i < SLOTS; i++) {   /* all used: one whose thread is gone */
    int owner = __atomic_load_n(&slots[i].owner, __ATOMIC_ACQUIRE);
    if (owner && spy_thread_gone(owner) &&
        __atomic_compare_exchange_n(&slots[i].owner, &owner, self, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      c = &slots[i];
  }
  spy_sample_mine = c;
  return c;
}

volatile uint32_t spy_sample_gate;

/* The inputs that change while the program runs (spy_status, a request)
 * are read again after the store: a change made meanwhile by another
 * thread or a signal handler, which updates the gate after its change,
 * then wins, and the gate is never left open behind it. */
void spy_sample_gate_update(void) {
  uint32_t open = spy_sampling && spy_status == SPY_READY && !spy_request_pending
                      ? (spy_gs_on ? SPY_GATE_GS : SPY_GATE_OPEN) : 0;
  __atomic_store_n(&spy_sample_gate, open, __ATOMIC_SEQ_CST);
  if (open && (spy_status != SPY_READY || __atomic_load_n(&spy_request_pending, __ATOMIC_SEQ_CST)))
    __atomic_store_n(&spy_sample_gate, 0, __ATOMIC_SEQ_CST);
}

void spy_sample_init(void) {
  const char *g = spy_opt.guard;
  int guard = g[0] && !(g[0] == '0' && !g[1]) && !(g[0] == 'n' && g[1] == 'o' && !g[2]);
  spy_sampling = spy_opt.sample;
  if (spy_sampling && (spy_opt.check || guard || spy_opt.trace)) {
    spy_warn("sample=%u ignored: --check, --guard and --trace record every block",
             spy_opt.sample);
    spy_sampling = 0;
  }
  spy_hdr->sampling.mean = spy_sampling;
  live = &spy_hdr->sample_live;
  uint64_t off;
  if (spy_sampling && spy_arena_alloc(sizeof own_slots, &off)) {
    live->slots_off = off;
    live->slots_cap = SLOTS;
    slots = spy_arena_at(off);
  }
}

static uint64_t next_random(void) { return spy_xorshift(&rng); }

uint64_t spy_sample_seed(const void *salt) {
  uint64_t s = spy_opt.sample_seed;
  if (!s) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    s = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 32 ^ (uint64_t)getpid() << 16 ^
        (uint64_t)(uintptr_t)salt;
  }
  return s;
}

static void seed(void) {
  uint64_t k = __atomic_fetch_add(&threads_seeded, 1, __ATOMIC_RELAXED);
  uint64_t s = spy_sample_seed(&rng);
  rng = (s + k) * 0x9e3779b97f4a7c15ull;
  if (!rng) rng = 1;                   /* xorshift's one fixed point */
  for (int i = 0; i < 8; i++) next_random();
}

/* Bytes until the next sample: exponential with mean spy_sampling. */
static uint64_t draw(void) {
  double u = ((double)(next_random() >> 11) + 1.0) * (1.0 / 9007199254740993.0);  /* (0, 1] */
  double d = -log(u) * (double)spy_sampling;
  return d < 1.0 ? 1 : d > 1e18 ? (uint64_t)1e18 : (uint64_t)d;
}

/* Totals only grow: a store never replaces a newer sum by an older one. */
static void store_max(uint64_t *to, uint64_t v) {
  uint64_t old = __atomic_load_n(to, __ATOMIC_RELAXED);
  while (old < v && !__atomic_compare_exchange_n(to, &old, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
}

void spy_sample_flush(void) {
  if (!spy_hdr || !live) return;        /* (before spy_sample_init) */
  struct hsp_sample_slot *c = spill_mine();
  if (c->allocs || c->frees || c->bytes) {  /* (folded by spy_sample_hit) */
    __atomic_add_fetch(&live->spill_allocs, c->allocs, __ATOMIC_RELAXED);
    __atomic_add_fetch(&live->spill_frees, c->frees, __ATOMIC_RELAXED);
    __atomic_add_fetch(&live->spill_bytes, c->bytes, __ATOMIC_RELAXED);
    c->allocs = c->frees = c->bytes = 0;  /* its countdown runs on */
  }
  uint64_t allocs = __atomic_load_n(&live->spill_allocs, __ATOMIC_RELAXED);
  uint64_t frees = __atomic_load_n(&live->spill_frees, __ATOMIC_RELAXED);
  uint64_t bytes = __atomic_load_n(&live->spill_bytes, __ATOMIC_RELAXED);
  uint32_t n = __atomic_load_n(&live->slots_used, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < n && i < SLOTS; i++) {
    struct hsp_slot_totals t = hsp_sample_slot_read(&slots[i]);
    allocs += t.allocs;
    frees += t.frees;
    bytes += t.bytes;
  }
  store_max(&spy_hdr->sampling.allocs, allocs);
  store_max(&spy_hdr->sampling.frees, frees);
  store_max(&spy_hdr->sampling.bytes_allocated, bytes);
}

/* Folds c's word into its totals with this allocation of n bytes, and
 * sets the countdown to `left` bytes (>= 1): its word's low half holds
 * left - 1, up to WORD_MAX, `beyond` the rest. */
static void fold(struct hsp_sample_slot *c, size_t n, uint64_t left) {
  uint32_t g = c->gen;
  __atomic_store_n(&c->gen, g + 1, __ATOMIC_RELAXED);
  __atomic_thread_fence(__ATOMIC_RELEASE);     /* readers see gen odd first */
  uint64_t w = c->word, since = w >> 32;
  c->allocs += since + 1;
  c->bytes += (uint64_t)(uint32_t)(c->start - (uint32_t)w) - since + n;
  uint64_t low = left - 1 < WORD_MAX ? left - 1 : WORD_MAX;
  beyond = left - 1 - low;
  c->start = (uint32_t)low;
  c->word = low;
  __atomic_store_n(&c->gen, g + 2, __ATOMIC_RELEASE);
}

int spy_sample_hit(size_t n) {
  struct hsp_sample_slot *c = spy_sample_here();
  /* bytes to the sample point: what the word's low half holds, plus one */
  uint64_t left = (uint64_t)(uint32_t)c->word + beyond + 1;
  if (!rng) {                          /* this thread's first allocation */
    seed();
    left = draw();
  }
  if (n + 1 < left) {                  /* not a sample: a request, the first, or beyond */
    fold(c, n, left - n - 1);
    if (spy_request_pending) {
      spy_busy++;
      spy_leave();                     /* serves it */
    }
    return 0;
  }
  /* the sample point fell inside these n + 1 bytes; the process is
   * memoryless: the next one lies an exponential draw past the block */
  fold(c, n, draw());
  if (c == spill_mine()) spy_sample_flush();   /* the rest are read where they are */
  return 1;
}

void spy_sample_reset_lock(void) {
  filter_lock = 0;
  if (spy_sample_mine && spy_sample_mine != spill_mine()) spy_sample_mine->owner = spy_gettid();
}

/* Under filter_lock: a bit is set exactly while its count is not 0. */
static void filter_bit(unsigned slot, int on) {
  uint8_t *b = &spy_sample_filter[slot >> 3], bit = (uint8_t)(1u << (slot & 7));
  __atomic_store_n(b, (uint8_t)(on ? *b | bit : *b & ~bit), __ATOMIC_RELAXED);
}

void spy_sample_mark(uint64_t p) {
  unsigned slot = spy_sample_slot(p);
  spy_lock(&filter_lock);
  if (slot_count[slot] != 255 && ++slot_count[slot] == 1) filter_bit(slot, 1);
  spy_unlock(&filter_lock);
}

void spy_sample_unmark(uint64_t p) {
  unsigned slot = spy_sample_slot(p);
  spy_lock(&filter_lock);
  if (slot_count[slot] != 255 && slot_count[slot] && --slot_count[slot] == 0) filter_bit(slot, 0);
  spy_unlock(&filter_lock);
}
