/*
 * trace_merge.c: see trace_merge.h. The chunks are listed once and
 * grouped by thread (a lane per thread, its chunks in sequence order);
 * each step takes the lane whose next event comes first. A lane decodes
 * its chunk only when that chunk's first moment is the earliest left, and
 * frees the buffer when the chunk is used up.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/trace_merge.h"
#include "common/util.h"

struct lane_chunk { uint64_t off; struct hst_chunk c; };

struct lane {
  struct lane_chunk *ch;    /* this thread's chunks, in order */
  size_t n, next;           /* ch[next] is the chunk to load */
  uint8_t *buf;             /* the decoded chunk, or NULL */
  struct hst_cursor k;
  struct hst_event head;    /* with buf: the next event to hand out */
};

struct hs_merge {
  struct hst_trace tr;
  struct lane_chunk *all;
  struct lane *lane;
  size_t nlanes;
  char err[1200];
};

int hs_trace_open(struct hst_trace *tr, const struct hs_model *m) {
  char path[1100], err[1200];
  hst_path_of(m->prof.path, path, sizeof path);
  if (hst_open(tr, path, err, sizeof err) < 0) return hs_error("%s", err);
  if (tr->hdr.pid != m->prof.hdr->pid || tr->hdr.start_unix_ns != m->prof.hdr->start_unix_ns) {
    hs_error("%s belongs to another run than %s (pid %d, not %d)", path, m->prof.path,
             tr->hdr.pid, m->prof.hdr->pid);
    hst_close(tr);
    return -1;
  }
  if (tr->hdr.flags & HST_FLAG_CAPPED)
    hs_warn("%s is incomplete from %u ms: it reached its --trace-cap; later events are missing",
            path, tr->hdr.capped_ms);
  else if (tr->hdr.flags & HST_FLAG_INCOMPLETE)
    hs_warn("%s is incomplete: the spy could not extend it (disk full?), later events are missing",
            path);
  return 0;
}

static int by_thread(const void *a, const void *b) {
  const struct lane_chunk *x = a, *y = b;
  if (x->c.tid != y->c.tid) return x->c.tid < y->c.tid ? -1 : 1;
  if (x->c.seq_first != y->c.seq_first) return x->c.seq_first < y->c.seq_first ? -1 : 1;
  if (x->c.t_first != y->c.t_first) return x->c.t_first < y->c.t_first ? -1 : 1;
  return x->off < y->off ? -1 : x->off > y->off;   /* file order breaks ties */
}

struct hs_merge *hs_merge_open(const struct hs_model *m) {
  struct hs_merge *g = hs_xcalloc(1, sizeof *g);
  if (hs_trace_open(&g->tr, m) < 0) return free(g), NULL;
  size_t n = 0, cap = 0;
  uint64_t pos = 0, off;
  struct hst_chunk c;
  int r;
  while ((r = hst_next_chunk(&g->tr, &pos, &off, &c, g->err, sizeof g->err)) == 1) {
    if (!c.nevents) continue;
    if (n == cap) g->all = hs_xrealloc(g->all, (cap = cap ? cap * 2 : 64) * sizeof *g->all);
    g->all[n++] = (struct lane_chunk){ off, c };
  }
  if (r < 0) {
    hs_error("%s", g->err);
    hs_merge_close(g);
    return NULL;
  }
  if (n) qsort(g->all, n, sizeof *g->all, by_thread);
  for (size_t i = 0; i < n; i++) {
    if (!i || g->all[i].c.tid != g->all[i - 1].c.tid) {
      g->lane = hs_xrealloc(g->lane, (g->nlanes + 1) * sizeof *g->lane);
      g->lane[g->nlanes++] = (struct lane){ .ch = &g->all[i] };
    }
    g->lane[g->nlanes - 1].n++;
  }
  return g;
}

static int corrupt(struct hs_merge *g, const struct lane *l) {
  return hs_error("%s: corrupt events in the chunk at offset %llu", g->tr.path,
                  (unsigned long long)l->ch[l->next - 1].off);
}

/* Decodes lane l's next chunk that holds an event; 0 when the lane is
 * done, -1 after a message. */
static int lane_fill(struct hs_merge *g, struct lane *l) {
  while (l->next < l->n) {
    const struct lane_chunk *lc = &l->ch[l->next++];
    if (!l->buf) l->buf = hs_xmalloc(HST_PACK_MAX);
    long len = hst_chunk_events(&g->tr, lc->off, &lc->c, l->buf, g->err, sizeof g->err);
    if (len < 0) return hs_error("%s", g->err);
    hst_cursor_init(&l->k, &lc->c, l->buf, (size_t)len);
    int r = hst_cursor_next(&l->k, &l->head);
    if (r) return r < 0 ? corrupt(g, l) : 1;
  }
  free(l->buf);
  l->buf = NULL;
  return 0;
}

/* The lane's next moment: its head event, or its next chunk's start. */
static int lane_key(const struct lane *l, uint32_t *t, uint64_t *seq) {
  if (l->buf) { *t = l->head.t; *seq = l->head.seq; return 1; }
  if (l->next >= l->n) return 0;
  *t = l->ch[l->next].c.t_first;
  *seq = l->ch[l->next].c.seq_first;
  return 1;
}

int hs_merge_next(struct hs_merge *g, struct hst_event *e) {
  for (;;) {
    struct lane *best = NULL;
    uint32_t bt = 0, t;
    uint64_t bs = 0, s;
    for (size_t i = 0; i < g->nlanes; i++)
      if (lane_key(&g->lane[i], &t, &s) && (!best || t < bt || (t == bt && s < bs)))
        best = &g->lane[i], bt = t, bs = s;
    if (!best) return 0;
    if (!best->buf) {              /* its chunk starts first: decode it, then compare again */
      if (lane_fill(g, best) < 0) return -1;
      continue;
    }
    *e = best->head;
    int r = hst_cursor_next(&best->k, &best->head);
    if (r < 0) return corrupt(g, best);
    if (r == 0) {                  /* used up: the lane waits for its next chunk's turn */
      free(best->buf);
      best->buf = NULL;
    }
    return 1;
  }
}

void hs_merge_close(struct hs_merge *g) {
  if (!g) return;
  for (size_t i = 0; i < g->nlanes; i++) free(g->lane[i].buf);
  free(g->lane);
  free(g->all);
  hst_close(&g->tr);
  free(g);
}
