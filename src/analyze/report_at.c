/*
 * report_at.c: time travel through a --trace: `report --at T` (the live
 * heap at T, by allocation stack, like the leak view of that moment),
 * `report --between T1 T2` (what was allocated after T1 and is still live
 * at T2) and `report --trace-stats` (event counts, comparable with
 * heaptrack_print's totals).
 *
 * T is a time (1500, 1500ms, 1.5s), `end`, or a checkpoint name. A time
 * cut takes every event stamped at or before T (ms); a checkpoint cut
 * takes exactly the events before the checkpoint's sequence number, so
 * `--at NAME` equals the checkpoint's figures even with threads.
 *
 * Memory: one chunk buffer plus a tally per (stack, family); chunks wholly
 * inside the cut contribute their index (hst_format.h) without being
 * decompressed. Must never hold events or blocks in memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/report.h"
#include "analyze/trace_merge.h"
#include "analyze/trace_tally.h"
#include "analyze/trace_walk.h"
#include "common/util.h"

struct cut {
  int by_seq;               /* 1: events with seq < seq; 0: with t <= t */
  uint64_t seq;
  uint32_t t;
  uint32_t t_ms;            /* the moment, for the title */
  char label[96];
};

int hs_walk_open(struct hs_walk *w, struct hs_model *m) {
  memset(w, 0, sizeof *w);
  if (hs_trace_open(&w->tr, m) < 0) return -1;
  w->buf = hs_xmalloc(HST_PACK_MAX);
  return 0;
}

void hs_walk_close(struct hs_walk *w) {
  hst_close(&w->tr);
  free(w->buf);
  free(w->sum);
}

int hs_walk_events(struct hs_walk *w, uint64_t off, const struct hst_chunk *c,
                      int (*fn)(void *, const struct hst_event *), void *arg) {
  long len = hst_chunk_events(&w->tr, off, c, w->buf, w->err, sizeof w->err);
  if (len < 0) return hs_error("%s", w->err);
  w->decoded++;
  struct hst_cursor k;
  struct hst_event e;
  int r;
  hst_cursor_init(&k, c, w->buf, (size_t)len);
  while ((r = hst_cursor_next(&k, &e)) == 1)
    if (fn(arg, &e)) return 1;
  if (r < 0) return hs_error("%s: corrupt events in the chunk at offset %llu", w->tr.path,
                             (unsigned long long)off);
  return 0;
}

/* ---- resolving T ---------------------------------------------------- */

struct find_mark { const char *name; struct hst_event found; int hit; };
static int is_mark(void *arg, const struct hst_event *e) {
  struct find_mark *f = arg;
  if (e->kind != HST_EV_MARK || strcmp(e->name, f->name)) return 0;
  f->found = *e;
  return f->hit = 1;
}

static int parse_time(const char *s, uint32_t *ms) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno || v < 0) return -1;
  if (!strcmp(end, "s")) v *= 1000;
  else if (*end && strcmp(end, "ms")) return -1;
  if (v > UINT32_MAX) return -1;
  *ms = (uint32_t)v;
  return 0;
}

static int resolve(struct hs_walk *w, struct hs_model *m, const char *when, struct cut *c) {
  memset(c, 0, sizeof *c);
  if (!strcmp(when, "end")) {
    c->by_seq = 1;
    c->seq = UINT64_MAX;
    c->t_ms = (uint32_t)m->prof.hdr->duration_ms;
    snprintf(c->label, sizeof c->label, "the end of the run");
    return 0;
  }
  int named = 0;
  for (size_t i = 0; i < m->nmarks; i++) named |= !strcmp(m->marks[i]->name, when);
  if (!named && parse_time(when, &c->t) == 0) {
    c->t_ms = c->t;
    snprintf(c->label, sizeof c->label, "%u ms", c->t);
    return 0;
  }
  struct find_mark f = { when, { 0 }, 0 };
  uint64_t pos = 0, off;
  struct hst_chunk ch;
  int r;
  while (!f.hit && (r = hst_next_chunk(&w->tr, &pos, &off, &ch, w->err, sizeof w->err)) == 1)
    if (ch.marks && hs_walk_events(w, off, &ch, is_mark, &f) < 0) return -1;
  if (!f.hit && r < 0) return hs_error("%s", w->err);
  if (!f.hit)
    return hs_error("'%s' is neither a time (1500, 1500ms, 1.5s, end) nor a checkpoint "
                    "in the trace", when);
  c->by_seq = 1;
  c->seq = f.found.cut;
  c->t_ms = f.found.t;
  snprintf(c->label, sizeof c->label, "checkpoint '%s' (%u ms)", when, f.found.t);
  return 0;
}

/* ---- the heap at a cut ------------------------------------------------ */

static inline int ev_before(const struct cut *c, const struct hst_event *e) {
  return c->by_seq ? e->seq < c->seq : e->t <= c->t;
}
static inline int chunk_before(const struct cut *c, const struct hst_chunk *ch) {
  return c->by_seq ? ch->seq_last < c->seq : ch->t_last <= c->t;
}
static inline int chunk_after(const struct cut *c, const struct hst_chunk *ch) {
  return c->by_seq ? ch->seq_first >= c->seq : ch->t_first > c->t;
}

struct at_ctx { struct hs_tally *tally; const struct cut *cut; };
static int add_if_before(void *arg, const struct hst_event *e) {
  struct at_ctx *a = arg;
  if (ev_before(a->cut, e)) hs_tally_event(a->tally, e);
  return 0;
}

static int tally_at(struct hs_walk *w, const struct cut *cut, struct hs_tally *tally) {
  uint64_t pos = 0, off;
  struct hst_chunk c;
  struct at_ctx a = { tally, cut };
  int r;
  while ((r = hst_next_chunk(&w->tr, &pos, &off, &c, w->err, sizeof w->err)) == 1) {
    w->chunks++;
    if (chunk_after(cut, &c) || !c.nevents) continue;
    if (chunk_before(cut, &c) && c.codec != HST_RAW) {
      if (c.nsummary > w->sum_cap)
        w->sum = hs_xrealloc(w->sum, (w->sum_cap = c.nsummary) * sizeof *w->sum);
      if (hst_chunk_summary(&w->tr, off, &c, w->sum, w->err, sizeof w->err) < 0)
        return hs_error("%s", w->err);
      for (uint32_t i = 0; i < c.nsummary; i++)
        hs_tally_add(tally, w->sum[i].stack, w->sum[i].family, w->sum[i].bytes, w->sum[i].blocks);
    } else if (hs_walk_events(w, off, &c, add_if_before, &a) < 0) {
      return -1;
    }
  }
  return r < 0 ? hs_error("%s", w->err) : 0;
}

/* ---- allocated between two cuts, live at the second ---------------------- */

/* Events after `from` and up to `to`; a free counts only if its block was
 * allocated after `from`. Block ages are in ms: a block allocated in the
 * very millisecond of `from` counts as older. */
struct between_ctx { struct hs_tally *tally; const struct cut *from, *to; };
static int add_if_between(void *arg, const struct hst_event *e) {
  struct between_ctx *b = arg;
  if (e->kind == HST_EV_MARK || ev_before(b->from, e) || !ev_before(b->to, e)) return 0;
  if (e->kind != HST_EV_ALLOC && e->alloc_t <= b->from->t_ms) return 0;
  hs_tally_event(b->tally, e);
  return 0;
}

static int tally_between(struct hs_walk *w, const struct cut *from, const struct cut *to,
                         struct hs_tally *tally) {
  uint64_t pos = 0, off;
  struct hst_chunk c;
  struct between_ctx b = { tally, from, to };
  int r;
  while ((r = hst_next_chunk(&w->tr, &pos, &off, &c, w->err, sizeof w->err)) == 1) {
    w->chunks++;
    if (!c.nevents || chunk_before(from, &c) || chunk_after(to, &c)) continue;
    if (hs_walk_events(w, off, &c, add_if_between, &b) < 0) return -1;
  }
  return r < 0 ? hs_error("%s", w->err) : 0;
}

/* ---- rendering ----------------------------------------------------------- */

static int by_bytes(const void *a, const void *b) {
  const struct hst_sum *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

static void render(FILE *out, struct hs_model *m, struct hs_walk *w, struct hs_tally *tally,
                   const char *title, const char *json_head, size_t max_sites, int json) {
  size_t n = hs_tally_pack(tally);
  qsort(tally->slot, n, sizeof *tally->slot, by_bytes);
  int64_t bytes = 0, blocks = 0;
  for (size_t i = 0; i < n; i++) bytes += tally->slot[i].bytes, blocks += tally->slot[i].blocks;
  size_t shown = max_sites && n > max_sites ? max_sites : n;
  char b1[32], b2[32], b3[32], b4[32];
  if (json) {
    fprintf(out, "{%s, \"in_use_bytes\": %lld, \"in_use_blocks\": %lld, \"sites_total\": %zu, "
                 "\"trace\": {\"chunks\": %llu, \"chunks_decoded\": %llu}, \"sites\": [",
            json_head, (long long)bytes, (long long)blocks, n, (unsigned long long)w->chunks,
            (unsigned long long)w->decoded);
  } else {
    fprintf(out, "%s: %s bytes in %s blocks, %zu site%s (%s of %s trace chunks decoded)\n",
            title, hs_commas((uint64_t)(bytes < 0 ? 0 : bytes), b1),
            hs_commas((uint64_t)(blocks < 0 ? 0 : blocks), b2), n, n == 1 ? "" : "s",
            hs_commas(w->decoded, b3), hs_commas(w->chunks, b4));
  }
  for (size_t i = 0; i < shown; i++) {
    const struct hst_sum *s = &tally->slot[i];
    if (json) {
      fprintf(out, "%s\n  {\"bytes\": %lld, \"blocks\": %lld, \"family\": ", i ? "," : "",
              (long long)s->bytes, (long long)s->blocks);
      hs_json_str(out, hs_family_name(m, s->family));
      fputs(", \"stack\": ", out);
      hs_json_frames(out, m, s->stack);
      fputc('}', out);
    } else {
      fprintf(out, "\n%s bytes in %s blocks (%s)\n", hs_commas((uint64_t)s->bytes, b1),
              hs_commas((uint64_t)s->blocks, b2), hs_family_name(m, s->family));
      hs_text_frames(out, m, s->stack, "    ", 16);
    }
  }
  if (json) fputs("\n]}\n", out);
  else if (shown < n) fprintf(out, "\n(%zu more sites; --max-sites 0 lists all)\n", n - shown);
}

int hs_report_at(FILE *out, struct hs_model *m, const char *when, size_t max_sites, int json) {
  struct hs_walk w;
  struct cut cut;
  if (hs_walk_open(&w, m) < 0) return -1;
  struct hs_tally tally;
  hs_tally_init(&tally);
  int rc = resolve(&w, m, when, &cut);
  w.decoded = 0;
  if (rc == 0) rc = tally_at(&w, &cut, &tally);
  if (rc == 0) {
    char title[160], head[200];
    snprintf(title, sizeof title, "Live heap at %s", cut.label);
    snprintf(head, sizeof head, "\"at_ms\": %u, \"at\": \"%s\"", cut.t_ms,
             cut.by_seq && cut.seq != UINT64_MAX ? "checkpoint" : cut.by_seq ? "end" : "time");
    render(out, m, &w, &tally, title, head, max_sites, json);
  }
  hs_tally_free(&tally);
  hs_walk_close(&w);
  return rc;
}

int hs_report_between(FILE *out, struct hs_model *m, const char *from, const char *to,
                      size_t max_sites, int json) {
  struct hs_walk w;
  struct cut c1, c2;
  if (hs_walk_open(&w, m) < 0) return -1;
  struct hs_tally tally;
  hs_tally_init(&tally);
  int rc = resolve(&w, m, from, &c1);
  if (rc == 0) rc = resolve(&w, m, to, &c2);
  if (rc == 0 && c2.t_ms < c1.t_ms) rc = hs_error("--between: %s comes before %s", to, from);
  w.decoded = 0;
  if (rc == 0) rc = tally_between(&w, &c1, &c2, &tally);
  if (rc == 0) {
    char title[260], head[100];
    snprintf(title, sizeof title, "Allocated after %s and still live at %s", c1.label, c2.label);
    snprintf(head, sizeof head, "\"from_ms\": %u, \"to_ms\": %u", c1.t_ms, c2.t_ms);
    render(out, m, &w, &tally, title, head, max_sites, json);
  }
  hs_tally_free(&tally);
  hs_walk_close(&w);
  return rc;
}

/* ---- event counts ----------------------------------------------------- */

/* Counted as the profile's totals count: a failed realloc's free is
 * undone by its RESTORE. heaptrack's "temporary": a free right after an allocation (nothing in
 * between in that thread's stream) of the same size and stack. */
struct stats {
  uint64_t allocs, reallocs, frees, restores, marks, temporary, events;
  int last_alloc;
  uint64_t last_size;
  uint32_t last_stack;
};
static int count(void *arg, const struct hst_event *e) {
  struct stats *s = arg;
  s->events++;
  if (e->kind == HST_EV_ALLOC) {
    s->allocs++;
    s->reallocs += e->realloc;
    s->last_alloc = 1;
    s->last_size = e->size;
    s->last_stack = e->stack;
    return 0;
  }
  if (e->kind == HST_EV_FREE) {
    s->frees++;
    s->temporary += s->last_alloc && s->last_size == e->size && s->last_stack == e->stack;
  }
  s->restores += e->kind == HST_EV_RESTORE;
  s->marks += e->kind == HST_EV_MARK;
  s->last_alloc = 0;
  return 0;
}

int hs_report_trace_stats(FILE *out, struct hs_model *m, int json) {
  struct hs_walk w;
  if (hs_walk_open(&w, m) < 0) return -1;
  struct stats s = { 0 };
  uint64_t pos = 0, off, raw = 0;
  int32_t tid = 0;
  struct hst_chunk c;
  int r;
  while ((r = hst_next_chunk(&w.tr, &pos, &off, &c, w.err, sizeof w.err)) == 1) {
    w.chunks++;
    if (c.tid != tid) s.last_alloc = 0;   /* another thread's stream */
    tid = c.tid;
    raw += c.codec == HST_RAW ? c.used : c.raw_len;
    if (hs_walk_events(&w, off, &c, count, &s) < 0) { hs_walk_close(&w); return -1; }
  }
  if (r < 0) { hs_walk_close(&w); return hs_error("%s", w.err); }
  char b[9][32];
  if (json)
    fprintf(out, "{\"events\": %llu, \"allocs\": %llu, \"reallocs\": %llu, \"frees\": %llu, "
                 "\"restores\": %llu, \"checkpoints\": %llu, \"temporary\": %llu, "
                 "\"chunks\": %llu, \"event_bytes\": %llu, \"file_bytes\": %llu, \"packed\": %s}\n",
            (unsigned long long)s.events, (unsigned long long)s.allocs,
            (unsigned long long)s.reallocs, (unsigned long long)(s.frees - s.restores),
            (unsigned long long)s.restores, (unsigned long long)s.marks,
            (unsigned long long)s.temporary, (unsigned long long)w.chunks,
            (unsigned long long)raw, (unsigned long long)w.tr.size,
            w.tr.hdr.flags & HST_FLAG_PACKED ? "true" : "false");
  else
    fprintf(out, "trace %s: %s events in %s chunks, %s bytes of events in a %s byte file (%s)\n"
                 "calls to allocation functions: %s (of which realloc: %s)\n"
                 "frees: %s\ntemporary allocations: %s\n",
            w.tr.path, hs_commas(s.events, b[0]), hs_commas(w.chunks, b[1]), hs_commas(raw, b[2]),
            hs_commas(w.tr.size, b[3]), w.tr.hdr.flags & HST_FLAG_PACKED ? "packed" : "raw",
            hs_commas(s.allocs, b[4]), hs_commas(s.reallocs, b[5]),
            hs_commas(s.frees - s.restores, b[6]), hs_commas(s.temporary, b[7]));
  hs_walk_close(&w);
  return 0;
}
