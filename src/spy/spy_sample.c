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
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "spy.h"
#include "spy_sample.h"

uint64_t spy_sampling;
uint8_t spy_sample_filter[1u << (SPY_SAMPLE_SLOT_BITS - 3)];
/* Behind each bit, the sampled blocks in its slot (255: too many to
 * count, the bit stays). Changed only under filter_lock, at the rate of
 * samples; the bits are read without it (spy_sample_maybe). Touched only
 * where sampled blocks live: the rest of it is never paged in. */
static uint8_t slot_count[1u << SPY_SAMPLE_SLOT_BITS];
static uint32_t filter_lock;
__thread uint64_t spy_sample_left SPY_TLS;
__thread struct spy_sample_counts spy_sample_tls SPY_TLS;
static __thread uint64_t rng SPY_TLS;
static uint64_t threads_seeded;
/* A thread that never samples still counts: its totals are added when it
 * exits (the key is set at its first allocation). */
static pthread_key_t exit_key;
static int exit_key_ok;

static void flush_at_thread_exit(void *unused) {
  (void)unused;
  spy_sample_flush();
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
  if (spy_sampling) exit_key_ok = pthread_key_create(&exit_key, flush_at_thread_exit) == 0;
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
  if (exit_key_ok) {                   /* a key below 32: no allocation */
    spy_busy++;
    spy_internal++;
    pthread_setspecific(exit_key, (void *)1);
    spy_internal--;
    spy_busy--;
  }
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

void spy_sample_flush(void) {
  if (!spy_hdr) return;
  struct spy_sample_counts c = spy_sample_tls;
  spy_sample_tls = (struct spy_sample_counts){ 0 };
  if (c.allocs) __atomic_add_fetch(&spy_hdr->sampling.allocs, c.allocs, __ATOMIC_RELAXED);
  if (c.frees) __atomic_add_fetch(&spy_hdr->sampling.frees, c.frees, __ATOMIC_RELAXED);
  if (c.bytes) __atomic_add_fetch(&spy_hdr->sampling.bytes_allocated, c.bytes, __ATOMIC_RELAXED);
}

int spy_sample_hit(size_t n) {
  if (!rng) {                          /* this thread's first allocation */
    seed();
    spy_sample_left = draw();
  }
  if (n < spy_sample_left) {           /* not a sample: a request, or the first */
    spy_sample_left -= n;
    if (spy_request_pending) {
      spy_busy++;
      spy_leave();                     /* serves it */
    }
    return 0;
  }
  /* the sample point fell inside these n bytes; the process is memoryless:
   * the next one lies an exponential draw past the block's end */
  spy_sample_left = draw();
  spy_sample_flush();
  return 1;
}

void spy_sample_reset_lock(void) { filter_lock = 0; }

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
