/*
 * report_checkpoint.c: one checkpoint as its own report section: when it
 * was taken, the heap in use, and for a leak check (HEAPSPY_LEAK_CHECK or
 * `heapspy snapshot --leak-check`) the lost sites found at that moment,
 * largest first, with their stacks. Used by `heapspy snapshot` and by the
 * main report.
 *
 * Must never: compute more than sorting the sites the spy recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/report.h"
#include "common/util.h"

static int site_by_bytes(const void *a, const void *b) {
  const struct hsp_site *x = *(const struct hsp_site *const *)a;
  const struct hsp_site *y = *(const struct hsp_site *const *)b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

void hs_report_checkpoint(FILE *out, struct hs_model *m, const struct hsp_mark *mk,
                          size_t max_sites, int json) {
  const struct hsp_site *sites;
  size_t n = hsp_mark_sites(&m->prof, mk, &sites);
  const struct hsp_site **order = hs_xcalloc(n + 1, sizeof *order);
  uint64_t kb[HSP_LEAK_REACHABLE + 1] = { 0 }, kn[HSP_LEAK_REACHABLE + 1] = { 0 };
  size_t nl = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned k = sites[i].kind <= HSP_LEAK_REACHABLE ? sites[i].kind : 0;
    kb[k] += sites[i].bytes;
    kn[k] += sites[i].blocks;
    if (!mk->leak_check || hs_kind_lost(k)) order[nl++] = &sites[i];
  }
  qsort(order, nl, sizeof *order, site_by_bytes);
  if (max_sites && nl > max_sites) nl = max_sites;
  char b1[32], b2[32];
  if (json) {
    fputs("{\"name\": ", out);
    hs_json_str(out, mk->name);
    fprintf(out, ", \"t_ms\": %llu, \"in_use_bytes\": %llu, \"in_use_blocks\": %llu, "
                 "\"leak_check\": %s, \"from_outside\": %s",
            (unsigned long long)mk->t_ms, (unsigned long long)mk->in_use_bytes,
            (unsigned long long)mk->in_use_blocks, mk->leak_check ? "true" : "false",
            mk->from_outside ? "true" : "false");
    fprintf(out, ", \"rss_bytes\": %llu, ", (unsigned long long)mk->at.rss_bytes);
    hs_json_glibc(out, &mk->at.glibc);
    if (mk->leak_check) {
      fputs(", \"leak_summary\": {", out);
      for (unsigned k = HSP_LEAK_DEFINITE; k <= HSP_LEAK_REACHABLE; k++)
        fprintf(out, "%s\"%s\": {\"bytes\": %llu, \"blocks\": %llu}", k > 1 ? ", " : "",
                hs_kind_name(k), (unsigned long long)kb[k], (unsigned long long)kn[k]);
      fputs("}, \"leak_scan\": ", out);
      hs_json_scan_info(out, hsp_scan_info(&m->prof, mk));
    }
    fputs(", \"sites\": [", out);
  } else {
    fprintf(out, "%s '%s' at %llu ms: %s bytes in %s blocks in use\n",
            mk->leak_check ? "Leak check" : "Checkpoint", mk->name,
            (unsigned long long)mk->t_ms, hs_commas(mk->in_use_bytes, b1),
            hs_commas(mk->in_use_blocks, b2));
    if (mk->leak_check)
      for (unsigned k = HSP_LEAK_DEFINITE; k <= HSP_LEAK_REACHABLE; k++)
        fprintf(out, "   %15s: %s bytes in %s blocks\n", hs_kind_phrase(k),
                hs_commas(kb[k], b1), hs_commas(kn[k], b2));
    if (mk->leak_check) {
      hs_text_scan_heuristics(out, hsp_scan_info(&m->prof, mk));
      hs_text_scan_threads(out, hsp_scan_info(&m->prof, mk));
    }
  }
  for (size_t i = 0; i < nl; i++) {
    const struct hsp_site *s = order[i];
    if (json) {
      fprintf(out, "%s{\"kind\": \"%s\", \"bytes\": %llu, \"blocks\": %llu, \"family\": ",
              i ? ", " : "", hs_kind_name(s->kind), (unsigned long long)s->bytes,
              (unsigned long long)s->blocks);
      hs_json_str(out, hs_family_name(m, s->family));
      fputs(", \"stack\": ", out);
      hs_json_frames(out, m, s->stack);
      fputc('}', out);
    } else {
      fprintf(out, "  %s bytes in %s blocks %s (%s)\n", hs_commas(s->bytes, b1),
              hs_commas(s->blocks, b2), mk->leak_check ? hs_kind_phrase(s->kind) : "in use",
              hs_family_name(m, s->family));
      hs_text_frames(out, m, s->stack, "      ", 12);
    }
  }
  if (json) fputs("]}", out);
  else fputc('\n', out);
  free(order);
}
