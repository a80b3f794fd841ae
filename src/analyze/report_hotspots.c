/*
 * report_hotspots.c: `heapspy report --hotspots`: the stacks that made the
 * most allocation calls and those that allocated the most bytes over the
 * whole run (the spy's per-stack counters, via hs_model_stack_stats),
 * symbolized, in text or JSON. Where churn comes from, not what leaked.
 *
 * Must never: compute anything the model does not give (ranking aside),
 * or print more than o->max_groups entries per list.
 */
#include <stdlib.h>

#include "analyze/report.h"
#include "common/util.h"

static int by_calls(const void *a, const void *b) {
  const struct hs_stack_stat *x = a, *y = b;
  if (x->allocs != y->allocs) return x->allocs > y->allocs ? -1 : 1;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

static int by_bytes(const void *a, const void *b) {
  const struct hs_stack_stat *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  if (x->allocs != y->allocs) return x->allocs > y->allocs ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

/* Stacks that allocated at all, ranked by cmp; the count is returned. */
static size_t ranked(struct hs_model *m, int (*cmp)(const void *, const void *),
                     struct hs_stack_stat **out) {
  struct hs_stack_stat *v;
  size_t n = hs_model_stack_stats(m, &v), w = 0;
  for (size_t i = 0; i < n; i++)
    if (v[i].allocs) v[w++] = v[i];
  qsort(v, w, sizeof *v, cmp);
  *out = v;
  return w;
}

static void text_list(FILE *out, struct hs_model *m, const char *title,
                      int (*cmp)(const void *, const void *),
                      const struct hs_report_opts *o) {
  struct hs_stack_stat *v;
  size_t n = ranked(m, cmp, &v);
  size_t show = o->max_groups && n > o->max_groups ? o->max_groups : n;
  char b1[32], b2[32], b3[32];
  fprintf(out, "%s (%zu of %zu stacks)\n", title, show, n);
  for (size_t i = 0; i < show; i++) {
    fprintf(out, "%2zu. %s call%s, %s bytes allocated, %s bytes in use at exit\n", i + 1,
            hs_commas(v[i].allocs, b1), v[i].allocs == 1 ? "" : "s", hs_commas(v[i].bytes, b2),
            hs_commas(v[i].inuse_bytes, b3));
    hs_text_stack(out, m, v[i].stack, o->max_frames, "    ", 1);
  }
  if (!n) fputs("  no allocations were recorded\n", out);
  fputc('\n', out);
  free(v);
}

void hs_report_hotspots_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  const struct hsp_header *h = m->prof.hdr;
  char b1[32], b2[32];
  fprintf(out, "\n==== heapspy hotspots: %s (pid %d) ====\n", h->cmdline[0] ? h->cmdline : h->program,
          h->pid);
  fprintf(out, "%s allocation calls, %s bytes allocated over %.3f s\n\n",
          hs_commas(m->total.allocs, b1), hs_commas(m->total.bytes_allocated, b2),
          h->duration_ms / 1000.0);
  text_list(out, m, "MOST ALLOCATION CALLS", by_calls, o);
  text_list(out, m, "MOST BYTES ALLOCATED", by_bytes, o);
}

static void json_list(FILE *out, struct hs_model *m, int (*cmp)(const void *, const void *),
                      const struct hs_report_opts *o) {
  struct hs_stack_stat *v;
  size_t n = ranked(m, cmp, &v);
  size_t show = o->max_groups && n > o->max_groups ? o->max_groups : n;
  fputc('[', out);
  for (size_t i = 0; i < show; i++) {
    fprintf(out, "%s\n    {\"allocs\": %llu, \"bytes\": %llu, \"in_use_bytes\": %llu, "
                 "\"in_use_blocks\": %llu,\n     \"stack\": ",
            i ? "," : "", (unsigned long long)v[i].allocs, (unsigned long long)v[i].bytes,
            (unsigned long long)v[i].inuse_bytes, (unsigned long long)v[i].inuse_blocks);
    hs_json_frames(out, m, v[i].stack);
    fputc('}', out);
  }
  fputc(']', out);
  free(v);
}

void hs_report_hotspots_json(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  const struct hsp_header *h = m->prof.hdr;
  fputs("{\n  \"program\": ", out);
  hs_json_str(out, h->program);
  fprintf(out, ",\n  \"pid\": %d,\n  \"duration_ms\": %llu,\n  \"totals\": {\"allocs\": %llu, "
               "\"bytes_allocated\": %llu},\n  \"hotspots\": {\n  \"by_calls\": ",
          h->pid, (unsigned long long)h->duration_ms, (unsigned long long)m->total.allocs,
          (unsigned long long)m->total.bytes_allocated);
  json_list(out, m, by_calls, o);
  fputs(",\n  \"by_bytes\": ", out);
  json_list(out, m, by_bytes, o);
  fputs("}\n}\n", out);
}
