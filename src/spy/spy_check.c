/*
 * spy_check.c: --check, heap corruption caught without recompiling.
 * Every block gets red zones filled with 0xab (16 bytes each side; in
 * front, before the zone, the block's record, spy_records.c; `align`
 * bytes in front of an over-aligned block, which keeps its alignment),
 * new memory is filled with 0xbe (its first 4 KiB, like ASan;
 * check_fill=0: not), freed memory is
 * poisoned with 0xfd and held in a FIFO quarantine (check_quarantine
 * bytes, default 16 MiB) before glibc gets it back. Zones are verified at
 * free, poison when a block leaves the quarantine, at leak checks and at
 * exit. Findings go to stderr at once (one ASan-shaped line) and to the
 * profile's errors (spy_error_record_heap).
 *
 * Layout: raw (from glibc) = user - front, front SPY_FRONT (32: the record,
 * then the zone) or the alignment; blocks are known by user, the pointer
 * the program sees, through their records (or the live table, where the
 * records are off: --guard, --trace, attach, check_records=0);
 * over-aligned users (front > 32) are listed in a side table. A pointer
 * neither knows is a double
 * free (quarantined), an invalid free (interior of a live block, stack,
 * global, unmapped: reported, never freed), or an untracked glibc block
 * (allocated before the spy was ready or by the spy itself): freed as is.
 * Frees are counted when the program frees, not at eviction.
 *
 * The quarantine itself (per-thread rings, the shared ring, eviction
 * order, its locks) is spy_quarantine.c; it hands every block it evicts back here
 * (spy_check_release), so all verdicts and reports live in this file.
 * The over-aligned side table has a lock of its own (al_lock), a leaf:
 * nothing else is taken while it is held.
 *
 * Must never: allocate; hold al_lock while unwinding or recording an
 * error; hand glibc a pointer it did not return.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "spy.h"
#include "spy_check.h"

#define AL_CAP (1u << 18)         /* over-aligned live blocks */
#define FAM_UNKNOWN 0xff

int spy_check_on;

struct al { uint64_t user, front; };

static struct al *altab;          /* AL_CAP slots */
static uint64_t al_count;
static uint32_t al_lock;

void spy_check_init(void) {
  void *p = mmap(NULL, sizeof *altab * AL_CAP, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  altab = p == MAP_FAILED ? NULL : p;
  if (!altab || spy_quarantine_init() < 0) {
    spy_warn("--check: cannot map its tables; checking is off");
    return;
  }
  spy_check_on = 1;
}

/* fork: the quarantine, then the side table, then --guard's. */
void spy_check_lock(void) {
  if (spy_check_on) {
    spy_quarantine_lock();
    spy_lock(&al_lock);
  }
  spy_guard_fork(0);
}
void spy_check_unlock(void) {
  spy_guard_fork(1);
  if (spy_check_on) {
    spy_unlock(&al_lock);
    spy_quarantine_unlock();
  }
}
void spy_check_reset_lock(void) {
  al_lock = 0;
  spy_origin_reset_lock();
  spy_quarantine_reset_lock();
  spy_guard_fork(2);
}

static inline uint64_t hslot(uint64_t p, uint64_t mask) {
  return ((p >> 4) * 0x9E3779B97F4A7C15ull >> 24) & mask;
}
/* Linear probing, deletion by backward shift: may the entry at j (home
 * k) move into the hole at i? Only if k is not cyclically in (i, j]. */
static inline int may_move(uint64_t i, uint64_t j, uint64_t k) {
  return i <= j ? (k <= i || k > j) : (k <= i && k > j);
}

/* ---- over-aligned blocks: user -> front (under al_lock) ---------------- */

static int al_insert(uint64_t user, uint64_t front) {
  spy_lock(&al_lock);
  int ok = al_count < AL_CAP / 2;
  if (ok) {
    uint64_t m = AL_CAP - 1, i = hslot(user, m);
    while (altab[i].user) i = (i + 1) & m;
    altab[i] = (struct al){ user, front };
    __atomic_store_n(&al_count, al_count + 1, __ATOMIC_RELAXED);
  }
  spy_unlock(&al_lock);
  return ok;
}

static uint64_t front_of(uint64_t user, int remove) {
  if (!__atomic_load_n(&al_count, __ATOMIC_RELAXED)) return SPY_FRONT;
  uint64_t front = SPY_FRONT, m = AL_CAP - 1;
  spy_lock(&al_lock);
  uint64_t i = hslot(user, m);
  while (altab[i].user && altab[i].user != user) i = (i + 1) & m;
  if (altab[i].user) {
    front = altab[i].front;
    if (remove) {
      for (uint64_t j = i;;) {
        j = (j + 1) & m;
        if (!altab[j].user) break;
        if (may_move(i, j, hslot(altab[j].user, m))) { altab[i] = altab[j]; i = j; }
      }
      altab[i].user = 0;
      __atomic_store_n(&al_count, al_count - 1, __ATOMIC_RELAXED);
    }
  }
  spy_unlock(&al_lock);
  return front;
}

/* ---- reports ----------------------------------------------------------- */

const char *spy_heap_kind_name(unsigned k) {
  switch (k) {
  case HSP_ERR_USE_AFTER_FREE: return "use_after_free";
  case HSP_ERR_DOUBLE_FREE: return "double_free";
  case HSP_ERR_INVALID_FREE: return "invalid_free";
  case HSP_ERR_HEAP_OVERFLOW: return "heap_overflow";
  case HSP_ERR_HEAP_UNDERFLOW: return "heap_underflow";
  case HSP_ERR_BAD_ACCESS: return "bad_access";
  default: return "mismatched_free";
  }
}

/* One line on stderr now, ASan's order (kind, the bad address, then the
 * story), and one record in the profile. */
void spy_check_report(unsigned kind, uint64_t addr, uint64_t size, int32_t offset,
                      uint32_t access, uint32_t freed, uint32_t alloc, const char *what) {
  char line[512];
  uint64_t bad = kind == HSP_ERR_MISMATCHED_FREE ? addr : addr + (uint64_t)(int64_t)offset;
  size_t n = spy_fmt(line, sizeof line, "heapspy: ERROR: %s on address %p: %s\n", spy_heap_kind_name(kind),
                     (void *)(uintptr_t)bad, what);
  ssize_t w = spy_silent ? 0 : write(2, line, n);
  (void)w;
  spy_error_record_heap(kind, addr, size, offset, access, freed, alloc);
  if (spy_opt.halt_on_error) raise(SIGABRT);
}

/* Bytes of [p, p+n) that are not v: first and last index, or -1. The
 * clean case (every eviction scans a whole block) is one memcmp of the
 * range against itself shifted by 8: equal, with the first 8 bytes all v,
 * means every byte is v; up to 64 bytes, a few word compares. */
long spy_check_scan(const unsigned char *p, size_t n, unsigned char v, long *last) {
  size_t i = 0;
  const uint64_t w = 0x0101010101010101ull * v;
  if (n >= 8) {
    uint64_t x;
    int clean;
    if (n <= 64) {                 /* red zones and small blocks: words, no call */
      memcpy(&x, p + n - 8, 8);
      clean = x == w;
      for (size_t k = 0; k + 8 <= n && clean; k += 8) {
        memcpy(&x, p + k, 8);
        clean = x == w;
      }
    } else {
      memcpy(&x, p, 8);
      clean = x == w && !memcmp(p, p + 8, n - 8);
    }
    if (clean) { *last = -1; return -1; }
  }
  long first = -1;
  *last = -1;
  for (; i < n; i++)
    if (p[i] != v) {
      if (first < 0) first = (long)i;
      *last = (long)i;
    }
  return first;
}

static void check_zones(uint64_t user, uint64_t size, uint64_t front, uint32_t alloc,
                        uint32_t here, const char *at) {
  const unsigned char *u = (const unsigned char *)(uintptr_t)user;
  char what[256];
  long last, first = spy_check_scan(u + size, SPY_RZ, SPY_FILL_RZ, &last);
  if (first >= 0) {
    spy_fmt(what, sizeof what, "%s%ld byte%s past the %llu-byte block at %p (first at offset %llu), detected at %s",
            last + 1 == SPY_RZ ? "at least " : "", last + 1, last ? "s" : "",
            (unsigned long long)size, (void *)u, (unsigned long long)(size + (uint64_t)first), at);
    spy_check_report(HSP_ERR_HEAP_OVERFLOW, user, size, (int32_t)(size + (uint64_t)first), here, 0, alloc, what);
    memset((void *)(u + size), SPY_FILL_RZ, SPY_RZ);       /* reported once */
  }
  /* the zone before the record (over-aligned blocks), then after it */
  first = spy_check_scan(u - front, front - SPY_FRONT, SPY_FILL_RZ, &last);
  long zone_at = (long)front;
  if (first < 0) {
    first = spy_check_scan(u - SPY_RZ, SPY_RZ, SPY_FILL_RZ, &last);
    zone_at = SPY_RZ;
  }
  if (first >= 0) {
    long before = zone_at - first;
    spy_fmt(what, sizeof what, "%s%ld byte%s before the %llu-byte block at %p (first at offset -%ld), detected at %s",
            first == 0 ? "at least " : "", before, before > 1 ? "s" : "",
            (unsigned long long)size, (void *)u, before, at);
    spy_check_report(HSP_ERR_HEAP_UNDERFLOW, user, size, (int32_t)-before, here, 0, alloc, what);
    memset((void *)(u - front), SPY_FILL_RZ, front - SPY_FRONT);
    memset((void *)(u - SPY_RZ), SPY_FILL_RZ, SPY_RZ);
  }
}

void spy_check_broken_record(uint64_t user, struct hsp_block *out, int report) {
  /* a lookup may come from the crash path: no side-table lock there, and
   * an over-aligned block's front then guessed, so the chunk size read
   * is checked before it is believed */
  uint64_t front = report ? front_of(user, 0) : SPY_FRONT;
  uint64_t field = ((const uint64_t *)(uintptr_t)(user - front))[-1], csize = field & ~7ull;
  uint64_t usable = csize - (field & 2 ? 16 : 8), size = 0;   /* IS_MMAPPED: no next chunk */
  if (csize >= 32 && csize < (1ull << 40) && usable > front + SPY_RZ) size = usable - front - SPY_RZ;
  out->ptr = user;
  out->size_fam = size << 8 | HSP_FAM_MALLOC;
  out->stack = 0;
  out->t_ms = 0;
  long last;                           /* an underflow through the red zone: check_zones tells */
  if (!report || spy_check_scan((const unsigned char *)(uintptr_t)(user - SPY_RZ), SPY_RZ,
                                SPY_FILL_RZ, &last) >= 0) return;
  char what[256];
  spy_fmt(what, sizeof what, "the record heapspy keeps %d bytes before the block at %p was overwritten "
          "(an underflow past its %d-byte red zone), detected at free", SPY_FRONT,
          (void *)(uintptr_t)user, SPY_RZ);
  spy_check_report(HSP_ERR_HEAP_UNDERFLOW, user, HSP_BLOCK_SIZE(out), -SPY_FRONT, spy_stack_capture(), 0, 0,
                   what);
}

/* A quarantined block leaving (or checked): was it written after free? */
void spy_check_poison(const struct spy_qent *e, uint32_t here, const char *at) {
  const unsigned char *u = (const unsigned char *)(uintptr_t)e->user;
  long last, first = spy_check_scan(u, SPY_POISONED(e->size), SPY_FILL_FREED, &last);
  if (first >= 0) {
    long bad = 0;
    for (long i = first; i <= last; i++) bad += u[i] != SPY_FILL_FREED;
    char what[256];
    spy_fmt(what, sizeof what, "%ld byte%s written (offsets %ld..%ld) in the %llu-byte block at %p after it was freed, detected at %s",
            bad, bad > 1 ? "s" : "", first, last, (unsigned long long)e->size, (void *)u, at);
    spy_check_report(HSP_ERR_USE_AFTER_FREE, e->user, e->size, (int32_t)first, here, e->free_stack,
           e->alloc_stack, what);
  }
  check_zones(e->user, e->size, e->front, e->alloc_stack, here, at);
}

/* ---- what the quarantine evicts, and the module's own entries ---------- */

void spy_check_release(const struct spy_qent *e, uint32_t here, const char *at) {
  spy_check_poison(e, here, at);
  __libc_free((char *)(uintptr_t)e->user - e->front);
}

uint64_t spy_check_own_ranges(uint64_t (*out)[2], uint64_t max) {
  if (!spy_check_on) return 0;
  if (out && max) {
    out[0][0] = (uint64_t)(uintptr_t)altab;
    out[0][1] = (uint64_t)(uintptr_t)altab + sizeof *altab * AL_CAP;
  }
  return 1;
}

void spy_check_verify_all(int release_all) {
  if (spy_check_on) spy_quarantine_verify_all(release_all);
}

void spy_check_thread_exit(void) {
  if (spy_check_on) spy_quarantine_thread_exit();
}

/* The crash path (async-signal-safe, no lock). */
int spy_check_find_freed(uint64_t addr, struct spy_near *out) {
  return spy_check_on && spy_quarantine_find_freed(addr, out);
}

/* p is not a live block: report it (1) or say it is glibc's own (0). */
static int diagnose(uint64_t user, uint32_t here, const char *at) {
  if (spy_guard_owns((void *)(uintptr_t)user)) {
    spy_guard_diagnose((void *)(uintptr_t)user, at);
    return 1;
  }
  char what[256];
  struct spy_qent q;
  struct hsp_block b;
  if (spy_quarantine_find(user, &q)) {
    spy_fmt(what, sizeof what, "the %llu-byte block at %p was freed already, detected at %s",
            (unsigned long long)q.size, (void *)(uintptr_t)user, at);
    spy_check_report(HSP_ERR_DOUBLE_FREE, user, q.size, 0, here, q.free_stack, q.alloc_stack, what);
    return 1;
  }
  if (spy_block_containing(user, &b) && !(b.ptr & HSP_PTR_CUSTOM)) {
    spy_fmt(what, sizeof what, "%p is %llu bytes inside the %llu-byte block at %p, detected at %s",
            (void *)(uintptr_t)user, (unsigned long long)(user - b.ptr),
            (unsigned long long)HSP_BLOCK_SIZE(&b), (void *)(uintptr_t)b.ptr, at);
    spy_check_report(HSP_ERR_INVALID_FREE, b.ptr, HSP_BLOCK_SIZE(&b), (int32_t)(user - b.ptr),
           here, 0, b.stack, what);
    return 1;
  }
  uint64_t bounds[2] = { 0, 0 };
  int where = spy_pointer_origin(user, bounds);
  if (where == SPY_AT_HEAP && spy_glibc_chunk(user, bounds[0], bounds[1])) return 0;
  spy_fmt(what, sizeof what, "%p was not allocated by malloc (%s), detected at %s",
          (void *)(uintptr_t)user,
          where == SPY_AT_STACK ? "a stack address"
          : where == SPY_AT_MODULE ? "a global or module address"
          : where == SPY_AT_HEAP ? "no heap chunk there" : "unmapped", at);
  spy_check_report(HSP_ERR_INVALID_FREE, user, 0, 0, here, 0, 0, what);
  return 1;
}

/* ---- the entry points (spy_busy raised) -------------------------------- */

void *spy_check_alloc(size_t n, size_t align, int zero) {
  if (spy_guard_on) {
    void *g = spy_guard_alloc(n, align, zero);
    if (g) return g;
  }
  size_t front = SPY_FRONT, total;
  while (front < align) {
    if (front > ((size_t)-1 >> 2)) { errno = ENOMEM; return NULL; }
    front <<= 1;
  }
  if (__builtin_add_overflow(n, front + SPY_RZ, &total)) { errno = ENOMEM; return NULL; }
  unsigned char *raw = align > 16 ? __libc_memalign(front, total) : __libc_malloc(total);
  if (!raw) return NULL;
  unsigned char *user = raw + front;
  if (front > SPY_FRONT && !al_insert((uint64_t)(uintptr_t)user, front)) {
    __libc_free(raw);
    errno = ENOMEM;
    return NULL;
  }
  memset(raw, SPY_FILL_RZ, front);
  memset(user + n, SPY_FILL_RZ, SPY_RZ);
  if (zero) memset(user, 0, n);
  else if (spy_opt.check_fill) memset(user, SPY_FILL_NEW, n < SPY_FILL_MAX ? n : SPY_FILL_MAX);
  return user;
}

static const char *fam_verb(unsigned f) {
  return f == HSP_FAM_NEW ? "delete" : f == HSP_FAM_NEW_ARRAY ? "delete[]" : "free";
}
static const char *fam_alloc(unsigned f) {
  return f == HSP_FAM_NEW ? "new" : f == HSP_FAM_NEW_ARRAY ? "new[]" : "malloc";
}

void spy_check_family(uint64_t user, uint64_t size, unsigned alloc_fam, unsigned free_fam,
                      uint32_t free_stack, uint32_t alloc_stack) {
  if (free_fam == FAM_UNKNOWN || alloc_fam >= HSP_FAM_FIRST_CUSTOM || free_fam == alloc_fam) return;
  char what[256];
  spy_fmt(what, sizeof what, "the %llu-byte block at %p was allocated with %s and freed with %s",
          (unsigned long long)size, (void *)(uintptr_t)user, fam_alloc(alloc_fam), fam_verb(free_fam));
  spy_check_report(HSP_ERR_MISMATCHED_FREE, user, size, (int32_t)free_fam, free_stack, 0, alloc_stack, what);
}

/* HEAPSPY_FREE_LIKE(family, p) under --check: p is no live block of any
 * custom family (b NULL: never allocated, or freed already), or one that
 * another family allocated. The custom table holds no quarantine, so a
 * second release is an invalid free here, not a double free. */
void spy_check_custom_free(uint64_t user, const struct hsp_block *b, unsigned free_fam) {
  char what[256];
  const char *fname = spy_hdr->families[free_fam];
  if (!b) {
    spy_fmt(what, sizeof what, "%p is no live block of a custom family (never allocated, or "
            "released already), detected at HEAPSPY_FREE_LIKE(\"%s\")", (void *)(uintptr_t)user, fname);
    spy_check_report(HSP_ERR_INVALID_FREE, user, 0, 0, spy_stack_capture(), 0, 0, what);
    return;
  }
  unsigned af = HSP_BLOCK_FAMILY(b);
  if (af == free_fam) return;
  spy_fmt(what, sizeof what, "the %llu-byte block at %p was allocated by %s and released by %s",
          (unsigned long long)HSP_BLOCK_SIZE(b), (void *)(uintptr_t)user, spy_hdr->families[af], fname);
  spy_check_report(HSP_ERR_MISMATCHED_FREE, user, HSP_BLOCK_SIZE(b), (int32_t)free_fam,
                   spy_stack_capture(), 0, b->stack, what);
}

/* at: the call that found what is wrong ("free", "delete", "realloc"). */
static void free_at(void *p, unsigned family, const char *at) {
  uint64_t user = (uint64_t)(uintptr_t)p;
  struct hsp_block b;
  if (spy_guard_owns(p)) { spy_guard_free(p, family); return; }
  /* the free stack first: its walk hides the table slot's cache miss */
  if (!spy_cb_on) spy_block_prefetch(p);
  uint32_t here = spy_stack_capture();
  if (!spy_block_take(p, &b)) {
    if (!diagnose(user, here, at)) __libc_free(p);
    return;
  }
  struct spy_qent e = { user, HSP_BLOCK_SIZE(&b), (uint32_t)front_of(user, 1),
                    HSP_BLOCK_FAMILY(&b), b.stack, here };
  check_zones(user, e.size, e.front, e.alloc_stack, e.free_stack, at);
  spy_check_family(user, e.size, e.family, family, e.free_stack, e.alloc_stack);
  memset(p, SPY_FILL_FREED, SPY_POISONED(e.size));
  spy_quarantine_put(&e);
}

void spy_check_free(void *p, unsigned family) { free_at(p, family, fam_verb(family)); }

void *spy_check_realloc(void *old, size_t n) {
  if (!old) return spy_track(spy_check_alloc(n, 0, 0), n, HSP_FAM_MALLOC);
  if (!n) { free_at(old, HSP_FAM_MALLOC, "realloc"); return NULL; }
  struct hsp_block b;
  if (spy_block_lookup(old, &b)) {
    void *p = spy_check_alloc(n, 0, 0);
    if (!p) return NULL;                 /* the old block stays */
    uint64_t keep = HSP_BLOCK_SIZE(&b) < n ? HSP_BLOCK_SIZE(&b) : n;
    memcpy(p, old, keep);
    spy_track(p, n, HSP_FAM_MALLOC);
    free_at(old, HSP_FAM_MALLOC, "realloc");
    return p;
  }
  if (diagnose((uint64_t)(uintptr_t)old, spy_stack_capture(), "realloc")) return NULL;
  void *raw = __libc_realloc(old, n);    /* glibc's own block: move it to ours */
  if (!raw) return NULL;
  void *p = spy_check_alloc(n, 0, 0);
  if (p) memcpy(p, raw, n);
  __libc_free(raw);
  return spy_track(p, n, HSP_FAM_MALLOC);
}

size_t spy_check_usable(void *p, size_t (*real)(void *)) {
  struct hsp_block b;
  if (spy_block_lookup(p, &b)) return HSP_BLOCK_SIZE(&b);
  return real ? real(p) : 0;
}

/* The spy is off (a forked child not spied): no reports, no quarantine,
 * but our blocks still have their red zones. */
void spy_check_free_off(void *p) {
  if (spy_guard_owns(p)) { spy_guard_free_off(p); return; }
  if (spy_block_remove(p, NULL, NULL)) {
    __libc_free((char *)p - front_of((uint64_t)(uintptr_t)p, 1));
    return;
  }
  struct spy_qent q;
  if (spy_quarantine_find((uint64_t)(uintptr_t)p, &q)) return;   /* double free */
  __libc_free(p);
}

void *spy_check_realloc_off(void *old, size_t n) {
  struct hsp_block b;
  if (!old || !spy_block_lookup(old, &b)) return __libc_realloc(old, n);
  if (!n) { spy_check_free_off(old); return NULL; }
  void *p = __libc_malloc(n);
  if (!p) return NULL;
  memcpy(p, old, HSP_BLOCK_SIZE(&b) < n ? HSP_BLOCK_SIZE(&b) : n);
  spy_check_free_off(old);
  return p;
}
