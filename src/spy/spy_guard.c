/*
 * spy_guard.c: --guard, the page heap. Each block gets pages of its own
 * in one reserved region of address space (PROT_NONE until used), placed
 * so that its end touches an inaccessible guard page (guard=underflow:
 * its start follows one). A freed block's pages are made inaccessible
 * and decommitted while it sits in a FIFO quarantine (check_quarantine
 * bytes of blocks, no memory held), so the first bad read or write faults
 * at the culprit instruction; spy_crash.c turns the fault into a report.
 *
 * Layout, overflow side (a = max(16, alignment), at most a page):
 *   [ data pages: front slack | user block, n bytes, slack < a ][ guard page ]
 * the block ends at the guard page rounded up to a, like Windows' page
 * heap: malloc's 16-byte alignment leaves up to 15 bytes of slack, filled
 * with 0xab and checked at free (so is the front slack: an underflow
 * within the first page is found at free). guard=exact gives that
 * alignment up for the size's own (the largest power of two dividing n,
 * at most 16: a 20-byte block is 4-aligned, a 24-byte one 8-aligned), so
 * the block ends exactly at the guard page and its first byte past faults;
 * objects keep the alignment of their members (pointer tags in the low
 * bits survive), code that wants 16 bytes for any size (SSE loads of a
 * string) may fault. Underflow side:
 *   [ guard page ][ user block | slack to the page end ]
 * Both are derived from the block's address and size, so the live table
 * is the only record of a live block. Every live block costs at least one
 * page of memory plus one of address space, and two memory mappings
 * (vm.max_map_count). Guarded blocks stop at a budget that leaves an
 * eighth of the mappings (at least 8192) to the program's own mmaps;
 * past it, or when the kernel refuses (ENOMEM) or the region is used up,
 * one warning is printed and blocks fall back to --check's red zones
 * until guarded ones are freed.
 *
 * A fault is stepped over unless --halt-on-error (memcheck and ASan's
 * recoverable mode): the page is opened, the trap flag set, the faulting
 * instruction completes, and the SIGTRAP after it closes the page again
 * (spy_guard_recover); the report is made once per block and direction.
 *
 * Evicted blocks' pages are recycled by page count; larger ones leave
 * their address space unused (the region is big). Tables hold page
 * numbers, never pointers, so the leak scan cannot mistake them for
 * references to live blocks.
 *
 * Must never: allocate; hold guard_lock across a system call, an unwind
 * or a report; hand glibc a pointer of the region.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "spy.h"
#include "spy_check.h"

#define NCLASS 16                 /* recycled runs of 1..NCLASS pages */
#define FL_CAP (1u << 20)         /* per class */
#define Q_CAP (1u << 20)          /* quarantined blocks at most */
#define RETRY_EVERY 1024          /* allocations between retries after ENOMEM */

int spy_guard_on;

struct gq { uint64_t user, size; uint32_t alloc_stack, free_stack; };

static uint64_t pg, region_lo, region_hi, cursor;
static uint64_t dump_hi;          /* [region_lo, dump_hi) goes in core files (dump_upto) */
static int underflow;
static int exact;                 /* guard=exact: blocks end at the guard page, any alignment */
static uint32_t *freelist[NCLASS + 1], fl_count[NCLASS + 1];
static struct gq *ring;
static uint64_t q_head, q_count, q_bytes;
static uint32_t guard_lock;
static unsigned backoff;          /* allocations left to skip after ENOMEM */
static int warned;
static uint64_t live, budget;     /* guarded live blocks, and how many may be */
static uint64_t live_data, live_user;   /* their accessible pages, and the program's bytes in them */
static uint64_t tables_vm;        /* the ring's and free lists' address space */
static uint64_t recycled;         /* free-list pages handed out (under guard_lock) */
static int stepping;              /* 1: faults are stepped over (SIGTRAP is ours) */

void spy_guard_own(uint64_t *rss, uint64_t *vm) {
  if (!spy_guard_on) return;
  uint64_t data = __atomic_load_n(&live_data, __ATOMIC_RELAXED);
  uint64_t user = __atomic_load_n(&live_user, __ATOMIC_RELAXED);
  *rss += data > user ? data - user : 0;  /* each block's page rounding */
  *vm += region_hi - region_lo + tables_vm;   /* the region, guard pages included, and tables */
}

/* A table (the region is spy_reserve's, counted by its bounds). */
static void *map(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return NULL;
  tables_vm += bytes;
  return p;
}

static void install_step_handler(void);

void spy_guard_init(void) {
  const char *g = spy_opt.guard;
  if (!g[0] || !strcmp(g, "0") || !strcmp(g, "no")) return;
  underflow = !strcmp(g, "underflow");
  exact = !strcmp(g, "exact");
  if (!underflow && !exact && strcmp(g, "overflow") && strcmp(g, "1") && strcmp(g, "yes")) {
    spy_warn("--guard: unknown side '%s' (overflow, underflow or exact); guard is off", g);
    return;
  }
  if (!spy_check_on) return;              /* its tables hold our fallbacks */
  pg = (uint64_t)getpagesize();
  ring = map(sizeof *ring * Q_CAP);
  for (unsigned c = 1; c <= NCLASS && ring; c++)
    if (!(freelist[c] = map(sizeof(uint32_t) * FL_CAP))) ring = NULL;
  void *r = NULL;
  uint64_t size = 64ull << 30;            /* 16M pages: page numbers fit 32 bits */
  for (; ring && size >= (1ull << 30) && !(r = spy_reserve(size)); size >>= 1) {}
  if (!r) {
    spy_warn("--guard: cannot reserve address space for the page heap; guard is off (--check stays on)");
    return;
  }
  /* two mappings per live block; the program keeps an eighth (at least
   * 8192) of what the kernel allows for its own mmaps */
  uint64_t maps = 65530;
  char buf[32];
  int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
  ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0) close(fd);
  if (got > 0) {
    maps = 0;
    for (ssize_t i = 0; i < got && buf[i] >= '0' && buf[i] <= '9'; i++) maps = maps * 10 + (uint64_t)(buf[i] - '0');
  }
  uint64_t keep = maps / 8 > 8192 ? maps / 8 : 8192;
  budget = maps > keep ? (maps - keep) / 2 : 0;
  region_lo = cursor = dump_hi = (uint64_t)(uintptr_t)r;
  region_hi = region_lo + size;
  spy_guard_on = 1;
  if (!spy_opt.halt_on_error) install_step_handler();
}

int spy_guard_owns(const void *p) {
  uint64_t a = (uint64_t)(uintptr_t)p;
  return a - region_lo < region_hi - region_lo;     /* 0 when off */
}

/* ---- geometry: everything follows from (user, size) -------------------- */

struct span { uint64_t base, pages, data, data_len, slack, slack_len, front_len; };

static struct span span_of(uint64_t user, uint64_t size) {
  struct span s;
  if (underflow) {
    s.data = user;
    s.data_len = ((size ? size : 1) + pg - 1) & ~(pg - 1);
    s.base = user - pg;
  } else {
    uint64_t end = (user + size + pg - 1) & ~(pg - 1);   /* the guard page */
    s.data = user & ~(pg - 1);
    s.data_len = end - s.data;
    s.base = s.data;
  }
  s.pages = s.data_len / pg + 1;
  s.front_len = user - s.data;
  s.slack = user + size;
  s.slack_len = underflow ? s.data + s.data_len - s.slack
                          : ((s.slack + 15) & ~15ull) - s.slack;  /* see the alloc */
  return s;
}

/* ---- address space (under guard_lock) ---------------------------------- */

static uint64_t take_pages(uint64_t pages) {
  if (pages <= NCLASS && fl_count[pages]) {
    recycled++;
    return region_lo + (uint64_t)freelist[pages][--fl_count[pages]] * pg;
  }
  if (cursor + pages * pg > region_hi || cursor + pages * pg < cursor) return 0;
  uint64_t base = cursor;
  cursor += pages * pg;
  return base;
}

/* The region is reserved out of core files (spy_reserve): what the
 * cursor has reached goes back in, a step at a time, so a core holds the
 * blocks (gdb's gcore writes the pages of freed ones as zeros), not 64
 * GiB. Outside guard_lock (a system call); the mark moves first, so two
 * threads never ask for the same step. */
#define DUMP_STEP (64ull << 20)

static void dump_upto(uint64_t end) {
  uint64_t hi = __atomic_load_n(&dump_hi, __ATOMIC_ACQUIRE);
  while (end > hi) {
    uint64_t to = region_lo + (end - region_lo + DUMP_STEP - 1) / DUMP_STEP * DUMP_STEP;
    if (to > region_hi) to = region_hi;
    if (__atomic_compare_exchange_n(&dump_hi, &hi, to, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      madvise((void *)(uintptr_t)hi, to - hi, MADV_DODUMP);
      return;
    }
  }
}

static void give_pages(uint64_t base, uint64_t pages) {
  if (pages <= NCLASS && fl_count[pages] < FL_CAP)
    freelist[pages][fl_count[pages]++] = (uint32_t)((base - region_lo) / pg);
}

/* ---- allocation --------------------------------------------------------- */

static void out_of_mappings(int err) {
  backoff = RETRY_EVERY;
  if (__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED)) return;
  if (err == E2BIG)
    spy_warn("--guard: %llu live blocks use the memory mappings the kernel allows (vm.max_map_count, "
             "some kept for the program); later blocks get red zones instead of guard pages until "
             "some are freed", (unsigned long long)budget);
  else
    spy_warn("--guard: %s; later blocks get red zones instead of guard pages until some are freed",
             err == ENOMEM ? "the kernel refused more memory mappings (vm.max_map_count) or memory"
                           : "the page heap's address space is used up");
}

void *spy_guard_alloc(size_t n, size_t align, int zero) {
  uint64_t a = align > 16 ? align : 16;
  if (exact && align <= 16) {       /* n's own alignment: n is a multiple of it */
    uint64_t natural = n ? (uint64_t)n & -(uint64_t)n : 16;
    a = natural < 16 ? natural : 16;
    if (a < align) a = align;
  }
  if (a > pg || n > (1ull << 40)) return NULL;     /* not guarded: red zones */
  if (SPY_UNLIKELY(backoff) && __atomic_load_n(&backoff, __ATOMIC_RELAXED)) {
    __atomic_sub_fetch(&backoff, 1, __ATOMIC_RELAXED);
    return NULL;
  }
  if (__atomic_load_n(&live, __ATOMIC_RELAXED) >= budget) { out_of_mappings(E2BIG); return NULL; }
  uint64_t rounded = (n + a - 1) & ~(a - 1);
  uint64_t data_len = underflow ? (((n ? n : 1) + pg - 1) & ~(pg - 1))
                                : ((rounded + pg - 1) & ~(pg - 1));
  uint64_t pages = data_len / pg + 1;
  spy_lock(&guard_lock);
  uint64_t base = take_pages(pages);
  spy_unlock(&guard_lock);
  if (!base) { out_of_mappings(0); return NULL; }
  dump_upto(base + pages * pg);
  uint64_t data = underflow ? base + pg : base;
  if (data_len && mprotect((void *)(uintptr_t)data, data_len, PROT_READ | PROT_WRITE)) {
    int err = errno;
    spy_lock(&guard_lock);
    give_pages(base, pages);
    spy_unlock(&guard_lock);
    out_of_mappings(err);
    return NULL;
  }
  __atomic_add_fetch(&live, 1, __ATOMIC_RELAXED);
  unsigned char *user = (unsigned char *)(uintptr_t)(underflow ? data : data + data_len - rounded);
  /* pages are fresh or were decommitted: zero already */
  if (!zero && spy_opt.check_fill) memset(user, SPY_FILL_NEW, n < SPY_FILL_MAX ? n : SPY_FILL_MAX);  /* as --check */
  struct span s = span_of((uint64_t)(uintptr_t)user, n);
  __atomic_add_fetch(&live_data, s.data_len, __ATOMIC_RELAXED);   /* as decommit takes it back */
  __atomic_add_fetch(&live_user, n, __ATOMIC_RELAXED);
  /* overflow side: the slack checked at free is the block's 16-byte
   * rounding; an over-aligned block's extra slack (< a) stays zero */
  memset((void *)(uintptr_t)s.slack, SPY_FILL_RZ, s.slack_len);
  memset((void *)(uintptr_t)s.data, SPY_FILL_RZ, s.front_len);
  return user;
}

/* ---- free and quarantine ------------------------------------------------- */

/* A live block of n bytes leaves: its pages go inaccessible and empty. */
static void decommit(const struct span *s, uint64_t n) {
  __atomic_sub_fetch(&live, 1, __ATOMIC_RELAXED);
  __atomic_sub_fetch(&live_data, s->data_len, __ATOMIC_RELAXED);
  __atomic_sub_fetch(&live_user, n, __ATOMIC_RELAXED);
  if (!s->data_len) return;
  void *d = (void *)(uintptr_t)s->data;
  mprotect(d, s->data_len, PROT_NONE);    /* merges with its neighbours: cannot need a mapping */
  madvise(d, s->data_len, MADV_DONTNEED);
}

static void check_slack(uint64_t user, uint64_t size, uint32_t alloc, uint32_t here, const char *at) {
  struct span s = span_of(user, size);
  char what[256];
  long last, first = spy_check_scan((const unsigned char *)(uintptr_t)s.data, s.front_len, SPY_FILL_RZ, &last);
  if (first >= 0) {
    long before = (long)s.front_len - first;
    spy_fmt(what, sizeof what, "%ld byte%s before the %llu-byte block at %p (first at offset -%ld, "
            "in the page before it), detected at %s", before, before > 1 ? "s" : "",
            (unsigned long long)size, (void *)(uintptr_t)user, before, at);
    spy_check_report(HSP_ERR_HEAP_UNDERFLOW, user, size, (int32_t)-before, here, 0, alloc, what);
  }
  first = spy_check_scan((const unsigned char *)(uintptr_t)s.slack, s.slack_len, SPY_FILL_RZ, &last);
  if (first < 0) return;
  spy_fmt(what, sizeof what, "%ld byte%s past the %llu-byte block at %p (first at offset %llu, "
          "in the slack %s), detected at %s", last + 1, last ? "s" : "", (unsigned long long)size, (void *)(uintptr_t)user,
          (unsigned long long)(size + (uint64_t)first),
          underflow ? "after it" : "before the guard page", at);
  spy_check_report(HSP_ERR_HEAP_OVERFLOW, user, size, (int32_t)(size + (uint64_t)first), here, 0,
                   alloc, what);
}

static const char *verb(unsigned f) {
  return f == HSP_FAM_NEW ? "delete" : f == HSP_FAM_NEW_ARRAY ? "delete[]" : "free";
}

void spy_guard_free(void *p, unsigned family) {
  struct hsp_block b;
  if (!spy_block_take(p, &b)) { spy_guard_diagnose(p, verb(family)); return; }
  struct gq e = { (uint64_t)(uintptr_t)p, HSP_BLOCK_SIZE(&b), b.stack, spy_stack_capture() };
  check_slack(e.user, e.size, e.alloc_stack, e.free_stack, verb(family));
  spy_check_family(e.user, e.size, HSP_BLOCK_FAMILY(&b), family, e.free_stack, e.alloc_stack);
  struct span s = span_of(e.user, e.size);
  decommit(&s, e.size);
  struct gq out[8];
  unsigned nout = 0;
  spy_lock(&guard_lock);
  while (q_count && (q_count == Q_CAP || q_bytes + e.size > spy_opt.check_quarantine) && nout < 8) {
    out[nout] = ring[q_head];
    memset(&ring[q_head], 0, sizeof *ring);
    q_head = (q_head + 1) % Q_CAP;
    q_count--;
    q_bytes -= out[nout++].size;
  }
  int held = q_count < Q_CAP && q_bytes + e.size <= spy_opt.check_quarantine;
  if (held) {
    ring[(q_head + q_count) % Q_CAP] = e;
    q_count++;
    q_bytes += e.size;
  }
  for (unsigned k = 0; k < nout; k++) {
    struct span o = span_of(out[k].user, out[k].size);
    give_pages(o.base, o.pages);
  }
  if (!held) give_pages(s.base, s.pages);
  spy_unlock(&guard_lock);
}

/* A quarantined block holding addr (or starting at it): 1 and *out. */
static int quarantined(uint64_t addr, struct gq *out) {
  int found = 0;
  for (uint64_t k = 0; k < q_count && !found; k++) {
    const struct gq *e = &ring[(q_head + k) % Q_CAP];
    struct span s = span_of(e->user, e->size);
    if (addr >= s.base && addr < s.base + s.pages * pg) { *out = *e; found = 1; }
  }
  return found;
}

void spy_guard_diagnose(void *p, const char *at) {
  uint64_t user = (uint64_t)(uintptr_t)p;
  char what[256];
  struct gq q;
  struct hsp_block b;
  spy_lock(&guard_lock);
  int was = quarantined(user, &q) && q.user == user;
  spy_unlock(&guard_lock);
  if (was) {
    spy_fmt(what, sizeof what, "the %llu-byte block at %p was freed already, detected at %s",
            (unsigned long long)q.size, p, at);
    spy_check_report(HSP_ERR_DOUBLE_FREE, user, q.size, 0, spy_stack_capture(), q.free_stack,
                     q.alloc_stack, what);
  } else if (spy_block_containing(user, &b)) {
    spy_fmt(what, sizeof what, "%p is %llu bytes inside the %llu-byte block at %p, detected at %s",
            p, (unsigned long long)(user - b.ptr), (unsigned long long)HSP_BLOCK_SIZE(&b),
            (void *)(uintptr_t)b.ptr, at);
    spy_check_report(HSP_ERR_INVALID_FREE, b.ptr, HSP_BLOCK_SIZE(&b), (int32_t)(user - b.ptr),
                     spy_stack_capture(), 0, b.stack, what);
  } else {
    spy_fmt(what, sizeof what, "%p was not returned by malloc (the guard heap holds no block there), "
            "detected at %s", p, at);
    spy_check_report(HSP_ERR_INVALID_FREE, user, 0, 0, spy_stack_capture(), 0, 0, what);
  }
}

/* fork: the child gets the tables in a consistent state. */
void spy_guard_fork(int phase) {
  if (!spy_guard_on) return;
  if (phase == 0) spy_lock(&guard_lock);
  else if (phase == 1) spy_unlock(&guard_lock);
  else guard_lock = 0;
}

/* The spy is off (a forked child not spied): give the pages back. */
void spy_guard_free_off(void *p) {
  struct hsp_block b;
  if (!spy_block_take(p, &b)) return;     /* double or invalid: leave it */
  struct span s = span_of((uint64_t)(uintptr_t)p, HSP_BLOCK_SIZE(&b));
  decommit(&s, HSP_BLOCK_SIZE(&b));
  spy_lock(&guard_lock);
  give_pages(s.base, s.pages);
  spy_unlock(&guard_lock);
}

/* ---- the crash path: which block do a fault's pages belong to? ---------- */

struct want { uint64_t addr; };

static int64_t holds(const struct hsp_block *b, void *ctx) {
  uint64_t addr = ((struct want *)ctx)->addr;
  if (!spy_guard_owns((void *)(uintptr_t)b->ptr)) return -1;
  struct span s = span_of(b->ptr, HSP_BLOCK_SIZE(b));
  return addr >= s.base && addr < s.base + s.pages * pg ? 0 : -1;
}

int spy_guard_find(uint64_t addr, struct spy_near *out) {
  if (!spy_guard_owns((void *)(uintptr_t)addr)) return 0;
  struct want w = { addr };
  struct hsp_block b;
  if (spy_blocks_best(holds, &w, &b)) {
    *out = (struct spy_near){ b.ptr, HSP_BLOCK_SIZE(&b), b.stack, 0, 0 };
    return 1;
  }
  struct gq q;                            /* no lock: the holder may be us */
  if (!quarantined(addr, &q)) return 0;
  *out = (struct spy_near){ q.user, q.size, q.alloc_stack, q.free_stack, 1 };
  return 1;
}

/* ---- stepping over a fault ------------------------------------------------
 * The faulting thread's page is opened and the trap flag set; the CPU
 * runs the one instruction and raises SIGTRAP (TRAP_TRACE), whose handler
 * closes the page. Another thread touching the page in that window is not
 * caught (a miss, never a false report). If the page was handed to a new
 * block meanwhile (`recycled` moved), it is left open rather than taken
 * from that block: a guard page less, never a live block made
 * inaccessible. The close holds guard_lock across mprotect and madvise,
 * against the rule of this file: only here, rarely, and the thread was
 * interrupted in the program's code, so it holds no spy lock itself. */

#define TRAP_FLAG 0x100ull         /* EFLAGS.TF */
#define MAX_SITES 256

/* This thread's open page. Set already at a fault: the step never ended,
 * because another thread's step closed the page under this one's retry;
 * it is opened again. (An instruction faulting on two pages leaves the
 * first open: a miss, as above.) */
static __thread uint64_t step_page SPY_TLS, step_gen SPY_TLS;
static uint64_t sites[MAX_SITES];  /* blocks and directions already reported */
static uint32_t nsites;

static void step_done(int sig, siginfo_t *si, void *ucontext) {
  ucontext_t *uc = ucontext;
  (void)si;
  if (!step_page) {                /* not our step: the default action, as before us */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  spy_lock(&guard_lock);
  if (recycled == step_gen) {
    mprotect((void *)(uintptr_t)step_page, pg, PROT_NONE);
    madvise((void *)(uintptr_t)step_page, pg, MADV_DONTNEED);
  }
  spy_unlock(&guard_lock);
  step_page = 0;
  uc->uc_mcontext.gregs[REG_EFL] &= ~(greg_t)TRAP_FLAG;
}

/* Only when the program leaves SIGTRAP alone (no handler of its own). */
static void install_step_handler(void) {
  struct sigaction old, sa;
  if (sigaction(SIGTRAP, NULL, &old) || old.sa_handler != SIG_DFL) return;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = step_done;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  stepping = sigaction(SIGTRAP, &sa, NULL) == 0;
}

/* 1 the first time this key faults. */
static int first_at(uint64_t key) {
  uint32_t n = __atomic_load_n(&nsites, __ATOMIC_ACQUIRE);
  for (uint32_t i = 0; i < n && i < MAX_SITES; i++)
    if (__atomic_load_n(&sites[i], __ATOMIC_RELAXED) == key) return 0;
  uint32_t k = __atomic_fetch_add(&nsites, 1, __ATOMIC_ACQ_REL);
  if (k < MAX_SITES) __atomic_store_n(&sites[k], key, __ATOMIC_RELEASE);
  return 1;                        /* past MAX_SITES every fault is reported */
}


int spy_guard_recover(int sig, const void *siginfo, void *ucontext) {
  const siginfo_t *si = siginfo;
  ucontext_t *uc = ucontext;
  if (sig != SIGSEGV || !stepping || spy_opt.halt_on_error || !si || si->si_code <= 0) return 0;
  uint64_t addr = (uint64_t)(uintptr_t)si->si_addr, page = addr & ~(pg - 1);
  struct spy_near b;
  /* a fault no block explains (its block evicted from the quarantine)
   * stays fatal: stepping over it would hide it */
  if (!spy_guard_owns((void *)(uintptr_t)addr) || !spy_guard_find(addr, &b)) return 0;
  spy_lock(&guard_lock);
  step_gen = recycled;
  spy_unlock(&guard_lock);
  if (mprotect((void *)(uintptr_t)page, pg, PROT_READ | PROT_WRITE)) return 0;
  /* once per block and direction: a loop running off a block, or a
   * memcpy's two stores past it, is one report; a read and a write of a
   * freed block are two, as memcheck's contexts */
  int write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
  if (first_at(b.user << 1 | (uint64_t)write)) spy_crash_explain(sig, si, uc);
  step_page = page;
  uc->uc_mcontext.gregs[REG_EFL] |= (greg_t)TRAP_FLAG;
  return 1;
}
