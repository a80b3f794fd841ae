/*
 * html_data.c: the HTML page's data, one JSON object its script draws
 * everything interactive from: every stack once (frames outermost first,
 * as indices into one table of names), the per-stack figures of each flame
 * graph (in use at exit, allocated bytes and calls over the run, held at
 * the peak copy), one row per allocation site for the table, each
 * checkpoint's live heap by site (the page computes diffs the way
 * report_diff.c does), the timeline, the errors and the sampling note.
 *
 * Must never: emit a raw '<' (a symbol "</script>" would end the element:
 * the whole object goes through a memory stream and '<' becomes \u003c),
 * or drop a site: the table has no row cap, the page virtualises it.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/html_page.h"
#include "analyze/model_locks.h"
#include "analyze/report.h"
#include "common/hash.h"
#include "common/hashmap.h"
#include "common/util.h"

#define MAX_FRAMES 512

/* Names are interned: each distinct string is written once, and the
 * page refers to it by its index in the "names" array. */
struct names {
  struct hs_map map;           /* hash chain of the string -> index + 1 */
  const char **str;
  size_t n, cap;
  FILE *out;                   /* the "names" array being written */
};

static long intern(struct names *t, const char *s) {
  if (!s) return -1;
  for (uint64_t key = hs_hash_str(s);; key = hs_map_next_key(key)) {
    uint64_t *v = hs_map_slot(&t->map, key);
    if (!v) hs_die(1, "out of memory");
    if (*v) {
      if (!strcmp(t->str[*v - 1], s)) return (long)*v - 1;
      continue;                  /* another string's hash */
    }
    if (t->n == t->cap)
      t->str = hs_xrealloc(t->str, (t->cap = t->cap ? 2 * t->cap : 1024) * sizeof *t->str);
    t->str[t->n] = s;
    *v = ++t->n;
    fputs(t->n > 1 ? "," : "", t->out);
    hs_json_str(t->out, s);
    return (long)t->n - 1;
  }
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Every stack the page refers to: recorded ones and checkpoints' sites,
 * sorted, unique; the page's stack index is the position here. */
static size_t stack_ids(struct hs_model *m, const struct hs_stack_stat *st, size_t nst,
                        uint32_t **out) {
  size_t cap = nst + m->ngroups + 1, n = 0;
  for (size_t i = 0; i < m->nmarks; i++) cap += m->marks[i]->sites_count;
  uint32_t *v = hs_xcalloc(cap, sizeof *v);
  for (size_t i = 0; i < nst; i++) v[n++] = st[i].stack;
  for (size_t i = 0; i < m->ngroups; i++) v[n++] = m->groups[i].stack;
  for (size_t i = 0; i < m->nmarks; i++) {
    const struct hsp_site *s;
    size_t ns = hsp_mark_sites(&m->prof, m->marks[i], &s);
    for (size_t k = 0; k < ns && n < cap; k++) v[n++] = s[k].stack;
  }
  qsort(v, n, sizeof *v, cmp_u32);
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (!w || v[w - 1] != v[i]) v[w++] = v[i];
  *out = v;
  return w;
}

static long stack_index(const uint32_t *ids, size_t n, uint32_t stack) {
  const uint32_t *p = bsearch(&stack, ids, n, sizeof *ids, cmp_u32);
  return p ? p - ids : -1;
}

static const struct hs_stack_stat *stat_of(const struct hs_stack_stat *st, size_t n, uint32_t stack) {
  size_t lo = 0, hi = n;                 /* st is sorted by stack id */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (st[mid].stack < stack) lo = mid + 1; else hi = mid;
  }
  return lo < n && st[lo].stack == stack ? &st[lo] : NULL;
}

/* A flame graph's frame name: the function, else its module, else "??". */
static const char *flame_name(const struct hs_frame *f) {
  return f->function ? f->function : f->module ? f->module : "??";
}

/* The stacks as name indices, outermost first; names go to nm's stream. */
static void write_stacks(FILE *out, struct hs_model *m, const uint32_t *ids, size_t n,
                         struct names *nm) {
  struct hs_frame f[MAX_FRAMES];
  for (size_t i = 0; i < n; i++) {
    size_t nf = hs_model_frames(m, ids[i], f, MAX_FRAMES);
    fputs(i ? ",[" : "[", out);
    if (!nf) fprintf(out, "%ld", intern(nm, "[no stack recorded]"));
    for (size_t k = nf; k-- > 0;) fprintf(out, "%s%ld", k + 1 < nf ? "," : "", intern(nm, flame_name(&f[k])));
    fputc(']', out);
  }
}

/* One table row: [kind, bytes, blocks, allocated, calls, function, file,
 * line, module, stack, family]; names as indices, -1 for unknown. */
static void row(FILE *out, struct names *nm, const char *kind, uint64_t bytes, uint64_t blocks,
                const struct hs_stack_stat *s, const struct hs_frame *f, long stack,
                const char *family, int first) {
  fprintf(out, "%s[%ld,%llu,%llu,%llu,%llu,%ld,%ld,%d,%ld,%ld,%ld]", first ? "" : ",",
          intern(nm, kind), (unsigned long long)bytes, (unsigned long long)blocks,
          (unsigned long long)(s ? s->bytes : 0), (unsigned long long)(s ? s->allocs : 0),
          f ? intern(nm, f->function) : -1, f ? intern(nm, f->file) : -1, f ? f->line : 0,
          f ? intern(nm, f->module) : -1, stack, intern(nm, family));
}

/* The rows: each leak group (a stack's blocks in use at exit of one kind
 * and family), then each stack that allocated and holds nothing at exit. */
static void write_sites(FILE *out, struct hs_model *m, const struct hs_stack_stat *st, size_t nst,
                        const uint32_t *ids, size_t nids, struct names *nm) {
  size_t rows = 0;
  for (size_t i = 0; i < m->ngroups; i++) {
    const struct hs_group *g = &m->groups[i];
    row(out, nm, hs_kind_name(g->kind), g->bytes, g->blocks, stat_of(st, nst, g->stack), g->culprit,
        stack_index(ids, nids, g->stack), hs_family_name(m, g->family), !rows++);
  }
  for (size_t i = 0; i < nst; i++) {
    if (!st[i].allocs || st[i].inuse_blocks) continue;
    struct hs_frame f;
    int have = hs_user_frame(m, st[i].stack, &f);
    row(out, nm, "freed", 0, 0, &st[i], have ? &f : NULL, stack_index(ids, nids, st[i].stack),
        NULL, !rows++);
  }
}

static void write_marks(FILE *out, struct hs_model *m, const uint32_t *ids, size_t nids,
                        struct names *nm) {
  for (size_t i = 0; i < m->nmarks; i++) {
    const struct hsp_mark *mk = m->marks[i];
    const struct hsp_site *s;
    size_t ns = hsp_mark_sites(&m->prof, mk, &s);
    fputs(i ? ",{\"name\":" : "{\"name\":", out);
    hs_json_str(out, mk->name);
    fprintf(out, ",\"t_ms\":%llu,\"in_use_bytes\":%llu,\"in_use_blocks\":%llu,\"sites\":[",
            (unsigned long long)mk->t_ms, (unsigned long long)mk->in_use_bytes,
            (unsigned long long)mk->in_use_blocks);
    for (size_t k = 0; k < ns; k++)
      fprintf(out, "%s[%ld,%ld,%llu,%llu]", k ? "," : "", stack_index(ids, nids, s[k].stack),
              intern(nm, hs_family_name(m, s[k].family)), (unsigned long long)s[k].bytes,
              (unsigned long long)s[k].blocks);
    fputs("]}", out);
  }
}

/* The object's body with names interned into a second stream, joined at
 * the end: {"names":[...], <body>}. */
static void write_body(FILE *out, FILE *names_out, struct hs_model *m) {
  struct names nm = { .out = names_out };
  struct hs_stack_stat *st;
  size_t nst = hs_model_stack_stats(m, &st);
  uint32_t *ids;
  size_t nids = stack_ids(m, st, nst, &ids);
  const struct hsp_header *h = m->prof.hdr;
  char note[256];
  fputs("\"program\":", out);
  hs_json_str(out, h->cmdline[0] ? h->cmdline : h->program);
  fputs(",\"sampling_note\":", out);
  hs_json_str(out, hs_model_sampling_note(m, note, sizeof note) ? note : NULL);
  fprintf(out, ",\"totals\":{\"in_use_bytes\":%llu,\"in_use_blocks\":%llu,\"allocs\":%llu,"
               "\"bytes_allocated\":%llu,\"peak_bytes\":%llu,\"peak_ms\":%llu,"
               "\"peak_stacks_ms\":%llu}",
          (unsigned long long)m->total.in_use_bytes, (unsigned long long)m->total.in_use_blocks,
          (unsigned long long)m->total.allocs, (unsigned long long)m->total.bytes_allocated,
          (unsigned long long)m->peak_bytes, (unsigned long long)m->peak_ms,
          (unsigned long long)h->peak.t_ms);
  fputs(",\n\"stacks\":[", out);
  write_stacks(out, m, ids, nids, &nm);
  /* per stack index: [in use at exit, allocated bytes, calls, peak bytes] */
  fputs("],\n\"weights\":[", out);
  for (size_t i = 0; i < nids; i++) {
    const struct hs_stack_stat *s = stat_of(st, nst, ids[i]);
    if (!s) fprintf(out, "%s[0,0,0,0]", i ? "," : "");
    else fprintf(out, "%s[%llu,%llu,%llu,%llu]", i ? "," : "", (unsigned long long)s->inuse_bytes,
                 (unsigned long long)s->bytes, (unsigned long long)s->allocs,
                 (unsigned long long)s->peak_bytes);
  }
  fputs("],\n\"sites\":[", out);
  write_sites(out, m, st, nst, ids, nids, &nm);
  fputs("],\n\"checkpoints\":[", out);
  write_marks(out, m, ids, nids, &nm);
  const struct hsp_tick *t;
  size_t nt = hs_model_ticks(m, &t);
  fputs("],\n\"timeline\":[", out);
  for (size_t i = 0; i < nt; i++)
    fprintf(out, "%s[%llu,%lld,%llu,%llu]", i ? "," : "", (unsigned long long)t[i].t_ms,
            (long long)(t[i].heap_bytes > 0 ? t[i].heap_bytes : 0),
            (unsigned long long)t[i].rss_bytes, (unsigned long long)t[i].vm_bytes);
  struct hs_locks locks;
  hs_locks_load(m, &locks);
  fputs("],\n\"errors\":", out);
  hs_json_errors(out, m, &locks, 0);
  hs_locks_free(&locks);
  free(ids);
  free(st);
  hs_map_free(&nm.map);
  free(nm.str);
}

static void copy_escaped(FILE *out, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] == '<') fputs("\\u003c", out);   /* '<' appears only inside strings */
    else fputc(s[i], out);
}

void hs_html_data(FILE *out, struct hs_model *m) {
  char *body = NULL, *names = NULL;
  size_t nbody = 0, nnames = 0;
  FILE *b = open_memstream(&body, &nbody), *n = open_memstream(&names, &nnames);
  if (!b || !n) hs_die(1, "out of memory");
  write_body(b, n, m);
  fclose(b);
  fclose(n);
  fputs("{\"names\":[", out);
  copy_escaped(out, names, nnames);
  fputs("],\n", out);
  copy_escaped(out, body, nbody);
  fputs("}", out);
  free(body);
  free(names);
}
