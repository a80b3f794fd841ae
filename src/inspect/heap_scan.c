/*
 * heap_scan.c: the leak scan of a stranger's heap (see heap_scan.h), with
 * the rules and heuristics memcheck uses (and the spy's own scan,
 * src/spy/spy_leakscan.c, mirrors in-process), read from outside through
 * target memory:
 *
 *  1. Block contents: every block up to BIG bytes is copied once into one
 *     buffer, reading the heap in windows of up to BIG bytes (pages the
 *     target never touched are not read: pagemap, live; what a core left
 *     out reads as absent); larger blocks are read in pieces when scanned.
 *  2. Roots: the general registers of every thread; every readable and
 *     writable mapping that holds no glibc heap, a thread's stack from its
 *     sp less the 128-byte red zone (memcheck keeps it addressable), with
 *     main_arena and mp_ cut out (their bins and top point at free chunks
 *     and chunk headers, never the program's pointers). TLS is in those
 *     mappings: the main thread's static TLS in ld.so's anonymous memory,
 *     other threads' at the top of their stack mapping.
 *  3. A work list (not recursion) of blocks whose state changed: each
 *     block is pushed at most three times in the main pass (possibly,
 *     reachable) and once in the pass that gives lost blocks' cliques.
 *
 * What a scan from outside cannot know: memcheck skips words it knows to
 * be undefined; here a stale word the program never wrote over (a free
 * list link left in a block) counts as a pointer, so blocks can only look
 * more reachable than memcheck says, never less.
 *
 * Must never: write to the target, recurse, or read a page the target
 * never touched.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "inspect/glibc_layout.h"
#include "inspect/heap_scan.h"

#define PAGE 4096ull
#define BIG (1ull << 20)            /* blocks above: read in pieces; window size */
#define RED_ZONE 128                /* x86-64 ABI: below sp, still the frame's */
#define VTABLE_WORDS 20             /* memcheck looks at this many entries */

struct scan {
  struct hs_target *t;
  const struct hs_heap *h;
  uint8_t *state, *heur;
  const uint8_t **at;               /* a block's bytes (in buf or the target's copy), or NULL */
  uint8_t *buf;
  uint32_t *todo;
  size_t ntodo, captodo;
  uint64_t lo, hi;                  /* lowest block start, highest block end */
  int64_t clique_head;
  uint64_t (*cuts)[2];              /* [start, end): main_arena, mp_, heap ranges */
  size_t ncuts;
  uint8_t *piece;                   /* BIG bytes, for roots and big blocks */
  struct hs_leak_scan *out;
};

const char *hs_leak_kind_name(enum hs_leak_kind k) {
  static const char *const n[] = { "unreached", "still reachable", "possibly lost",
                                   "indirectly lost", "definitely lost" };
  return k < HS_LEAK_NKINDS ? n[k] : "?";
}

const char *hs_leak_heur_name(enum hs_leak_heur h) {
  static const char *const n[] = { "none", "stdstring", "length64", "newarray",
                                   "multipleinheritance" };
  return h < HS_HEUR_N ? n[h] : "?";
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- reading ------------------------------------------------------------ */

/* Reads [addr, addr+len) into buf, zeros where it cannot be read: pages
 * pagemap says were never touched (neither present nor swapped) are left
 * unread, as are pages a core does not hold. Returns the bytes not read. */
static uint64_t fetch(struct scan *s, uint64_t addr, uint8_t *buf, size_t len) {
  memset(buf, 0, len);
  uint64_t missing = 0;
  uint64_t end = addr + len;
  uint64_t a = addr;
  while (a < end) {
    uint64_t page_end = (a & ~(PAGE - 1)) + PAGE;
    /* one run of readable pages, found through pagemap in batches */
    uint64_t run_end;
    int readable = 1;
    if (hs_target_has_pagemap(s->t)) {
      uint64_t e;
      if (hs_target_pagemap(s->t, a / PAGE, &e, 1) == 1) readable = (int)HS_PAGEMAP_TOUCHED(e);
      run_end = page_end;
      while (run_end < end && readable) {
        uint64_t ents[64];
        size_t k = (size_t)((end - run_end + PAGE - 1) / PAGE);
        if (k > 64) k = 64;
        size_t got = hs_target_pagemap(s->t, run_end / PAGE, ents, k);
        if (!got) break;
        size_t j = 0;
        for (; j < got; j++)
          if (!HS_PAGEMAP_TOUCHED(ents[j])) break;
        run_end += j * PAGE;
        if (j < got) break;
      }
    } else {
      run_end = end;
    }
    if (run_end > end) run_end = end;
    if (!readable) {
      missing += (page_end < end ? page_end : end) - a;
      a = page_end;
      continue;
    }
    size_t want = (size_t)(run_end - a);
    size_t got = hs_target_read(s->t, a, buf + (a - addr), want);
    a += got;
    if (got < want) {                /* unreadable here: skip to the next page */
      uint64_t next = (a & ~(PAGE - 1)) + PAGE;
      if (next > end) next = end;
      missing += next - a;
      a = next;
    }
  }
  return missing;
}

/* Points every block at its bytes: in the target's copy (target_copy.c)
 * when it was copied whole, else copied into s->buf (up to BIG bytes). */
static void copy_blocks(struct scan *s) {
  const struct hs_heap *h = s->h;
  uint64_t total = 0;
  for (size_t i = 0; i < h->nblocks; i++) {
    s->at[i] = hs_target_view(s->t, h->blocks[i].addr, (size_t)h->blocks[i].usable);
    if (!s->at[i] && h->blocks[i].usable <= BIG) total += h->blocks[i].usable;
  }
  s->buf = hs_xmalloc(total ? total : 1);
  uint64_t pos = 0, wstart = 0, wend = 0;
  for (size_t i = 0; i < h->nblocks; i++) {
    const struct hs_hblock *b = &h->blocks[i];
    if (s->at[i] || b->usable > BIG) continue;
    if (b->addr < wstart || b->addr + b->usable > wend) {
      wstart = b->addr & ~(PAGE - 1);
      wend = wstart + BIG + PAGE;
      const struct hs_tmap *m = hs_target_map(s->t, wstart);
      if (m && wend > m->end && m->end >= b->addr + b->usable) wend = m->end;
      s->out->unread_bytes += fetch(s, wstart, s->piece, (size_t)(wend - wstart));
    }
    memcpy(s->buf + pos, s->piece + (b->addr - wstart), b->usable);
    s->at[i] = s->buf + pos;
    pos += b->usable;
  }
}

/* ---- the blocks ---------------------------------------------------------- */

/* Index of the block holding p, or -1. */
static int64_t find(const struct scan *s, uint64_t p) {
  const struct hs_hblock *b = s->h->blocks;
  size_t lo = 0, hi = s->h->nblocks;
  if (!hi || p < b[0].addr) return -1;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (b[mid].addr <= p) lo = mid;
    else hi = mid;
  }
  return p < b[lo].addr + b[lo].usable ? (int64_t)lo : -1;
}

/* The word at offset off of block i (0 when not readable). */
static uint64_t block_word(struct scan *s, size_t i, uint64_t off) {
  uint64_t v = 0;
  if (off + 8 > s->h->blocks[i].usable) return 0;
  if (s->at[i]) memcpy(&v, s->at[i] + off, 8);
  else if (hs_target_u64(s->t, s->h->blocks[i].addr + off, &v) != 0) v = 0;
  return v;
}

/* memcheck's vtable test: p lies in a readable file mapping and, among
 * its first VTABLE_WORDS words, the first two non-null ones point into
 * executable file mappings (and no non-null one before them elsewhere). */
static int looks_like_vtable(struct scan *s, uint64_t p) {
  const struct hs_tmap *m = hs_target_map(s->t, p);
  if (!m || !m->path[0] || m->path[0] == '[' || m->perms[0] != 'r') return 0;
  uint64_t words[VTABLE_WORDS];
  uint64_t n = (m->end - p) / 8;
  if (n > VTABLE_WORDS) n = VTABLE_WORDS;
  size_t got = hs_target_read(s->t, p, words, (size_t)n * 8) / 8;
  unsigned fns = 0;
  for (size_t k = 0; k < got; k++) {
    if (!words[k]) continue;
    const struct hs_tmap *f = hs_target_map(s->t, words[k]);
    if (!f || !f->path[0] || f->path[0] == '[' || f->perms[2] != 'x') return 0;
    if (++fns == 2) return 1;
  }
  return 0;
}

/* Which of memcheck's default heuristics, in memcheck's order, makes the
 * interior pointer w count as one to block i's start. */
static unsigned heuristic(struct scan *s, size_t i, uint64_t w) {
  const struct hs_hblock *b = &s->h->blocks[i];
  uint64_t size = b->usable, off = w - b->addr;
  if (off == 24 && size >= 24) {       /* stdstring: length, capacity, refcount, chars */
    uint64_t capacity = block_word(s, i, 8);
    if (capacity < size && 24 + capacity + 1 == size && block_word(s, i, 0) <= capacity)
      return HS_HEUR_STDSTRING;
  }
  if (off == 8) {
    uint64_t first = block_word(s, i, 0);
    if (first && first == size - 8) return HS_HEUR_LENGTH64;
    if (first && (size - 8) % first == 0) return HS_HEUR_NEWARRAY;
  }
  if (!(w & 7) && off + 8 <= size && size >= 16) {   /* multiple inheritance */
    uint64_t inner = block_word(s, i, off), first = block_word(s, i, 0);
    if (!(inner & 7) && inner >= PAGE && !(first & 7) && first >= PAGE &&
        looks_like_vtable(s, inner) && looks_like_vtable(s, first))
      return HS_HEUR_MULTIPLE_INHERITANCE;
  }
  return HS_HEUR_NONE;
}

static void push(struct scan *s, size_t i) {
  if (s->ntodo == s->captodo)
    s->todo = hs_xrealloc(s->todo, (s->captodo = s->captodo ? s->captodo * 2 : 4096) * sizeof *s->todo);
  s->todo[s->ntodo++] = (uint32_t)i;
}

/* A word w seen in a root or a reached block (definite: a root or a
 * reachable block), or, in the clique pass, in a lost block. */
static void consider(struct scan *s, uint64_t w, int definite, int clique) {
  int64_t i = find(s, w);
  if (i < 0) return;
  uint8_t old = s->state[i], now = old;
  int at_start = w == s->h->blocks[i].addr;
  if (clique) {
    if (old == HS_LEAK_UNREACHED && i != s->clique_head) now = HS_LEAK_INDIRECT;
  } else if (old == HS_LEAK_REACHABLE) {
    if (at_start) s->heur[i] = HS_HEUR_NONE;      /* plainly reachable after all */
    return;
  } else {
    int as_start = at_start;
    if (!at_start) as_start = (s->heur[i] = (uint8_t)heuristic(s, (size_t)i, w)) != HS_HEUR_NONE;
    if (as_start && definite) now = HS_LEAK_REACHABLE;
    else if (old == HS_LEAK_UNREACHED) now = HS_LEAK_POSSIBLE;
  }
  if (now != old) {
    s->state[i] = now;
    push(s, (size_t)i);
  }
}

static void scan_words(struct scan *s, const uint8_t *p, size_t len, int definite, int clique) {
  for (size_t k = 0; k + 8 <= len; k += 8) {
    uint64_t w;
    memcpy(&w, p + k, 8);
    if (w >= s->lo && w < s->hi) consider(s, w, definite, clique);
  }
}

static void scan_block(struct scan *s, size_t i, int clique) {
  const struct hs_hblock *b = &s->h->blocks[i];
  int definite = s->state[i] == HS_LEAK_REACHABLE;
  s->out->block_bytes += b->usable;
  if (s->at[i]) {
    scan_words(s, s->at[i], (size_t)b->usable, definite, clique);
    return;
  }
  for (uint64_t a = b->addr; a < b->addr + b->usable; a += BIG) {
    size_t n = (size_t)(b->addr + b->usable - a < BIG ? b->addr + b->usable - a : BIG);
    s->out->unread_bytes += fetch(s, a, s->piece, n);
    scan_words(s, s->piece, n, definite, clique);
  }
}

static void drain(struct scan *s, int clique) {
  while (s->ntodo) scan_block(s, s->todo[--s->ntodo], clique);
}

/* ---- roots --------------------------------------------------------------- */

static void scan_root_range(struct scan *s, uint64_t lo, uint64_t hi) {
  lo = (lo + 7) & ~7ull;
  for (uint64_t a = lo; a < hi; a += BIG) {
    size_t n = (size_t)(hi - a < BIG ? hi - a : BIG);
    s->out->unread_bytes += fetch(s, a, s->piece, n);
    s->out->root_bytes += n;
    scan_words(s, s->piece, n, 1, 0);
    drain(s, 0);
  }
}

static int cmp_cut(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* [lo, hi) less the cuts (sorted by start): main_arena, mp_ and every
 * heap range. A heap range may share a mapping with other memory (the
 * kernel merges an mmapped chunk with the anonymous mapping next to it: a
 * thread's stack, ld.so's TLS): only the heap's own bytes are cut out. */
static void scan_root(struct scan *s, uint64_t lo, uint64_t hi) {
  for (size_t k = 0; k < s->ncuts && lo < hi; k++) {
    uint64_t c0 = s->cuts[k][0], c1 = s->cuts[k][1];
    if (c1 <= lo || c0 >= c1) continue;
    if (c0 >= hi) break;
    if (c0 > lo) scan_root_range(s, lo, c0);
    lo = c1;
  }
  if (lo < hi) scan_root_range(s, lo, hi);
}

/* heapspy's spy: libheapspy.so under `heapspy run`, the memfd `heapspy
 * attach` loads it from */
static int is_spy_map(const struct hs_tmap *m) {
  return strstr(m->path, "libheapspy") || !strncmp(m->path, "/memfd:heapspy-attach", 21);
}

static int is_root_map(const struct hs_leak_scan *out, const struct hs_tmap *m) {
  const char *p = m->path;
  if (m->perms[0] != 'r' || m->perms[1] != 'w') return 0;
  if (!strncmp(p, "/dev/", 5) || !strncmp(p, "[vvar", 5) || !strncmp(p, "[vsys", 5)) return 0;
  /* under heapspy: the spy's library and its shared profile and trace
   * mappings hold every block's address; they are not the program's */
  if (is_spy_map(m) || (out->spied && m->perms[3] == 's')) return 0;
  return 1;
}

static void scan_roots(struct scan *s) {
  struct hs_target *t = s->t;
  static const int gp[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, HS_REG_RSP };
  for (size_t k = 0; k < t->nthreads; k++) {
    if (!t->threads[k].have_regs) continue;
    s->out->reg_threads++;
    for (size_t r = 0; r < sizeof gp / sizeof *gp; r++) {
      uint64_t w = t->threads[k].regs[gp[r]];
      if (w >= s->lo && w < s->hi) consider(s, w, 1, 0);
    }
  }
  drain(s, 0);
  for (size_t i = 0; i < t->nmaps; i++) {
    const struct hs_tmap *m = &t->maps[i];
    if (!is_root_map(s->out, m)) continue;
    uint64_t lo = m->start;
    /* a thread's stack: only above its sp (the red zone kept) */
    for (size_t k = 0; k < t->nthreads; k++) {
      uint64_t sp = t->threads[k].regs[HS_REG_RSP];
      if (!t->threads[k].have_regs || sp < m->start || sp >= m->end) continue;
      s->out->stack_threads++;
      if (sp - RED_ZONE > lo) lo = sp - RED_ZONE;
    }
    for (size_t k = 0; k < t->nthreads; k++) {
      uint64_t fs = t->threads[k].regs[HS_REG_FS_BASE];
      if (t->threads[k].have_regs && fs >= lo && fs < m->end) s->out->tls_threads++;
    }
    /* a core holds a mapping's first core_len bytes; the rest were never
     * dumped (coredump_filter) and would read as zeros: nothing to find */
    uint64_t hi = m->end;
    if (t->kind == HS_TARGET_CORE && m->end - m->start > m->core_len) hi = m->start + m->core_len;
    s->out->root_regions++;
    if (lo < hi) scan_root(s, lo, hi);
  }
}

/* ---- groups -------------------------------------------------------------- */

static const struct hs_heap *g_sort_heap;
static const uint8_t *g_sort_kind;

static uint64_t group_key_type(size_t i) {
  uint32_t c = g_sort_heap->blocks[i].census;
  return c >= 2 ? c : 0;
}

static int cmp_lost(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  if (g_sort_kind[x] != g_sort_kind[y]) return g_sort_kind[x] < g_sort_kind[y] ? 1 : -1;
  uint64_t tx = group_key_type(x), ty = group_key_type(y);
  if (tx != ty) return tx < ty ? -1 : 1;
  uint64_t sx = tx ? 0 : g_sort_heap->blocks[x].usable, sy = ty ? 0 : g_sort_heap->blocks[y].usable;
  if (sx != sy) return sx < sy ? -1 : 1;
  return x < y ? -1 : x > y;
}

static int cmp_group(const void *a, const void *b) {
  const struct hs_leak_group *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  if (x->kind != y->kind) return x->kind < y->kind ? 1 : -1;
  return x->sample_addr < y->sample_addr ? -1 : x->sample_addr > y->sample_addr;
}

static void make_groups(struct scan *s) {
  const struct hs_heap *h = s->h;
  struct hs_leak_scan *o = s->out;
  size_t nlost = 0;
  for (size_t i = 0; i < h->nblocks; i++)
    if (o->kind[i] != HS_LEAK_REACHABLE) nlost++;
  if (!nlost) return;
  size_t *idx = hs_xmalloc(nlost * sizeof *idx);
  for (size_t i = 0, k = 0; i < h->nblocks; i++)
    if (o->kind[i] != HS_LEAK_REACHABLE) idx[k++] = i;
  g_sort_heap = h;
  g_sort_kind = o->kind;
  qsort(idx, nlost, sizeof *idx, cmp_lost);
  o->groups = hs_xcalloc(nlost, sizeof *o->groups);
  for (size_t k = 0; k < nlost; k++) {
    size_t i = idx[k];
    const struct hs_hblock *b = &h->blocks[i];
    uint32_t type = (uint32_t)group_key_type(i);
    int fresh = o->ngroups == 0;
    if (!fresh) {
      const struct hs_leak_group *last = &o->groups[o->ngroups - 1];
      fresh = last->kind != o->kind[i] || last->census != type || (!type && last->size != b->usable);
    }
    if (fresh) o->ngroups++;
    struct hs_leak_group *g = &o->groups[o->ngroups - 1];
    o->group[i] = (uint32_t)o->ngroups;
    if (fresh) {
      g->made = (uint32_t)(o->ngroups - 1);
      g->kind = o->kind[i];
      g->census = type;
      g->size = type ? 0 : b->usable;
      g->sample_addr = b->addr;
      g->sample_len = b->usable < HS_LEAK_SAMPLE ? (size_t)b->usable : HS_LEAK_SAMPLE;
      if (s->at[i]) memcpy(g->sample, s->at[i], g->sample_len);
      else g->sample_len = hs_target_read(s->t, b->addr, g->sample, g->sample_len);
    }
    g->blocks++;
    g->bytes += b->usable;
  }
  free(idx);
  qsort(o->groups, o->ngroups, sizeof *o->groups, cmp_group);
  uint32_t *now = hs_xmalloc(o->ngroups * sizeof *now);   /* made -> sorted */
  for (size_t k = 0; k < o->ngroups; k++) now[o->groups[k].made] = (uint32_t)k;
  for (size_t i = 0; i < h->nblocks; i++)
    if (o->group[i]) o->group[i] = now[o->group[i] - 1] + 1;
  free(now);
}

/* ---- the scan ------------------------------------------------------------ */

void hs_leak_scan(struct hs_target *t, const struct hs_libc *l, const struct hs_heap *h,
                  struct hs_leak_scan *out) {
  double t0 = now_ms();
  memset(out, 0, sizeof *out);
  size_t n = h->nblocks;
  out->kind = hs_xcalloc(n ? n : 1, 1);
  out->group = hs_xcalloc(n ? n : 1, sizeof *out->group);
  for (size_t i = 0; i < t->nmaps; i++)
    if (is_spy_map(&t->maps[i])) out->spied = 1;
  struct scan s = { .t = t, .h = h, .out = out, .clique_head = -1 };
  if (n) {
    s.lo = h->blocks[0].addr;
    for (size_t i = 0; i < n; i++)
      if (h->blocks[i].addr + h->blocks[i].usable > s.hi) s.hi = h->blocks[i].addr + h->blocks[i].usable;
  }
  s.cuts = hs_xmalloc((h->nranges + 2) * sizeof *s.cuts);
  s.cuts[s.ncuts][0] = l->main_arena;
  s.cuts[s.ncuts++][1] = l->main_arena + HS_MSTATE_SIZE;
  if (l->mp) {
    s.cuts[s.ncuts][0] = l->mp;
    s.cuts[s.ncuts++][1] = l->mp + HS_MP_SIZE;
  }
  for (size_t i = 0; i < h->nranges; i++) {
    s.cuts[s.ncuts][0] = h->ranges[i].start;
    s.cuts[s.ncuts++][1] = h->ranges[i].end;
  }
  qsort(s.cuts, s.ncuts, sizeof *s.cuts, cmp_cut);
  s.state = hs_xcalloc(n ? n : 1, 1);
  s.heur = hs_xcalloc(n ? n : 1, 1);
  s.at = hs_xcalloc(n ? n : 1, sizeof *s.at);
  s.piece = hs_xmalloc(BIG + PAGE);
  copy_blocks(&s);
  if (n) {
    scan_roots(&s);
    /* What no root reaches is lost: each such block, in address order,
     * heads a clique; what only it reaches is indirectly lost. */
    for (size_t i = 0; i < n; i++) {
      if (s.state[i] != HS_LEAK_UNREACHED) continue;
      s.clique_head = (int64_t)i;
      scan_block(&s, i, 1);
      drain(&s, 1);
    }
  }
  for (size_t i = 0; i < n; i++) {
    uint8_t k = s.state[i] == HS_LEAK_UNREACHED ? HS_LEAK_DEFINITE : s.state[i];
    out->kind[i] = k;
    out->bytes[k] += h->blocks[i].usable;
    out->blocks[k]++;
    if (k == HS_LEAK_REACHABLE && s.heur[i]) {
      out->heur_bytes[s.heur[i]] += h->blocks[i].usable;
      out->heur_blocks[s.heur[i]]++;
    }
  }
  make_groups(&s);
  free(s.state);
  free(s.heur);
  free(s.at);
  free(s.buf);
  free(s.piece);
  free(s.todo);
  free(s.cuts);
  out->ms = now_ms() - t0;
}

void hs_leak_scan_free(struct hs_leak_scan *s) {
  free(s->kind);
  free(s->group);
  free(s->groups);
  memset(s, 0, sizeof *s);
}
