/*
 * verdict.c: the timeline as the reports draw it, and its verdict, made
 * once so that the text, HTML and --timeline reports say the same thing
 * (see model.h). Must never state a number the reports do not show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/model.h"
#include "common/held_words.h"
#include "common/util.h"

static int64_t max_heap(const struct hsp_tick *t, size_t n) {
  int64_t top = 0;
  for (size_t i = 0; i < n; i++)
    if (t[i].heap_bytes > top) top = t[i].heap_bytes;
  return top;
}

/* What snprintf wrote into len bytes, as a length. */
static size_t fitted(int k, size_t len) {
  return k < 0 ? 0 : (size_t)k < len ? (size_t)k : len - 1;
}

size_t hs_model_ticks(struct hs_model *m, const struct hsp_tick **out) {
  if (!m->ticks) {
    const struct hsp_tick *t;
    size_t n = hsp_timeline(&m->prof, &t);
    m->ticks = hs_xcalloc(n + 2, sizeof *m->ticks);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)           /* a point taken twice at exit counts once */
      if (!k || memcmp(&m->ticks[k - 1], &t[i], sizeof *t)) m->ticks[k++] = t[i];
    n = k;
    int64_t top = max_heap(m->ticks, n);
    /* the peak between two samples: a point of its own where its time
     * puts it, with the RSS and virtual size of the sample before it */
    if (n >= 2 && m->peak_bytes > (uint64_t)top && m->peak_ms <= m->ticks[n - 1].t_ms) {
      size_t at = 1;
      while (at < n && m->ticks[at].t_ms <= m->peak_ms) at++;
      memmove(&m->ticks[at + 1], &m->ticks[at], (n - at) * sizeof *m->ticks);
      m->ticks[at] = m->ticks[at - 1];
      m->ticks[at].t_ms = m->peak_ms;
      m->ticks[at].heap_bytes = (int64_t)m->peak_bytes;
      n++;
    }
    m->nticks = n;
  }
  *out = m->ticks;
  return m->nticks;
}

size_t hs_timeline_verdict(struct hs_model *m, char *buf, size_t len) {
  const struct hsp_tick *t;
  size_t n = hs_model_ticks(m, &t);
  buf[0] = 0;
  double secs = n >= 2 ? (double)(t[n - 1].t_ms - t[0].t_ms) / 1000.0 : 0;
  if (secs <= 0) return 0;
  char a[32], b[32], c[32], d[32];
  int64_t first = t[0].heap_bytes, last = t[n - 1].heap_bytes, top = max_heap(t, n);
  double heap = (double)(last - first), rss = (double)t[n - 1].rss_bytes - (double)t[0].rss_bytes;
  int64_t ends = first > last ? first : last;
  /* A peak stands out when it is well above both ends of the curve. */
  int peaked = top > ends && top - ends > (top / 4 > 4096 ? top / 4 : 4096);
  size_t k;
  if (peaked)
    k = (size_t)snprintf(buf, len, "heap rose from %s to a peak of %s at %.3f s and ended at %s at %.3f s",
                         hs_human_bytes((double)first, a), hs_human_bytes((double)top, b),
                         (double)m->peak_ms / 1000.0, hs_human_bytes((double)last, c),
                         (double)t[n - 1].t_ms / 1000.0);
  else
    k = (size_t)snprintf(buf, len, "heap %s %s in %.3f s (%s/s)", heap >= 0 ? "grew" : "shrank",
                         hs_human_bytes(heap < 0 ? -heap : heap, a), secs,
                         hs_human_bytes(heap / secs, b));
  if (k < len)
    k += (size_t)snprintf(buf + k, len - k, "; RSS %s %s", rss >= 0 ? "grew" : "shrank",
                          hs_human_bytes(rss < 0 ? -rss : rss, d));
  return k < len ? k : len - 1;
}

size_t hs_timeline_own(struct hs_model *m, char *buf, size_t len) {
  const struct hsp_tick *t;
  size_t n = hs_model_ticks(m, &t);
  buf[0] = 0;
  if (!n || (!t[n - 1].spy_rss_bytes && !t[n - 1].spy_vm_bytes)) return 0;
  char a[32], b[32];
  int k = snprintf(buf, len, "heapspy's own memory at the end, left out of the figures above: "
                   "RSS %s, virtual %s", hs_human_bytes((double)t[n - 1].spy_rss_bytes, a),
                   hs_human_bytes((double)t[n - 1].spy_vm_bytes, b));
  return fitted(k, len);
}

size_t hs_timeline_outside(struct hs_model *m, char *buf, size_t len) {
  const struct hsp_tick *t;
  size_t n = hs_model_ticks(m, &t);
  buf[0] = 0;
  if (n < 2) return 0;
  double heap = (double)(t[n - 1].heap_bytes - t[0].heap_bytes);
  double rss = (double)t[n - 1].rss_bytes - (double)t[0].rss_bytes;
  const struct hsp_tick *g0, *g1;               /* freed memory glibc kept is heap too */
  if (hs_timeline_glibc_ends(m, &g0, &g1) == 2)
    heap += (double)g1->glibc.free_bytes - (double)g0->glibc.free_bytes;
  if (!(rss > 4.0 * (heap > 0 ? heap : 0) && rss > 16 << 20)) return 0;
  char a[32], b[32];
  int k = snprintf(buf, len, "RSS grew %s, the heap %s: look outside the heap (mappings, thread "
                   "stacks, another allocator): heapspy maps PID shows where",
                   hs_human_bytes(rss, a), hs_human_bytes(heap > 0 ? heap : 0, b));
  return fitted(k, len);
}

size_t hs_timeline_glibc_ends(struct hs_model *m, const struct hsp_tick **first,
                              const struct hsp_tick **last) {
  const struct hsp_tick *t;
  size_t n = hs_model_ticks(m, &t), i = 0, j = n;
  while (i < n && !t[i].glibc.t_ms) i++;
  while (j > i && !t[j - 1].glibc.t_ms) j--;
  if (i == n) return 0;
  *first = &t[i];
  *last = &t[j - 1];
  return j - 1 > i ? 2 : 1;
}

size_t hs_timeline_retention(struct hs_model *m, char *buf, size_t len) {
  const struct hsp_tick *a, *z;
  buf[0] = 0;
  if (hs_timeline_glibc_ends(m, &a, &z) < 2) return 0;
  double live = (double)z->heap_bytes - (double)a->heap_bytes;
  double held = (double)z->glibc.free_bytes - (double)a->glibc.free_bytes;
  double rss = (double)z->rss_bytes - (double)a->rss_bytes;
  char x[32], y[32], subject[96];
  int k;
  if (held >= HS_GROWTH_MIN && held > live) {
    if (rss >= HS_GROWTH_MIN)
      snprintf(subject, sizeof subject, "retention, not a leak: RSS grew %s: %s",
               hs_human_bytes(rss, x), hs_human_bytes(held, y));
    else
      snprintf(subject, sizeof subject, "retention, not a leak: %s more", hs_human_bytes(held, y));
    size_t n = hs_held_words(buf, len, subject, 0, 0);
    k = snprintf(buf + n, len - n, " (the heap in use %s %s)", live >= 0 ? "grew" : "shrank",
                 hs_human_bytes(live < 0 ? -live : live, x));
    return fitted(k < 0 ? 0 : (int)n + k, len);
  }
  if (live >= HS_GROWTH_MIN) {
    k = snprintf(buf, len, "leak, not retention: the heap in use grew %s, live data (a leak, or "
                 "a cache that only grows); freed memory held by glibc %s %s",
                 hs_human_bytes(live, x), held >= 0 ? "grew" : "shrank",
                 hs_human_bytes(held < 0 ? -held : held, y));
    return fitted(k, len);
  }
  return 0;
}
