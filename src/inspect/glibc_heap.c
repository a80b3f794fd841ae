/*
 * glibc_heap.c: the walk of glibc 2.36's heap (see glibc_heap.h and
 * glibc_layout.h for the structures).
 *
 * 1. The arenas: main_arena and its `next` ring (at most 1024).
 * 2. Each thread's tcache_perthread_struct and arena, from its TLS (the
 *    fs_base copied while it was stopped, plus libc's TPOFF slot of
 *    `tcache` / `thread_arena`, named by the debug file or recognized by
 *    what every thread holds there).
 * 3. The free sets: every tcache list, fastbin and bin (unsorted, small,
 *    large), safe-linked pointers revealed; each list walk is bounded (a
 *    list longer than the chunks that fit, a revisited node or a bad
 *    link is "corrupt free list at ADDR" and ends that list).
 * 4. The chunks of every heap: main's contiguous heap from sbrk_base to
 *    top, each thread arena's heaps (heap_info at 64 MiB-aligned
 *    addresses, linked by prev), then mmapped chunks (anonymous mappings
 *    whose first chunk header validates). A chunk is in use unless it is
 *    on a free list or is top; each is validated (size, alignment, bounds,
 *    the arena bit, the next chunk's PREV_INUSE) and the first bad one is
 *    "corrupt heap at ADDR (reason)": the walk goes on with the next heap.
 * 5. Residency from /proc/PID/pagemap (live) or the core's segments, so
 *    every byte category also has its resident part.
 *
 * Must never: loop or allocate without bound on any input, or call a
 * chunk in use that a free list holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "inspect/glibc_heap.h"
#include "inspect/glibc_layout.h"

#define MAX_ARENAS 1024
#define MAX_HEAPS_PER_ARENA 65536
#define MAX_PROBLEMS 100
#define PAGE 4096ull

enum fkind { F_TCACHE, F_FAST, F_BIN };

struct fent {
  uint64_t chunk;
  uint8_t kind;
};

struct walk {
  struct hs_target *t;
  const struct hs_libc *l;
  struct hs_heap *h;
  struct fent *fr;
  size_t nfr, capfr;
  uint64_t *tcs;            /* tcache_perthread_struct chunks, sorted */
  size_t ntcs;
  uint64_t mp_tcache_count; /* 0 if unknown */
  /* residency of the range being walked */
  const uint8_t *res;
  uint64_t res_start, res_end;
  uint64_t bin_fields;      /* sum of the bin chunks' raw size fields */
  int no_regs;              /* no thread's registers: tcaches by shape */
  int prepass;              /* only collect tcache-shaped chunks into tcs */
};

static void problem(struct walk *w, const char *fmt, ...) {
  struct hs_heap *h = w->h;
  if (w->prepass) return;
  if (h->no_stop) {
    h->tolerated++;
    if (h->nproblems >= 10) return;
  }
  if (h->nproblems >= MAX_PROBLEMS) return;
  char buf[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  h->problems = hs_xrealloc(h->problems, (h->nproblems + 1) * sizeof *h->problems);
  h->problems[h->nproblems++] = hs_xstrdup(buf);
}

static int rd(struct walk *w, uint64_t addr, uint64_t *v) {
  return hs_target_u64(w->t, addr, v);
}

/* ---- residency -------------------------------------------------------------- */

/* The page frame of the kernel's shared zero page, or 0 when frames are
 * hidden (not root): an anonymous page only ever read (by anyone, through
 * /proc/PID/mem too) is "present" in pagemap but maps the zero page and
 * is not in RSS. Found by reading a fresh page of our own. */
static uint64_t zero_pfn(void) {
  static uint64_t pfn = ~0ull;
  if (pfn != ~0ull) return pfn;
  pfn = 0;
  static volatile uint8_t probe[2 * 4096];
  volatile uint8_t *p = (volatile uint8_t *)(((uintptr_t)probe + 4095) & ~(uintptr_t)4095);
  (void)*p;
  int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  uint64_t e;
  if (fd >= 0 && pread(fd, &e, 8, (off_t)((uintptr_t)p / 4096 * 8)) == 8 && (e >> 63))
    pfn = e & ((1ull << 55) - 1);
  if (fd >= 0) close(fd);
  return pfn;
}

/* One byte per page of [start, end): 1 if resident (live: pagemap's
 * present bit and not the zero page; core: dumped; no pagemap: 1). */
static uint8_t *residency(struct walk *w, uint64_t start, uint64_t end) {
  uint64_t first = start / PAGE, last = (end + PAGE - 1) / PAGE;
  size_t n = (size_t)(last - first);
  uint8_t *r = hs_xmalloc(n ? n : 1);
  memset(r, 1, n);
  if (w->t->kind == HS_TARGET_CORE) {
    for (size_t i = 0; i < n; i++) {
      uint64_t a = (first + i) * PAGE;
      const struct hs_tmap *m = hs_target_map(w->t, a);
      r[i] = m && a - m->start < m->core_len;
    }
    return r;
  }
  if (!hs_target_has_pagemap(w->t)) return r;
  uint64_t buf[512], zero = zero_pfn();
  for (size_t i = 0; i < n;) {
    size_t k = n - i < 512 ? n - i : 512;
    size_t m = hs_target_pagemap(w->t, first + i, buf, k);
    if (!m) break;
    for (size_t j = 0; j < m; j++)
      r[i + j] = (uint8_t)(buf[j] >> 63) && !(zero && (buf[j] & ((1ull << 55) - 1)) == zero);
    i += m;
  }
  return r;
}

static void add_range(struct walk *w, uint64_t start, uint64_t end) {
  struct hs_heap *h = w->h;
  if (w->prepass) return;
  h->ranges = hs_xrealloc(h->ranges, (h->nranges + 1) * sizeof *h->ranges);
  struct hs_hrange *r = &h->ranges[h->nranges++];
  r->start = start;
  r->end = end;
  r->res = residency(w, start, end);
  w->res = r->res;
  w->res_start = start & ~(PAGE - 1);
  w->res_end = end;
}

/* Resident bytes of [a, b) in the current range. */
static uint64_t resident(const struct walk *w, uint64_t a, uint64_t b) {
  if (!w->res || a >= b) return 0;
  if (a < w->res_start) a = w->res_start;
  if (b > w->res_end) b = w->res_end;
  uint64_t sum = 0;
  while (a < b) {
    uint64_t pe = (a | (PAGE - 1)) + 1;
    uint64_t e = pe < b ? pe : b;
    if (w->res[(a - w->res_start) / PAGE]) sum += e - a;
    a = e;
  }
  return sum;
}

static void account(struct walk *w, struct hs_arena *ar, enum hs_hcat c, uint64_t a, uint64_t b) {
  if (b <= a || w->prepass) return;
  ar->bytes[c] += b - a;
  ar->resident[c] += resident(w, a, b);
}

/* ---- the free sets ------------------------------------------------------------ */

static void add_free(struct walk *w, uint64_t chunk, enum fkind k) {
  if (w->nfr == w->capfr)
    w->fr = hs_xrealloc(w->fr, (w->capfr = w->capfr ? w->capfr * 2 : 1024) * sizeof *w->fr);
  w->fr[w->nfr].chunk = chunk;
  w->fr[w->nfr].kind = (uint8_t)k;
  w->nfr++;
}

static int cmp_fent(const void *a, const void *b) {
  uint64_t x = ((const struct fent *)a)->chunk, y = ((const struct fent *)b)->chunk;
  return x < y ? -1 : x > y;
}

static const struct fent *find_free(const struct walk *w, uint64_t chunk) {
  size_t lo = 0, hi = w->nfr;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (w->fr[mid].chunk < chunk) lo = mid + 1;
    else hi = mid;
  }
  return lo < w->nfr && w->fr[lo].chunk == chunk ? &w->fr[lo] : NULL;
}

/* A chunk's size field, masked; 0 when unreadable. */
static uint64_t csize(struct walk *w, uint64_t chunk) {
  uint64_t s;
  return rd(w, chunk + HS_CH_SIZE, &s) ? 0 : s & ~HS_SIZE_BITS;
}

/* The largest number of chunks a list could hold: every mapped byte in
 * MINSIZE chunks would be far too many; the arena's memory is the bound. */
static uint64_t list_bound(uint64_t system_mem) {
  uint64_t b = system_mem / HS_MINSIZE + 16;
  return b > (1ull << 26) ? (1ull << 26) : b;
}

/* One tcache_perthread_struct (mem address). */
static void walk_tcache(struct walk *w, uint64_t tc, uint64_t bound) {
  uint8_t img[HS_TCACHE_STRUCT];
  if (hs_target_read(w->t, tc, img, sizeof img) != sizeof img) {
    problem(w, "corrupt tcache at 0x%llx (unreadable)", (unsigned long long)tc);
    return;
  }
  for (int i = 0; i < HS_TCACHE_BINS; i++) {
    uint16_t count;
    uint64_t e;
    memcpy(&count, img + 2 * i, 2);
    memcpy(&e, img + HS_TC_ENTRIES + 8 * i, 8);
    uint64_t want = HS_MINSIZE + 16ull * (uint64_t)i, steps = 0;
    while (e) {
      if (++steps > (uint64_t)count + 1 || steps > bound || (e & 15) ||
          csize(w, e - 16) != want) {
        problem(w, "corrupt free list at 0x%llx (tcache bin %d of the tcache at 0x%llx)",
                (unsigned long long)e, i, (unsigned long long)tc);
        break;
      }
      add_free(w, e - 16, F_TCACHE);
      uint64_t next;
      if (rd(w, e, &next)) break;
      e = HS_REVEAL(e, next);
    }
  }
}

/* The fastbins and bins of one arena (image ms). */
static void walk_arena_lists(struct walk *w, uint64_t a, const uint8_t *ms, uint64_t bound) {
  for (int i = 0; i < HS_NFASTBINS; i++) {
    uint64_t p, steps = 0, want = HS_MINSIZE + 16ull * (uint64_t)i;
    memcpy(&p, ms + HS_MS_FASTBINS + 8 * i, 8);
    while (p) {
      if (++steps > bound || (p & 15) || csize(w, p) != want) {
        problem(w, "corrupt free list at 0x%llx (fastbin %d of arena 0x%llx)",
                (unsigned long long)p, i, (unsigned long long)a);
        break;
      }
      add_free(w, p, F_FAST);
      uint64_t next;
      if (rd(w, p + HS_CH_FD, &next)) break;
      p = HS_REVEAL(p + HS_CH_FD, next);
    }
  }
  for (int i = 0; i < HS_NBINS; i++) {
    uint64_t self = a + HS_MS_BINS + 16ull * (uint64_t)i - 16, p, prev = self, steps = 0;
    memcpy(&p, ms + HS_MS_BINS + 16 * i, 8);
    while (p != self) {
      uint64_t bk, next;
      if (++steps > bound || (p & 15) || rd(w, p + HS_CH_BK, &bk) || bk != prev ||
          csize(w, p) < HS_MINSIZE || rd(w, p + HS_CH_FD, &next)) {
        problem(w, "corrupt free list at 0x%llx (%s bin %d of arena 0x%llx)", (unsigned long long)p,
                i == 0 ? "unsorted" : i < 63 ? "small" : "large", i + 1, (unsigned long long)a);
        break;
      }
      add_free(w, p, F_BIN);
      uint64_t raw;
      if (!rd(w, p + HS_CH_SIZE, &raw)) w->bin_fields += raw;
      prev = p;
      p = next;
    }
    /* the ring closes: the bin's bk is the last chunk its fd chain reached */
    uint64_t last;
    memcpy(&last, ms + HS_MS_BINS + 16 * i + 8, 8);
    if (p == self && last != prev)
      problem(w, "corrupt free list at 0x%llx (%s bin %d of arena 0x%llx: its bk is not its last chunk)",
              (unsigned long long)last, i == 0 ? "unsorted" : i < 63 ? "small" : "large", i + 1,
              (unsigned long long)a);
  }
}

/* ---- threads: tcache and arena from TLS ---------------------------------------- */

static int is_tcache_chunk(struct walk *w, uint64_t mem) {
  uint64_t s;
  return mem && !(mem & 15) && !rd(w, mem - 16 + HS_CH_SIZE, &s) &&
         (s & ~HS_SIZE_BITS) == HS_TCACHE_CHUNK && !(s & HS_IS_MMAPPED);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Values of TLS slot k for every thread; 0 if any is unreadable. */
static int tls_values(struct walk *w, size_t k, uint64_t *vals) {
  uint64_t tpoff;
  if (rd(w, w->l->bias + w->l->tls[k].got, &tpoff)) return 0;
  for (size_t i = 0; i < w->t->nthreads; i++) {
    const struct hs_tthread *th = &w->t->threads[i];
    if (!th->have_regs || rd(w, th->regs[HS_REG_FS_BASE] + tpoff, &vals[i])) return 0;
  }
  return 1;
}

static int is_arena(const struct hs_heap *h, uint64_t v) {
  for (size_t i = 0; i < h->narenas; i++)
    if (h->arenas[i].addr == v) return 1;
  return 0;
}

/* Fills w->tcs (tcache struct chunks) and each arena's thread list. */
static void find_thread_state(struct walk *w) {
  size_t nt = w->t->nthreads;
  w->no_regs = 1;
  if (!nt) return;
  uint64_t *vals = hs_xcalloc(nt, sizeof *vals);
  int got_tc = 0, got_ar = 0;
  for (size_t k = 0; k < w->l->ntls && (!got_tc || !got_ar); k++) {
    if (!tls_values(w, k, vals)) continue;
    int is_tc = 1, is_ar = 1, nonzero = 0;
    for (size_t i = 0; i < nt; i++) {
      if (!vals[i]) continue;
      nonzero++;
      if (!is_tcache_chunk(w, vals[i])) is_tc = 0;
      if (!is_arena(w->h, vals[i])) is_ar = 0;
    }
    if (w->l->have_tcache_sym) is_tc = w->l->tls[k].addend == w->l->tcache_sym;
    if (w->l->have_arena_sym) is_ar = w->l->tls[k].addend == w->l->arena_sym;
    if (!nonzero) continue;
    if (is_tc && !got_tc) {
      got_tc = 1;
      w->tcs = hs_xcalloc(nt, sizeof *w->tcs);
      for (size_t i = 0; i < nt; i++)
        if (vals[i] && is_tcache_chunk(w, vals[i])) w->tcs[w->ntcs++] = vals[i] - 16;
    } else if (is_ar && !got_ar) {
      got_ar = 1;
      for (size_t i = 0; i < nt; i++)
        for (size_t a = 0; a < w->h->narenas; a++)
          if (w->h->arenas[a].addr == vals[i]) {
            struct hs_arena *ar = &w->h->arenas[a];
            ar->tids = hs_xrealloc(ar->tids, (ar->ntids + 1) * sizeof *ar->tids);
            ar->tids[ar->ntids++] = w->t->threads[i].tid;
          }
    }
  }
  free(vals);
  w->no_regs = !w->t->threads[0].have_regs;
  if (!got_tc && !w->no_regs)
    problem(w, "the threads' tcache pointers were not found in libc's TLS; tcache chunks count as in use");
  if (w->ntcs) qsort(w->tcs, w->ntcs, sizeof *w->tcs, cmp_u64);   /* qsort wants a real array */
  w->h->tcache_found = got_tc;
}

/* Without the threads' registers (--no-stop) a tcache_perthread_struct is
 * recognized by its shape: a 0x290 chunk whose 64 counts and entries
 * agree (a count is 0 exactly when its entry is NULL, and each entry is a
 * chunk of its bin's size). An all-zero 640-byte block of the program's
 * looks the same: that is the price of not stopping. */
static int tcache_shaped(struct walk *w, uint64_t chunk) {
  uint8_t img[HS_TCACHE_STRUCT];
  if (hs_target_read(w->t, chunk + 16, img, sizeof img) != sizeof img) return 0;
  for (int i = 0; i < HS_TCACHE_BINS; i++) {
    uint16_t count;
    uint64_t e;
    memcpy(&count, img + 2 * i, 2);
    memcpy(&e, img + HS_TC_ENTRIES + 8 * i, 8);
    if (!count != !e) return 0;
    if (e && ((e & 15) || csize(w, e - 16) != HS_MINSIZE + 16ull * (uint64_t)i)) return 0;
  }
  return 1;
}

static int is_tcache_struct(struct walk *w, uint64_t chunk, uint64_t size) {
  if (w->h->tcache_found) return bsearch(&chunk, w->tcs, w->ntcs, sizeof *w->tcs, cmp_u64) != NULL;
  return size == HS_TCACHE_CHUNK && w->no_regs &&
         bsearch(&chunk, w->tcs, w->ntcs, sizeof *w->tcs, cmp_u64) != NULL;
}

/* ---- chunks --------------------------------------------------------------------- */

static void add_block(struct hs_heap *h, uint64_t mem, uint64_t usable, int arena) {
  if (h->nblocks == h->capblocks)
    h->blocks = hs_xrealloc(h->blocks, (h->capblocks = h->capblocks ? h->capblocks * 2 : 4096) *
                                           sizeof *h->blocks);
  h->blocks[h->nblocks++] = (struct hs_hblock){ mem, usable, arena, 0 };
}

/* Walks the chunks of [first, end) of arena ai; top is its top chunk (or
 * 0 when this heap has none: it then ends with fenceposts). */
static void walk_chunks(struct walk *w, int ai, uint64_t first, uint64_t end, uint64_t top) {
  struct hs_arena *ar = &w->h->arenas[ai];
  uint64_t c = first, size_field, next_field;
  const char *why = NULL;
  while (c < end) {
    if (rd(w, c + HS_CH_SIZE, &size_field)) { why = "unreadable"; break; }
    uint64_t s = size_field & ~HS_SIZE_BITS;
    if (c == top) {
      if (c + s != end) { why = "top chunk does not end the heap"; break; }
      account(w, ar, HS_H_TOP, c, c + s);
      ar->top_bytes += s;
      return;
    }
    if (!top && s <= 16 && (s == 0 || c + s < end)) {
      /* fenceposts closing an old heap: the rest is bookkeeping */
      account(w, ar, HS_H_OVERHEAD, c, end);
      return;
    }
    if (s < HS_MINSIZE) { why = "size below 32"; break; }
    if (s & 15) { why = "size not a multiple of 16"; break; }
    if (c + s > end || c + s < c) { why = "size runs past the heap"; break; }
    if (size_field & HS_IS_MMAPPED) { why = "IS_MMAPPED set inside a heap"; break; }
    uint64_t n = c + s;
    if (w->prepass) {
      if (s == HS_TCACHE_CHUNK && !find_free(w, c) && tcache_shaped(w, c)) {
        w->tcs = hs_xrealloc(w->tcs, (w->ntcs + 1) * sizeof *w->tcs);
        w->tcs[w->ntcs++] = c;
      }
      c = n;
      continue;
    }
    int next_prev_inuse = 1;
    if (n < end) {
      if (rd(w, n + HS_CH_SIZE, &next_field)) { why = "next chunk unreadable"; break; }
      next_prev_inuse = (int)(next_field & HS_PREV_INUSE);
    }
    const struct fent *f = find_free(w, c);
    if (f) {
      if (f->kind == F_BIN && next_prev_inuse) {
        problem(w, "corrupt heap at 0x%llx (in a bin, but the next chunk says it is in use)",
                (unsigned long long)c);
      }
      account(w, ar, HS_H_FREE, c, n);
      if (f->kind == F_TCACHE) { ar->tcache_bytes += s; ar->tcache_blocks++; }
      else if (f->kind == F_FAST) { ar->fast_bytes += s; ar->fast_blocks++; }
      else { ar->bin_bytes += s; ar->bin_blocks++; }
    } else if (!next_prev_inuse) {
      problem(w, "corrupt heap at 0x%llx (free by the next chunk's PREV_INUSE, but on no free list)",
              (unsigned long long)c);
      account(w, ar, HS_H_FREE, c, n);
      ar->bin_bytes += s;
      ar->bin_blocks++;
    } else if (!!(size_field & HS_NON_MAIN_ARENA) != !ar->is_main) {
      why = "in use, with the wrong NON_MAIN_ARENA bit";   /* free chunks may lack it */
      break;
    } else if (is_tcache_struct(w, c, s)) {
      account(w, ar, HS_H_OVERHEAD, c, n);
      w->h->tcache_structs++;
      w->h->tcache_struct_bytes += s;
    } else {
      account(w, ar, HS_H_OVERHEAD, c, c + 8);
      account(w, ar, HS_H_INUSE, c + 8, n);
      ar->in_use_bytes += s - 8;
      ar->in_use_blocks++;
      add_block(w->h, c + 16, s - 8, ai);
    }
    c = n;
  }
  if (c < end) {
    problem(w, "corrupt heap at 0x%llx (%s)", (unsigned long long)c, why ? why : "?");
    account(w, ar, HS_H_OVERHEAD, c, end);
  }
}

static void walk_main(struct walk *w, int ai, const uint8_t *ms) {
  struct hs_arena *ar = &w->h->arenas[ai];
  uint64_t top, sysmem, a = ar->addr;
  memcpy(&top, ms + HS_MS_TOP, 8);
  memcpy(&sysmem, ms + HS_MS_SYSTEM_MEM, 8);
  if (top == a + HS_MS_BINS - 16) return;        /* no heap yet: top is the initial bin */
  uint64_t ts = csize(w, top), start = 0;
  if (w->l->mp) rd(w, w->l->mp + HS_MP_SBRK_BASE, &start);
  if (!start) {
    const struct hs_tmap *m = hs_target_map(w->t, top);
    if (m && !strcmp(m->path, "[heap]")) start = m->start;
    else if (top + ts >= sysmem) start = top + ts - sysmem;
  }
  start = (start + 15) & ~15ull;
  /* The walk sizes its tables by the range: it must be the one mapping
   * that holds top (the brk heap), whatever top and system_mem say (a
   * damaged core, a scribbled arena). */
  const struct hs_tmap *tm = hs_target_map(w->t, top), *sm = hs_target_map(w->t, start);
  if (!ts || !start || start > top || !tm || sm != tm || top + ts < top || top + ts > tm->end) {
    problem(w, "corrupt heap at 0x%llx (main arena's top chunk outside its heap)",
            (unsigned long long)top);
    return;
  }
  ar->nheaps = 1;
  add_range(w, start, top + ts);
  walk_chunks(w, ai, start, top + ts, top);
}

static void walk_thread_arena(struct walk *w, int ai, const uint8_t *ms) {
  struct hs_arena *ar = &w->h->arenas[ai];
  uint64_t top, a = ar->addr;
  memcpy(&top, ms + HS_MS_TOP, 8);
  uint64_t heap = top & ~(HS_HEAP_MAX - 1), cur_top = top;
  for (size_t k = 0; heap && k < MAX_HEAPS_PER_ARENA; k++) {
    uint64_t ar_ptr, prev, size;
    if (rd(w, heap + HS_HI_AR_PTR, &ar_ptr) || rd(w, heap + HS_HI_PREV, &prev) ||
        rd(w, heap + HS_HI_SIZE, &size) || ar_ptr != a || size > HS_HEAP_MAX || size < PAGE) {
      problem(w, "corrupt heap at 0x%llx (heap_info of arena 0x%llx does not validate)",
              (unsigned long long)heap, (unsigned long long)a);
      return;
    }
    uint64_t first = heap + HS_HEAP_INFO_SIZE;
    if (ar_ptr == heap + HS_HEAP_INFO_SIZE)      /* the arena's first heap holds its malloc_state */
      first = (heap + HS_HEAP_INFO_SIZE + HS_MSTATE_SIZE + 15) & ~15ull;
    ar->nheaps++;
    add_range(w, heap, heap + size);
    account(w, ar, HS_H_OVERHEAD, heap, first);
    walk_chunks(w, ai, first, heap + size, cur_top);
    cur_top = 0;
    if (prev && (prev & (HS_HEAP_MAX - 1))) {
      problem(w, "corrupt heap at 0x%llx (heap_info's prev is not 64 MiB-aligned)",
              (unsigned long long)heap);
      return;
    }
    heap = prev;
  }
}

/* ---- mmapped chunks ------------------------------------------------------------- */

static int in_ranges(const struct hs_heap *h, uint64_t a) {
  for (size_t i = 0; i < h->nranges; i++)
    if (a >= h->ranges[i].start && a < h->ranges[i].end) return 1;
  return 0;
}

static void walk_mmapped(struct walk *w) {
  struct hs_heap *h = w->h;
  struct hs_arena *ar = &h->mmapped;
  ar->addr = 0;
  size_t nmaps = w->t->nmaps;
  for (size_t i = 0; i < nmaps; i++) {
    struct hs_tmap m = w->t->maps[i];
    if (m.path[0] || strcmp(m.perms, "rw-p") || in_ranges(h, m.start)) continue;
    /* only pages something wrote: an mmapped chunk's first page holds its
     * header; reading an untouched page would map the zero page there */
    uint8_t *res = residency(w, m.start, m.end);
    uint64_t pos = m.start, scanned = 0;
    while (pos + 16 <= m.end && scanned < (1u << 22)) {
      uint64_t hdr[2];
      if (!res[(pos - m.start) / PAGE]) {
        pos += PAGE;
        scanned++;
        continue;
      }
      if (hs_target_read(w->t, pos, hdr, 16) != 16) break;
      uint64_t s = hdr[1] & ~HS_SIZE_BITS;
      if (hdr[0] == 0 && (hdr[1] & HS_SIZE_BITS) == HS_IS_MMAPPED && s >= PAGE && !(s & (PAGE - 1)) &&
          pos + s <= m.end && !in_ranges(h, pos)) {
        add_range(w, pos, pos + s);
        account(w, ar, HS_H_OVERHEAD, pos, pos + 16);
        account(w, ar, HS_H_INUSE, pos + 16, pos + s);
        ar->in_use_bytes += s - 16;
        ar->in_use_blocks++;
        add_block(h, pos + 16, s - 16, -1);
        pos += s;
      } else {
        pos += PAGE;
        scanned++;
      }
    }
    free(res);
  }
  if (w->l->mp) {
    uint32_t n;
    if (hs_target_read(w->t, w->l->mp + HS_MP_N_MMAPS, &n, 4) == 4 && n != ar->in_use_blocks)
      problem(w, "glibc counts %u mmapped chunks (mp_.n_mmaps), %llu were found", n,
              (unsigned long long)ar->in_use_blocks);
  }
}

/* ---- the whole walk ------------------------------------------------------------- */

static int cmp_block(const void *a, const void *b) {
  uint64_t x = ((const struct hs_hblock *)a)->addr, y = ((const struct hs_hblock *)b)->addr;
  return x < y ? -1 : x > y;
}

void hs_heap_walk(struct hs_target *t, const struct hs_libc *l, int no_stop, struct hs_heap *h) {
  memset(h, 0, sizeof *h);
  h->no_stop = no_stop;
  struct walk w = { .t = t, .l = l, .h = h };
  h->have_residency = t->kind == HS_TARGET_CORE || hs_target_has_pagemap(t);
  /* 1. arenas */
  uint8_t (*imgs)[HS_MSTATE_SIZE] = NULL;
  uint64_t a = l->main_arena;
  for (size_t k = 0; k < MAX_ARENAS; k++) {
    imgs = hs_xrealloc(imgs, (h->narenas + 1) * sizeof *imgs);
    if (hs_target_read(t, a, imgs[h->narenas], HS_MSTATE_SIZE) != HS_MSTATE_SIZE) {
      problem(&w, "corrupt arena list at 0x%llx (unreadable)", (unsigned long long)a);
      break;
    }
    h->arenas = hs_xrealloc(h->arenas, (h->narenas + 1) * sizeof *h->arenas);
    struct hs_arena *ar = &h->arenas[h->narenas];
    memset(ar, 0, sizeof *ar);
    ar->addr = a;
    ar->is_main = k == 0;
    memcpy(&ar->system_mem, imgs[h->narenas] + HS_MS_SYSTEM_MEM, 8);
    memcpy(&ar->attached_threads, imgs[h->narenas] + HS_MS_ATTACHED, 8);
    h->narenas++;
    uint64_t next;
    memcpy(&next, imgs[h->narenas - 1] + HS_MS_NEXT, 8);
    if (next == l->main_arena) break;
    if (!next || (next & 7)) {
      problem(&w, "corrupt arena list at 0x%llx (next is 0x%llx)", (unsigned long long)a,
              (unsigned long long)next);
      break;
    }
    a = next;
  }
  /* 2. threads: tcache and arena */
  find_thread_state(&w);
  /* 2b. no registers (--no-stop): the tcaches by their shape, in a first
   * walk of the heaps that only looks at the chunk sizes */
  if (w.no_regs) {
    w.prepass = 1;
    for (size_t i = 0; i < h->narenas; i++) {
      if (h->arenas[i].is_main) walk_main(&w, (int)i, imgs[i]);
      else walk_thread_arena(&w, (int)i, imgs[i]);
      memset(h->arenas[i].bytes, 0, sizeof h->arenas[i].bytes);
      h->arenas[i].nheaps = 0;
      h->arenas[i].top_bytes = 0;
    }
    w.prepass = 0;
    if (w.ntcs) qsort(w.tcs, w.ntcs, sizeof *w.tcs, cmp_u64);
  }
  /* 3. free sets */
  for (size_t i = 0; i < w.ntcs; i++) walk_tcache(&w, w.tcs[i] + 16, 1u << 16);
  for (size_t i = 0; i < h->narenas; i++) {
    w.bin_fields = 0;
    walk_arena_lists(&w, h->arenas[i].addr, imgs[i], list_bound(h->arenas[i].system_mem));
    h->arenas[i].bin_size_fields = w.bin_fields;
  }
  if (w.nfr) qsort(w.fr, w.nfr, sizeof *w.fr, cmp_fent);
  for (size_t i = 1; i < w.nfr; i++)
    if (w.fr[i].chunk == w.fr[i - 1].chunk)
      problem(&w, "corrupt free list at 0x%llx (the chunk is on two free lists)",
              (unsigned long long)w.fr[i].chunk);
  /* 4. chunks */
  for (size_t i = 0; i < h->narenas; i++) {
    if (h->arenas[i].is_main) walk_main(&w, (int)i, imgs[i]);
    else walk_thread_arena(&w, (int)i, imgs[i]);
  }
  walk_mmapped(&w);
  qsort(h->blocks, h->nblocks, sizeof *h->blocks, cmp_block);
  free(imgs);
  free(w.fr);
  free(w.tcs);
}

void hs_heap_totals(const struct hs_heap *h, struct hs_arena *sum) {
  memset(sum, 0, sizeof *sum);
  for (size_t i = 0; i <= h->narenas; i++) {
    const struct hs_arena *a = i < h->narenas ? &h->arenas[i] : &h->mmapped;
    sum->system_mem += a->system_mem;
    sum->in_use_bytes += a->in_use_bytes;
    sum->in_use_blocks += a->in_use_blocks;
    sum->tcache_bytes += a->tcache_bytes;
    sum->tcache_blocks += a->tcache_blocks;
    sum->fast_bytes += a->fast_bytes;
    sum->fast_blocks += a->fast_blocks;
    sum->bin_bytes += a->bin_bytes;
    sum->bin_blocks += a->bin_blocks;
    sum->top_bytes += a->top_bytes;
    sum->bin_size_fields += a->bin_size_fields;
    for (int c = 0; c < HS_H_NCATS; c++) {
      sum->bytes[c] += a->bytes[c];
      sum->resident[c] += a->resident[c];
    }
  }
}

uint64_t hs_heap_resident_in(const struct hs_heap *h, uint64_t start, uint64_t end) {
  uint64_t sum = 0;
  for (size_t i = 0; i < h->nranges; i++) {
    const struct hs_hrange *r = &h->ranges[i];
    uint64_t a = r->start > start ? r->start : start, b = r->end < end ? r->end : end;
    uint64_t base = r->start & ~(PAGE - 1);
    while (a < b) {
      uint64_t pe = (a | (PAGE - 1)) + 1, e = pe < b ? pe : b;
      if (r->res[(a - base) / PAGE]) sum += e - a;
      a = e;
    }
  }
  return sum;
}

int hs_heap_page_resident(const struct hs_heap *h, uint64_t addr) {
  for (size_t i = 0; i < h->nranges; i++) {
    const struct hs_hrange *r = &h->ranges[i];
    if (addr >= r->start && addr < r->end)
      return r->res[(addr - (r->start & ~(PAGE - 1))) / PAGE];
  }
  return 0;
}

void hs_heap_free(struct hs_heap *h) {
  for (size_t i = 0; i < h->narenas; i++) free(h->arenas[i].tids);
  free(h->arenas);
  free(h->blocks);
  for (size_t i = 0; i < h->nranges; i++) free(h->ranges[i].res);
  free(h->ranges);
  for (size_t i = 0; i < h->nproblems; i++) free(h->problems[i]);
  free(h->problems);
  memset(h, 0, sizeof *h);
}
