/*
 * report_peak.c: `heapspy report --peak`: the stacks holding the heap at
 * its peak, largest first, with the peak's time and size, in text or JSON.
 *
 * The figures per stack are the spy's last peak copy (spy_peak.c), taken
 * when the heap held at least 32/33 of its exact peak; the report states
 * that moment next to the exact peak, so the approximation is visible.
 *
 * Must never: compute anything the model does not give (ranking and
 * sums aside), or print more than o->max_groups stacks (0 = all).
 */
#include <stdlib.h>

#include "analyze/report.h"
#include "common/util.h"

/* The peak copy's summary, and its stacks largest first. */
struct peak_view {
  struct hs_stack_stat *v;
  size_t n;                 /* stacks holding something at the copy */
  uint64_t bytes, blocks;   /* their sums */
  const struct hsp_peak *pk;
  int torn;                 /* the process died in the middle of a copy */
};

static int by_peak(const void *a, const void *b) {
  const struct hs_stack_stat *x = a, *y = b;
  if (x->peak_bytes != y->peak_bytes) return x->peak_bytes > y->peak_bytes ? -1 : 1;
  if (x->peak_blocks != y->peak_blocks) return x->peak_blocks > y->peak_blocks ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

static void peak_view(struct hs_model *m, struct peak_view *pv) {
  size_t n = hs_model_stack_stats(m, &pv->v), w = 0;
  pv->bytes = pv->blocks = 0;
  for (size_t i = 0; i < n; i++)
    if (pv->v[i].peak_bytes) {
      pv->bytes += pv->v[i].peak_bytes;
      pv->blocks += pv->v[i].peak_blocks;
      pv->v[w++] = pv->v[i];
    }
  qsort(pv->v, w, sizeof *pv->v, by_peak);
  pv->n = w;
  pv->pk = &m->prof.hdr->peak;
  pv->torn = (pv->pk->seq & 1) != 0;
}

static double pct(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

void hs_report_peak_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  const struct hsp_header *h = m->prof.hdr;
  struct peak_view pv;
  peak_view(m, &pv);
  char b1[32], b2[32], b3[32];
  fprintf(out, "\n==== heapspy peak: %s (pid %d) ====\n", h->cmdline[0] ? h->cmdline : h->program,
          h->pid);
  fprintf(out, "peak heap usage: %s bytes at %llu ms\n", hs_commas(m->peak_bytes, b1),
          (unsigned long long)m->peak_ms);
  if (!pv.pk->copies) {
    fprintf(out, "no stacks were recorded at a peak: the heap never held %u bytes\n\n",
            HSP_PEAK_STEP);
    free(pv.v);
    return;
  }
  fprintf(out, "stacks as of %llu ms, when the heap held %s bytes in %s blocks "
               "(%.1f%% of the peak; always within 3.1%%)\n",
          (unsigned long long)pv.pk->t_ms, hs_commas(pv.bytes, b1), hs_commas(pv.blocks, b2),
          pct(pv.bytes, m->peak_bytes));
  if (pv.torn)
    fputs("warning: the process died while recording these stacks: some are from the copy "
          "before\n", out);
  size_t show = o->max_groups && pv.n > o->max_groups ? o->max_groups : pv.n;
  fprintf(out, "\nPEAK HEAP BY STACK (%zu of %zu stacks)\n", show, pv.n);
  for (size_t i = 0; i < show; i++) {
    fprintf(out, "%2zu. %s bytes in %s block%s (%.1f%%)\n", i + 1,
            hs_commas(pv.v[i].peak_bytes, b1), hs_commas(pv.v[i].peak_blocks, b3),
            pv.v[i].peak_blocks == 1 ? "" : "s", pct(pv.v[i].peak_bytes, pv.bytes));
    hs_text_frames(out, m, pv.v[i].stack, "    ", o->max_frames);
  }
  fputc('\n', out);
  free(pv.v);
}

void hs_report_peak_json(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  const struct hsp_header *h = m->prof.hdr;
  struct peak_view pv;
  peak_view(m, &pv);
  fputs("{\n  \"program\": ", out);
  hs_json_str(out, h->program);
  fprintf(out, ",\n  \"pid\": %d,\n  \"duration_ms\": %llu,\n  \"peak\": {\"t_ms\": %llu, "
               "\"bytes\": %llu, \"blocks\": %llu,\n   \"stacks_t_ms\": %llu, \"stacks_bytes\": %llu, "
               "\"copies\": %llu, \"complete\": %s, \"stacks\": [",
          h->pid, (unsigned long long)h->duration_ms, (unsigned long long)m->peak_ms,
          (unsigned long long)m->peak_bytes, (unsigned long long)pv.blocks,
          (unsigned long long)pv.pk->t_ms, (unsigned long long)pv.bytes,
          (unsigned long long)pv.pk->copies, pv.torn ? "false" : "true");
  size_t show = o->max_groups && pv.n > o->max_groups ? o->max_groups : pv.n;
  for (size_t i = 0; i < show; i++) {
    fprintf(out, "%s\n    {\"bytes\": %llu, \"blocks\": %llu, \"stack\": ", i ? "," : "",
            (unsigned long long)pv.v[i].peak_bytes, (unsigned long long)pv.v[i].peak_blocks);
    hs_json_frames(out, m, pv.v[i].stack);
    fputc('}', out);
  }
  fputs("]}\n}\n", out);
  free(pv.v);
}
