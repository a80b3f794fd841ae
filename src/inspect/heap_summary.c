/*
 * heap_summary.c: RSS explained, sizes and the verdict (see
 * heap_summary.h).
 *
 * The parts add up: every region's resident bytes go either to the heap
 * (the resident pages of the heap ranges the walk found, split by chunk
 * category) or to the region's own category, so the rows sum to RSS.
 *
 * Must never: read the target, or pick a verdict the numbers do not
 * support (the largest part of RSS names it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/held_words.h"
#include "common/util.h"
#include "inspect/heap_summary.h"

static int cmp_nonheap(const void *a, const void *b) {
  uint64_t x = ((const struct hs_nonheap *)a)->bytes, y = ((const struct hs_nonheap *)b)->bytes;
  return x < y ? 1 : x > y ? -1 : 0;
}

static int cmp_size_bytes(const void *a, const void *b) {
  const struct hs_size_row *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  return x->size < y->size ? -1 : x->size > y->size;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void sizes(const struct hs_heap *h, struct hs_heap_summary *s) {
  uint64_t *v = hs_xmalloc((h->nblocks ? h->nblocks : 1) * sizeof *v);
  for (size_t i = 0; i < h->nblocks; i++) {
    v[i] = h->blocks[i].usable;
    int k = 63 - __builtin_clzll(v[i] | 1);
    s->classes[k].size = 1ull << k;
    s->classes[k].blocks++;
    s->classes[k].bytes += v[i];
  }
  qsort(v, h->nblocks, sizeof *v, cmp_u64);
  s->sizes = hs_xmalloc((h->nblocks ? h->nblocks : 1) * sizeof *s->sizes);
  for (size_t i = 0; i < h->nblocks; i++) {
    if (s->nsizes && s->sizes[s->nsizes - 1].size == v[i]) {
      s->sizes[s->nsizes - 1].blocks++;
      s->sizes[s->nsizes - 1].bytes += v[i];
    } else {
      s->sizes[s->nsizes++] = (struct hs_size_row){ v[i], 1, v[i] };
    }
  }
  free(v);
  qsort(s->sizes, s->nsizes, sizeof *s->sizes, cmp_size_bytes);
}

static const char *mb(uint64_t b, char *buf) {
  return hs_human_bytes((double)b, buf);
}

/* "1.2 M" style counts. */
static const char *count_words(uint64_t n, char *buf) {
  if (n >= 1000000) snprintf(buf, 32, "%.1f M", (double)n / 1e6);
  else hs_commas(n, buf);
  return buf;
}

static void verdict(const struct hs_heap *h, struct hs_heap_summary *s) {
  const struct hs_arena *t = &s->tot;
  uint64_t live = t->resident[HS_H_INUSE];
  uint64_t held = t->resident[HS_H_FREE] + t->resident[HS_H_TOP];
  uint64_t over = t->resident[HS_H_OVERHEAD];
  uint64_t other = s->nnonheap ? s->nonheap[0].bytes : 0;
  uint64_t rss = s->rss ? s->rss : 1;
  char a[32], b[32];
  unsigned pct;
  size_t threads = 0;
  uint64_t held_threads = 0;
  for (size_t i = 0; i < h->narenas; i++)
    if (!h->arenas[i].is_main) {
      threads++;
      held_threads += h->arenas[i].resident[HS_H_FREE] + h->arenas[i].resident[HS_H_TOP];
    }
  if (held >= live && held >= over && held >= other) {
    char subject[32];
    snprintf(subject, sizeof subject, "%u%% of RSS",
             (unsigned)(100.0 * (double)held / (double)rss + 0.5));
    int fragmented = threads && held_threads * 2 > held;
    hs_held_words(s->verdict, sizeof s->verdict, subject, fragmented ? threads : 0, held);
  } else if (live >= over && live >= other) {
    pct = (unsigned)(100.0 * (double)live / (double)rss + 0.5);
    snprintf(s->verdict, sizeof s->verdict, "%s RSS is live heap data: %s in %s blocks (%u%%)",
             pct > 50 ? "most of" : "the largest part of", mb(t->in_use_bytes, a),
             count_words(t->in_use_blocks, b), pct);
  } else if (over >= other) {
    pct = (unsigned)(100.0 * (double)over / (double)rss + 0.5);
    snprintf(s->verdict, sizeof s->verdict,
             "%u%% of RSS is glibc's own overhead (chunk headers, arenas, tcaches): many small "
             "blocks or many arenas", pct);
  } else {
    pct = (unsigned)(100.0 * (double)other / (double)rss + 0.5);
    uint64_t heap = live + held + over;
    snprintf(s->verdict, sizeof s->verdict,
             "most of RSS is not heap: %s is %u%% (%s); the glibc heap is %u%% of RSS",
             s->nonheap[0].category, pct, mb(other, a),
             (unsigned)(100.0 * (double)heap / (double)rss + 0.5));
  }
}

void hs_heap_summarize(const struct hs_heap *h, const struct hs_regions *rs,
                       struct hs_heap_summary *s) {
  memset(s, 0, sizeof *s);
  hs_heap_totals(h, &s->tot);
  for (int c = 0; c < HS_H_NCATS; c++) s->heap_resident += s->tot.resident[c];
  uint64_t by_kind[HS_R_NKINDS] = { 0 };
  if (rs) {
    for (size_t i = 0; i < rs->n; i++) {
      const struct hs_region *r = &rs->v[i];
      s->rss += r->rss;
      uint64_t in_heap = hs_heap_resident_in(h, r->start, r->end);
      if (in_heap < r->rss) by_kind[r->kind] += r->rss - in_heap;
    }
  } else {
    s->rss = s->heap_resident;
  }
  for (int k = 0; k < HS_R_NKINDS; k++)
    if (by_kind[k]) {
      s->nonheap[s->nnonheap].category = hs_kind_label((enum hs_region_kind)k);
      s->nonheap[s->nnonheap++].bytes = by_kind[k];
    }
  qsort(s->nonheap, s->nnonheap, sizeof *s->nonheap, cmp_nonheap);
  sizes(h, s);
  verdict(h, s);
}

void hs_heap_summary_free(struct hs_heap_summary *s) {
  free(s->sizes);
  memset(s, 0, sizeof *s);
}
