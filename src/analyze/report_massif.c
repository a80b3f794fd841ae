/*
 * report_massif.c: `--format massif`: the profile as valgrind massif's
 * out file (massif.out.PID), read by ms_print and massif-visualizer.
 *
 * Snapshots: one per timeline point (heap_tree=empty), time in ms; the
 * peak is the point holding heapspy's peak (report --peak), added where
 * the timeline lacks it, and its snapshot is heap_tree=peak with the
 * peak's bytes as mem_heap_B. Detailed snapshots (the allocation tree):
 *   - the peak: from a --trace, the heap by stack at the very event that
 *     made the peak; without, the spy's peak copy (within 3.1% of it), the
 *     rest shown as one node "(not attributed to a stack ...)";
 *   - each checkpoint (HEAPSPY_CHECKPOINT, snapshot) that recorded sites;
 *   - the end of the run: the blocks in use at exit;
 *   - from a --trace, every DETAILED_EVERY-th timeline point: the heap by
 *     stack at the end of that millisecond, which is then its mem_heap_B.
 * Trees as massif draws them: the allocation functions at the root, then
 * the allocation's caller, its caller...; children below 1% of the
 * snapshot's heap folded into massif's "in N places, all below massif's
 * threshold (1.00%)" line. mem_heap_extra_B and mem_stacks_B are 0: the
 * spy measures neither allocator overhead nor stacks.
 *
 * Must never: write a node larger than its snapshot's total (ms_print
 * stops at it), nor a '#' in a label (ms_print strips from it as a
 * comment).
 */
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "analyze/report.h"
#include "analyze/trace_merge.h"
#include "analyze/trace_tally.h"
#include "common/util.h"

#define DETAILED_EVERY 10
#define THRESHOLD_PCT 1
#define LABEL_FRAMES 8

enum { S_EMPTY, S_DETAILED, S_PEAK };

struct snap {
  uint64_t t;
  uint64_t heap;
  int kind;
  struct hst_sum *sites;    /* the tree's leaves, bytes > 0 */
  size_t nsites;
  const char *missing;      /* the heap not in sites, if any, is this */
};

struct snaps { struct snap *v; size_t n, cap; };

static struct snap *add(struct snaps *s, uint64_t t, uint64_t heap, int kind) {
  if (s->n == s->cap) s->v = hs_xrealloc(s->v, (s->cap = s->cap ? 2 * s->cap : 64) * sizeof *s->v);
  s->v[s->n] = (struct snap){ .t = t, .heap = heap, .kind = kind };
  return &s->v[s->n++];
}

/* The positive entries of a tally, copied. */
static void take_tally(struct snap *sn, const struct hs_tally *t) {
  sn->sites = hs_xmalloc((t->count + 1) * sizeof *sn->sites);
  sn->nsites = 0;
  uint64_t sum = 0;
  for (size_t i = 0; i < t->count; i++)
    if (t->slot[i].bytes > 0) {
      sn->sites[sn->nsites++] = t->slot[i];
      sum += (uint64_t)t->slot[i].bytes;
    }
  if (sn->kind != S_PEAK || sum > sn->heap) sn->heap = sum;
}

/* ---- the tree --------------------------------------------------------- */

/* A site as the tree sees it: its frames, heapspy's own left out. */
struct leaf {
  uint64_t bytes;
  uint32_t depth;
  const uint64_t *pc;       /* pc[0]: the allocation's caller */
};

struct tree {
  FILE *out;
  struct hs_model *m;
  uint64_t total;
};

static inline uint64_t pc_at(const struct leaf *l, uint32_t d) {
  return d < l->depth ? l->pc[d] : 0;
}

static uint32_t sort_depth;      /* qsort has no context argument */
static int by_pc(const void *a, const void *b) {
  uint64_t x = pc_at(a, sort_depth), y = pc_at(b, sort_depth);
  return x < y ? -1 : x > y;
}

struct child { size_t from, to; uint64_t pc, bytes; };
static int by_bytes_desc(const void *a, const void *b) {
  const struct child *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* leaves[from, to) grouped by their frame at depth d (leaves whose stack
 * ends above it belong to no child), largest first, into c (room for
 * to - from). Returns the count; *shown of them reach the threshold. */
static size_t group(const struct tree *t, struct leaf *l, size_t from, size_t to, uint32_t d,
                    struct child *c, size_t *shown) {
  sort_depth = d;
  qsort(l + from, to - from, sizeof *l, by_pc);
  size_t nc = 0;
  for (size_t i = from; i < to;) {
    uint64_t pc = pc_at(&l[i], d), bytes = 0;
    size_t j = i;
    while (j < to && pc_at(&l[j], d) == pc) bytes += l[j++].bytes;
    if (pc) c[nc++] = (struct child){ i, j, pc, bytes };
    i = j;
  }
  qsort(c, nc, sizeof *c, by_bytes_desc);
  for (*shown = 0; *shown < nc && c[*shown].bytes * 100 >= t->total * THRESHOLD_PCT;) ++*shown;
  return nc;
}

/* Lines directly under a node: its children shown, plus one for those
 * below the threshold. */
static size_t nlines(const struct tree *t, struct leaf *l, size_t from, size_t to, uint32_t d) {
  struct child *c = hs_xmalloc((to - from + 1) * sizeof *c);
  size_t shown, nc = group(t, l, from, to, d, c, &shown);
  free(c);
  return shown + (shown < nc);
}

static void label(struct tree *t, uint64_t pc) {
  struct hs_frame f[LABEL_FRAMES];
  size_t n = hs_symbolize(t->m->sym, pc, 1, f, LABEL_FRAMES);
  fprintf(t->out, " 0x%llX: ", (unsigned long long)pc);
  const char *fn = n && f[0].function ? f[0].function : "???";
  for (const char *p = fn; *p; p++) fputc(*p == '#' || *p == '\n' ? '_' : *p, t->out);
  if (n && f[0].file) fprintf(t->out, " (%s:%d)\n", f[0].file, f[0].line);
  else fprintf(t->out, " (in %s)\n", n && f[0].module ? f[0].module : "???");
}

/* The children of the node holding leaves[from, to) at depth d. */
static void children(struct tree *t, struct leaf *l, size_t from, size_t to, uint32_t d) {
  struct child *c = hs_xmalloc((to - from + 1) * sizeof *c);
  size_t shown, nc = group(t, l, from, to, d, c, &shown);
  uint64_t below = 0;
  for (size_t i = shown; i < nc; i++) below += c[i].bytes;
  for (size_t i = 0; i < shown; i++) {
    fprintf(t->out, "%*sn%zu: %llu", (int)d + 1, "", nlines(t, l, c[i].from, c[i].to, d + 1),
            (unsigned long long)c[i].bytes);
    label(t, c[i].pc);
    children(t, l, c[i].from, c[i].to, d + 1);
  }
  if (shown < nc) {
    size_t places = nc - shown;
    fprintf(t->out, "%*sn0: %llu in %zu place%s, %sbelow massif's threshold (%d.00%%)\n",
            (int)d + 1, "", (unsigned long long)below, places, places == 1 ? "" : "s",
            places == 1 ? "" : "all ", THRESHOLD_PCT);
  }
  free(c);
}

static void tree(FILE *out, struct hs_model *m, struct snap *sn) {
  struct tree t = { out, m, sn->heap };
  struct leaf *l = hs_xcalloc(sn->nsites + 1, sizeof *l);
  uint64_t sum = 0;
  for (size_t i = 0; i < sn->nsites; i++) {
    const struct hsp_stack *st = hsp_stack(&m->prof, sn->sites[i].stack);
    uint64_t *pc = hs_xmalloc(((st ? st->depth : 0) + 1) * sizeof *pc);
    uint32_t depth = st ? hsp_stack_frames(&m->prof, st, pc, st->depth) : 0, k = 0;
    for (uint32_t j = 0; j < depth; j++)
      if (!hs_model_spy_pc(m, pc[j])) pc[k++] = pc[j];
    l[i] = (struct leaf){ (uint64_t)sn->sites[i].bytes, k, pc };
    sum += l[i].bytes;
  }
  uint64_t missing = sn->heap > sum ? sn->heap - sum : 0;
  size_t lines = nlines(&t, l, 0, sn->nsites, 0) + (missing && sn->missing);
  fprintf(out, "n%zu: %llu (heap allocation functions) malloc/new/new[], --alloc-fns, etc.\n",
          lines, (unsigned long long)sn->heap);
  children(&t, l, 0, sn->nsites, 0);
  if (missing && sn->missing)
    fprintf(out, " n0: %llu (%s)\n", (unsigned long long)missing, sn->missing);
  for (size_t i = 0; i < sn->nsites; i++) free((void *)l[i].pc);
  free(l);
}

/* ---- the snapshots ------------------------------------------------------ */

static int by_time(const void *a, const void *b) {
  const struct snap *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->kind < y->kind ? -1 : x->kind > y->kind;   /* a point before its detail */
}

/* From the trace: the heap by stack at the event that made the peak, and
 * at the end of each detailed snapshot's millisecond. Two passes: the
 * first finds the peak's event, the second sums up to each moment. */
static int from_trace(struct hs_model *m, struct snaps *s, struct snap *peak) {
  uint64_t at = 0, n = 0;
  int64_t heap = 0, top = -1;
  struct hst_event e;
  int r;
  struct hs_merge *g = hs_merge_open(m);
  if (!g) return -1;
  while ((r = hs_merge_next(g, &e)) == 1) {
    if (e.kind == HST_EV_MARK) continue;
    n++;
    heap += (e.kind == HST_EV_FREE ? -1 : 1) * (int64_t)e.size;
    if (heap > top) top = heap, at = n;
  }
  hs_merge_close(g);
  if (r < 0 || !(g = hs_merge_open(m))) return -1;
  struct hs_tally tally;
  hs_tally_init(&tally);
  size_t next = 0;               /* s->v is in time order; peak is outside it */
  n = 0;
  for (;;) {
    r = hs_merge_next(g, &e);
    if (r < 0) break;
    for (; next < s->n && (r == 0 || e.t > s->v[next].t); next++)
      if (s->v[next].kind == S_DETAILED && !s->v[next].sites) take_tally(&s->v[next], &tally);
    if (r == 0) break;
    if (e.kind == HST_EV_MARK) continue;
    hs_tally_event(&tally, &e);
    if (++n == at) take_tally(peak, &tally);
  }
  hs_tally_free(&tally);
  hs_merge_close(g);
  return r;
}

static struct hst_sum *sites_of_stats(const struct hs_stack_stat *v, size_t n, int peak,
                                      size_t *out_n) {
  struct hst_sum *o = hs_xmalloc((n + 1) * sizeof *o);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t b = peak ? v[i].peak_bytes : v[i].inuse_bytes;
    if (b) o[k++] = (struct hst_sum){ .stack = v[i].stack, .bytes = (int64_t)b };
  }
  *out_n = k;
  return o;
}

int hs_report_massif(FILE *out, struct hs_model *m) {
  const struct hsp_header *h = m->prof.hdr;
  char trace[1100];
  hst_path_of(m->prof.path, trace, sizeof trace);
  int traced = access(trace, F_OK) == 0;
  struct snaps s = { 0 };
  const struct hsp_tick *tk;
  size_t nt = hs_model_ticks(m, &tk), peak_at = SIZE_MAX;
  for (size_t i = 0; i < nt; i++) {
    uint64_t b = tk[i].heap_bytes > 0 ? (uint64_t)tk[i].heap_bytes : 0;
    int detailed = traced && i % DETAILED_EVERY == DETAILED_EVERY - 1;
    add(&s, tk[i].t_ms, b, detailed ? S_DETAILED : S_EMPTY);
    if (b == m->peak_bytes && peak_at == SIZE_MAX) peak_at = s.n - 1;
  }
  if (peak_at == SIZE_MAX) {
    add(&s, m->peak_ms, m->peak_bytes, S_EMPTY);
    peak_at = s.n - 1;
  }
  s.v[peak_at].kind = S_PEAK;
  struct hs_stack_stat *st;
  size_t ns = hs_model_stack_stats(m, &st);
  for (size_t i = 0; i < m->nmarks; i++) {
    const struct hsp_site *site;
    size_t k = hsp_mark_sites(&m->prof, m->marks[i], &site);
    if (!k) continue;
    struct snap *sn = add(&s, m->marks[i]->t_ms, m->marks[i]->in_use_bytes, S_DETAILED);
    sn->sites = hs_xmalloc(k * sizeof *sn->sites);
    for (size_t j = 0; j < k; j++)
      if (site[j].bytes)
        sn->sites[sn->nsites++] = (struct hst_sum){ .stack = site[j].stack,
                                                    .bytes = (int64_t)site[j].bytes };
  }
  struct snap *end = add(&s, h->duration_ms > m->peak_ms ? h->duration_ms : m->peak_ms, 0, S_DETAILED);
  end->sites = sites_of_stats(st, ns, 0, &end->nsites);
  for (size_t i = 0; i < end->nsites; i++) end->heap += (uint64_t)end->sites[i].bytes;
  /* the peak keeps its own place while the others are put in time order */
  struct snap peak = s.v[peak_at];
  s.v[peak_at].kind = S_EMPTY;
  qsort(s.v, s.n, sizeof *s.v, by_time);
  int rc = 0;
  if (traced) {
    rc = from_trace(m, &s, &peak);
    peak.missing = "not attributed: the trace missed part of the peak";
  } else {
    peak.sites = sites_of_stats(st, ns, 1, &peak.nsites);
    peak.missing = "not attributed to a stack: heapspy recorded the stacks when the heap held "
                   "at least 32/33 of its peak";
  }
  for (size_t i = 0; i < s.n; i++)
    if (s.v[i].t == peak.t && s.v[i].heap == m->peak_bytes && s.v[i].kind == S_EMPTY) {
      s.v[i] = peak;            /* back in its place */
      peak.sites = NULL;
      break;
    }
  if (rc == 0) {
    fprintf(out, "desc: heapspy report --format massif %s\ncmd: ", m->prof.path);
    for (const char *p = h->cmdline[0] ? h->cmdline : h->program; *p; p++)
      fputc(*p == '#' || *p == '\n' ? '_' : *p, out);
    fputs("\ntime_unit: ms\n", out);
    for (size_t i = 0; i < s.n; i++) {
      struct snap *sn = &s.v[i];
      fprintf(out, "#-----------\nsnapshot=%zu\n#-----------\ntime=%llu\nmem_heap_B=%llu\n"
                   "mem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=%s\n",
              i, (unsigned long long)sn->t, (unsigned long long)sn->heap,
              sn->kind == S_PEAK ? "peak" : sn->kind == S_DETAILED ? "detailed" : "empty");
      if (sn->kind != S_EMPTY) tree(out, m, sn);
    }
  }
  for (size_t i = 0; i < s.n; i++) free(s.v[i].sites);
  free(peak.sites);
  free(s.v);
  free(st);
  return rc;
}
