/*
 * spy_guard_sample.c: --guard-sample's slots (see spy_guard_sample.h).
 *
 * Layout: [guard][slot 0][guard][slot 1] ... [slot S-1][guard], a page
 * each, reserved PROT_NONE at start-up: slot i's page is page 2i+1 of the
 * region, a mapping of its own (back_slots_by_file). A block of n bytes
 * (at most a page, alignment at most a page) starts at its page's start
 * (an underflow faults) or ends at its end rounded to max(16, alignment)
 * (an overflow faults; the few bytes of rounding are filled with 0xab and
 * checked at free). A fault on a guard page is blamed on the nearer of
 * its two neighbours' blocks, as GWP-ASan does.
 *
 * Metadata is bounded: one struct per slot (the last block it held: size,
 * allocation and free stacks as stack ids, threads) and a ring of free
 * slot numbers, oldest freed first. A slot disabled after a fault keeps
 * its pages open and is never handed out again. The table holds offsets,
 * never pointers (the leak scan would take them for references).
 *
 * Seeds: as --sample's (sample_seed=N: thread k gets N + k, another
 * stream than --sample's), 0 seeds from the clock, pid and thread.
 *
 * Must never: allocate; hold gs_lock across mprotect, madvise, an unwind
 * or a report; hand glibc a pointer of the region.
 */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "spy.h"
#include "spy_check.h"
#include "spy_guard_sample.h"
#include "spy_sample.h"

#define MAX_SLOTS (1u << 16)

enum { NEVER, LIVE, FREED };

/* offsets into the region, never pointers: the leak scan reads this
 * table as it reads any mapping and must not find references in it */
struct slot {
  uint64_t off, size;             /* the block: spy_gs_lo + off */
  uint32_t alloc_stack, free_stack;
  int32_t alloc_tid, free_tid;
  uint32_t state;               /* NEVER, LIVE, FREED: changed by CAS */
  uint32_t disabled, reported;  /* set once */
};

int spy_gs_on;
uint64_t spy_gs_lo, spy_gs_len;
__thread uint64_t spy_gs_left SPY_TLS;
static __thread uint64_t rng SPY_TLS;
static uint64_t threads_seeded, pg, nslots;
static double log_keep;             /* log(1 - 1/N) */
static struct slot *slots;
static uint32_t *ring, ring_head, ring_count, gs_lock;

void spy_gs_reset_lock(void) { gs_lock = 0; }

int spy_gs_recovers(void) { return spy_gs_on && !spy_opt.halt_on_error; }

/* Each slot page its own mapping, of a page of a memfd (private: a fork
 * copies it), between anonymous guard pages: a mapping the kernel can
 * never merge with its neighbours, so opening and closing a slot changes
 * one mapping's protection. Slots inside the one anonymous reservation
 * would split it into three mappings at each mprotect and merge them
 * back at the next: about 3 us of the kernel's time a guarded block,
 * most of --guard-sample's cost. Without memfd the reservation stays as
 * it is (slower, the same behaviour). */
static void back_slots_by_file(void *region) {
  int fd = memfd_create("heapspy-guard-slots", MFD_CLOEXEC);
  if (fd < 0) return;
  if (ftruncate(fd, (off_t)(nslots * pg)) == 0) {
    for (uint64_t i = 0; i < nslots; i++)
      if (mmap((char *)region + (2 * i + 1) * pg, pg, PROT_NONE, MAP_PRIVATE | MAP_FIXED, fd,
               (off_t)(i * pg)) == MAP_FAILED)
        break;                         /* the rest stay anonymous: still guarded */
  }
  close(fd);
}

void spy_gs_init(void) {
  if (!spy_opt.guard_sample) return;
  if (spy_check_on || spy_guard_on) {
    spy_warn("guard_sample=%u ignored: --check and --guard already guard every block",
             spy_opt.guard_sample);
    return;
  }
  pg = (uint64_t)getpagesize();
  nslots = spy_opt.guard_sample_slots;
  if (nslots < 1) nslots = 1;
  if (nslots > MAX_SLOTS) nslots = MAX_SLOTS;
  size_t meta = (size_t)nslots * (sizeof *slots + sizeof *ring);
  uint64_t len = (2 * nslots + 1) * pg;
  void *m = mmap(NULL, meta, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void *r = m == MAP_FAILED ? MAP_FAILED
                            : mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED) {
    spy_warn("--guard-sample: cannot reserve its %llu slots; it is off", (unsigned long long)nslots);
    return;
  }
  back_slots_by_file(r);
  slots = m;
  ring = (uint32_t *)(slots + nslots);
  for (uint32_t i = 0; i < nslots; i++) ring[i] = i;
  ring_count = (uint32_t)nslots;
  log_keep = log1p(-1.0 / (double)spy_opt.guard_sample);
  spy_gs_lo = (uint64_t)(uintptr_t)r;
  spy_gs_len = len;
  spy_gs_on = 1;
}

/* ---- the countdown --------------------------------------------------------- */

static uint64_t next_random(void) { return spy_xorshift(&rng); }

static void seed(void) {
  uint64_t k = __atomic_fetch_add(&threads_seeded, 1, __ATOMIC_RELAXED);
  uint64_t s = spy_sample_seed(&rng);
  rng = (s + k) * 0xd1b54a32d192ed03ull;   /* not --sample's multiplier: another stream */
  if (!rng) rng = 1;
  for (int i = 0; i < 8; i++) next_random();
}

/* Allocations up to and including the next guarded one: geometric with
 * mean N (each allocation guarded with probability 1/N, independently). */
static uint64_t draw(void) {
  if (log_keep == -INFINITY) return 1;    /* N = 1: every one */
  double u = ((double)(next_random() >> 11) + 1.0) * (1.0 / 9007199254740993.0);  /* (0, 1] */
  double d = floor(log(u) / log_keep) + 1.0;
  return d > 1e18 ? (uint64_t)1e18 : (uint64_t)d;
}

int spy_gs_tick(void) {
  if (!rng) {                          /* this thread's first allocation */
    seed();
    spy_gs_left = draw();
    if (spy_gs_left > 1) {
      spy_gs_left--;
      return 0;
    }
  }
  spy_gs_left = draw();
  return 1;
}

/* ---- slots ------------------------------------------------------------------ */

static uint64_t slot_page(uint64_t i) { return spy_gs_lo + (2 * i + 1) * pg; }

/* Under nothing: the oldest freed slot not disabled, or -1. */
static int64_t take_slot(void) {
  int64_t got = -1;
  spy_lock(&gs_lock);
  while (got < 0 && ring_count) {
    uint32_t i = ring[ring_head];
    ring_head = (uint32_t)((ring_head + 1) % nslots);
    ring_count--;
    if (!__atomic_load_n(&slots[i].disabled, __ATOMIC_RELAXED)) got = i;
  }
  spy_unlock(&gs_lock);
  return got;
}

static void give_slot(uint32_t i) {
  spy_lock(&gs_lock);
  ring[(ring_head + ring_count) % nslots] = i;
  ring_count++;
  spy_unlock(&gs_lock);
}

static uint64_t user_of(const struct slot *s) { return spy_gs_lo + s->off; }

static uint64_t rounding(const struct slot *s, uint64_t align) {
  uint64_t a = align > 16 ? align : 16;
  return ((s->size ? s->size : 1) + a - 1) & ~(a - 1);
}

/* With spy_busy set: a slot's block, or NULL (too big, none free). */
static void *slot_alloc(size_t n, size_t align, uint32_t stack) {
  if (n > pg || align > pg) return NULL;
  int64_t i = take_slot();
  if (i < 0) return NULL;
  uint64_t page = slot_page((uint64_t)i);
  if (mprotect((void *)(uintptr_t)page, pg, PROT_READ | PROT_WRITE)) {
    give_slot((uint32_t)i);
    return NULL;
  }
  struct slot *s = &slots[i];
  s->size = n;
  int right = next_random() >> 63;
  uint64_t span = rounding(s, align);
  s->off = (right ? page + pg - span : page) - spy_gs_lo;
  /* the rounding past an overflow-side block: checked at free */
  if (right) memset((void *)(uintptr_t)(user_of(s) + n), SPY_FILL_RZ, span - n);
  s->alloc_stack = stack;
  s->free_stack = 0;
  s->alloc_tid = spy_gettid();
  s->free_tid = 0;
  __atomic_store_n(&s->state, LIVE, __ATOMIC_RELEASE);
  return (void *)(uintptr_t)user_of(s);
}

void *spy_gs_malloc(size_t n, size_t align, unsigned family) {
  int record = !spy_sampling || !spy_sample_skip(n);
  spy_busy++;
  uint32_t stack = spy_stack_capture();
  void *p = slot_alloc(n, align, stack);
  if (!p) p = align ? __libc_memalign(align, n) : __libc_malloc(n);
  if (p && record) spy_block_add(p, n, family, stack);
  spy_leave();
  return p;
}

/* The slot whose page is page p of the region, or the nearer used
 * neighbour of a guard page; -1 if none. */
static int64_t slot_of(uint64_t addr) {
  uint64_t k = (addr - spy_gs_lo) / pg;
  if (k & 1) return (int64_t)(k - 1) / 2;
  int64_t left = k ? (int64_t)k / 2 - 1 : -1, right = k / 2 < nslots ? (int64_t)k / 2 : -1;
  if (left >= 0 && __atomic_load_n(&slots[left].state, __ATOMIC_ACQUIRE) == NEVER) left = -1;
  if (right >= 0 && __atomic_load_n(&slots[right].state, __ATOMIC_ACQUIRE) == NEVER) right = -1;
  if (left < 0 || right < 0) return left < 0 ? right : left;
  uint64_t past = addr - (user_of(&slots[left]) + slots[left].size);
  uint64_t before = user_of(&slots[right]) - addr;
  return past <= before ? left : right;
}

size_t spy_gs_usable(const void *p) {
  uint64_t a = (uint64_t)(uintptr_t)p;
  if (!spy_gs_owns(p) || !((a - spy_gs_lo) / pg & 1)) return 0;
  const struct slot *s = &slots[slot_of(a)];
  return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == LIVE && user_of(s) == a ? s->size : 0;
}

static const char *verb(unsigned f) {
  return f == HSP_FAM_NEW ? "delete" : f == HSP_FAM_NEW_ARRAY ? "delete[]" : "free";
}

static void bad_free(uint64_t a, int64_t i, uint32_t here, unsigned family) {
  char what[256];
  const struct slot *s = i >= 0 ? &slots[i] : NULL;
  int was = s && user_of(s) == a && __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == FREED;
  if (was) {
    spy_fmt(what, sizeof what, "the %llu-byte block at %p (a --guard-sample slot) was freed already "
            "by thread %d, detected at %s", (unsigned long long)s->size, (void *)(uintptr_t)a,
            (int)s->free_tid, verb(family));
    spy_check_report(HSP_ERR_DOUBLE_FREE, a, s->size, 0, here, s->free_stack, s->alloc_stack, what);
  } else if (s && s->state != NEVER && a >= user_of(s) && a < user_of(s) + s->size) {
    spy_fmt(what, sizeof what, "%p is %llu bytes inside the %llu-byte block at %p, detected at %s",
            (void *)(uintptr_t)a, (unsigned long long)(a - user_of(s)), (unsigned long long)s->size,
            (void *)(uintptr_t)user_of(s), verb(family));
    spy_check_report(HSP_ERR_INVALID_FREE, user_of(s), s->size, (int32_t)(a - user_of(s)), here,
                     s->state == FREED ? s->free_stack : 0, s->alloc_stack, what);
  } else {
    spy_fmt(what, sizeof what, "%p was not returned by malloc (a --guard-sample slot holds no block "
            "there), detected at %s", (void *)(uintptr_t)a, verb(family));
    spy_check_report(HSP_ERR_INVALID_FREE, a, 0, 0, here, 0, 0, what);
  }
}

static void check_rounding(const struct slot *s, uint32_t here, unsigned family) {
  uint64_t end = user_of(s) + s->size, page_end = (user_of(s) & ~(pg - 1)) + pg;
  if (!(user_of(s) & (pg - 1))) return;        /* left edge: no rounding to check */
  long last, first = spy_check_scan((const unsigned char *)(uintptr_t)end, page_end - end, SPY_FILL_RZ, &last);
  if (first < 0) return;
  char what[256];
  spy_fmt(what, sizeof what, "%ld byte%s past the %llu-byte block at %p (first at offset %llu, "
          "before the guard page), detected at %s", last + 1, last ? "s" : "",
          (unsigned long long)s->size, (void *)(uintptr_t)user_of(s),
          (unsigned long long)(s->size + (uint64_t)first), verb(family));
  spy_check_report(HSP_ERR_HEAP_OVERFLOW, user_of(s), s->size, (int32_t)(s->size + (uint64_t)first),
                   here, 0, s->alloc_stack, what);
}

void spy_gs_release(void *p, unsigned family) {
  int record = spy_status == SPY_READY && !spy_busy;
  if (record) {
    spy_busy++;
    if (spy_sampling) spy_sample_here()->frees++;
    if (!spy_sampling || spy_sample_maybe(p)) spy_block_remove(p, NULL, NULL);
  }
  uint64_t a = (uint64_t)(uintptr_t)p;
  int64_t i = slot_of(a);
  struct slot *s = i >= 0 ? &slots[i] : NULL;
  uint32_t live = LIVE;
  if (!s || user_of(s) != a || !__atomic_compare_exchange_n(&s->state, &live, FREED, 0, __ATOMIC_ACQ_REL,
                                                          __ATOMIC_ACQUIRE)) {
    if (record) {
      bad_free(a, i, spy_stack_capture(), family);
      spy_leave();
    }
    return;
  }
  uint32_t here = record ? spy_stack_capture() : 0;
  if (record) check_rounding(s, here, family);
  s->free_stack = here;
  s->free_tid = spy_gettid();
  if (!__atomic_load_n(&s->disabled, __ATOMIC_ACQUIRE)) {
    void *page = (void *)(uintptr_t)slot_page((uint64_t)i);
    mprotect(page, pg, PROT_NONE);      /* kept committed: a page a slot, no refault */
    give_slot((uint32_t)i);
  }
  if (record) spy_leave();
}

/* ---- the crash path ------------------------------------------------------------ */

int spy_gs_find(uint64_t addr, struct spy_near *out) {
  if (!spy_gs_owns((void *)(uintptr_t)addr)) return 0;
  int64_t i = slot_of(addr);
  if (i < 0) return 0;
  const struct slot *s = &slots[i];
  uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
  *out = (struct spy_near){ user_of(s), s->size, s->alloc_stack, st == FREED ? s->free_stack : 0,
                            st == FREED };
  return 1;
}

int spy_gs_recover(int sig, const void *siginfo, void *ucontext) {
  const siginfo_t *si = siginfo;
  if (sig != SIGSEGV || !spy_gs_recovers() || !si || si->si_code <= 0) return 0;
  uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
  if (!spy_gs_owns((void *)(uintptr_t)addr)) return 0;
  int64_t i = slot_of(addr);
  if (i < 0) return 0;                 /* no block explains it: the program dies of it */
  struct slot *s = &slots[i];
  __atomic_store_n(&s->disabled, 1, __ATOMIC_RELEASE);
  /* detached: the profile is closed, the fault only opened */
  if (!__atomic_exchange_n(&s->reported, 1, __ATOMIC_ACQ_REL) && (!spy_attached || spy_status == SPY_READY))
    spy_crash_explain(sig, si, ucontext);
  /* open the faulting page (a guard page or the freed slot's) and the
   * slot's: the instruction runs again, and the slot stays out of use */
  void *page = (void *)(uintptr_t)(addr & ~(pg - 1));
  if (mprotect(page, pg, PROT_READ | PROT_WRITE)) return 0;
  mprotect((void *)(uintptr_t)slot_page((uint64_t)i), pg, PROT_READ | PROT_WRITE);
  return 1;
}
