/*
 * report_temporary.c: `heapspy report --temporary`: temporary allocations
 * by stack, in text or JSON. A temporary allocation is a block freed by
 * the thread that allocated it, with no other allocation or free by that
 * thread in between (the spy counts them per stack, spy_blocks.c).
 *
 * heaptrack's count is larger by the frees the spy files as
 * "temporary_alike": heaptrack compares the freed block's (size, stack)
 * with the last allocation's, not the block itself, in one event stream
 * for all threads. Both are shown, so either can be checked.
 *
 * Must never: compute anything the model does not give (ranking and
 * sums aside), or print more than o->max_groups stacks (0 = all).
 */
#include <stdlib.h>

#include "analyze/report.h"
#include "common/util.h"

static int by_temporary(const void *a, const void *b) {
  const struct hs_stack_stat *x = a, *y = b;
  if (x->temporary != y->temporary) return x->temporary > y->temporary ? -1 : 1;
  if (x->allocs != y->allocs) return x->allocs > y->allocs ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

/* Stacks with temporaries, most first; sums of both counts. */
static size_t ranked(struct hs_model *m, struct hs_stack_stat **out, uint64_t *total,
                     uint64_t *alike) {
  struct hs_stack_stat *v;
  size_t n = hs_model_stack_stats(m, &v), w = 0;
  *total = *alike = 0;
  for (size_t i = 0; i < n; i++) {
    *total += v[i].temporary;
    *alike += v[i].temporary_alike;
    if (v[i].temporary || v[i].temporary_alike) v[w++] = v[i];
  }
  qsort(v, w, sizeof *v, by_temporary);
  *out = v;
  return w;
}

void hs_report_temporary_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  const struct hsp_header *h = m->prof.hdr;
  struct hs_stack_stat *v;
  uint64_t total, alike;
  size_t n = ranked(m, &v, &total, &alike);
  while (n && !v[n - 1].temporary) n--;   /* text: heapspy's own count only */
  char b1[32], b2[32], b3[32];
  fprintf(out, "\n==== heapspy temporaries: %s (pid %d) ====\n",
          h->cmdline[0] ? h->cmdline : h->program, h->pid);
  fprintf(out, "%s temporary allocations of %s allocation calls (%.1f%%): blocks freed by the "
               "thread that allocated them, with no other allocation or free by it in between\n",
          hs_commas(total, b1), hs_commas(m->total.allocs, b2),
          m->total.allocs ? 100.0 * (double)total / (double)m->total.allocs : 0.0);
  fprintf(out, "(heaptrack counts %s: it also counts a free whose block has the size and stack "
               "of the last allocation)\n", hs_commas(total + alike, b3));
  size_t show = o->max_groups && n > o->max_groups ? o->max_groups : n;
  fprintf(out, "\nTEMPORARY ALLOCATIONS BY STACK (%zu of %zu stacks)\n", show, n);
  for (size_t i = 0; i < show; i++) {
    fprintf(out, "%2zu. %s temporary of %s call%s (%.1f%%), %s bytes allocated\n", i + 1,
            hs_commas(v[i].temporary, b1), hs_commas(v[i].allocs, b2),
            v[i].allocs == 1 ? "" : "s",
            v[i].allocs ? 100.0 * (double)v[i].temporary / (double)v[i].allocs : 0.0,
            hs_commas(v[i].bytes, b3));
    hs_text_frames(out, m, v[i].stack, "    ", o->max_frames);
  }
  fputc('\n', out);
  free(v);
}

void hs_report_temporary_json(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  const struct hsp_header *h = m->prof.hdr;
  struct hs_stack_stat *v;
  uint64_t total, alike;
  size_t n = ranked(m, &v, &total, &alike);
  fputs("{\n  \"program\": ", out);
  hs_json_str(out, h->program);
  fprintf(out, ",\n  \"pid\": %d,\n  \"duration_ms\": %llu,\n  \"totals\": {\"allocs\": %llu, "
               "\"bytes_allocated\": %llu},\n  \"temporary\": {\"count\": %llu, "
               "\"heaptrack_count\": %llu, \"stacks\": [",
          h->pid, (unsigned long long)h->duration_ms, (unsigned long long)m->total.allocs,
          (unsigned long long)m->total.bytes_allocated, (unsigned long long)total,
          (unsigned long long)(total + alike));
  size_t show = o->max_groups && n > o->max_groups ? o->max_groups : n;
  for (size_t i = 0; i < show; i++) {
    fprintf(out, "%s\n    {\"count\": %llu, \"heaptrack_count\": %llu, \"allocs\": %llu, "
                 "\"bytes\": %llu, \"stack\": ",
            i ? "," : "", (unsigned long long)v[i].temporary,
            (unsigned long long)(v[i].temporary + v[i].temporary_alike),
            (unsigned long long)v[i].allocs, (unsigned long long)v[i].bytes);
    hs_json_frames(out, m, v[i].stack);
    fputc('}', out);
  }
  fputs("]}\n}\n", out);
  free(v);
}
