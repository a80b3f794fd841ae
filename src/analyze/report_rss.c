/*
 * report_rss.c: RSS explained from the spy's own view, at the last point
 * glibc was read (the exit, or the detach of `heapspy attach`): the
 * program's live data, the freed memory glibc holds, the rest of glibc's
 * heap (chunk headers and rounding, tcaches, blocks from before attach),
 * file-backed pages, and the anonymous rest (stacks, other mappings).
 *
 * glibc's figures are the bytes it got from the system, not resident
 * bytes: the rows add up to RSS only while the heap is resident, and
 * "not heap" is what is left (0 when the heap's virtual bytes exceed it).
 * `heapspy heap PID` gives the resident split, per arena.
 *
 * Must never: state a figure the profile does not hold.
 */
#include <stdio.h>

#include "analyze/model.h"
#include "analyze/report.h"
#include "common/util.h"

static uint64_t less(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

int hs_rss_split(struct hs_model *m, struct hs_rss_split *s) {
  const struct hsp_tick *a, *z;
  if (!hs_timeline_glibc_ends(m, &a, &z)) return 0;
  const struct hsp_glibc *g = &z->glibc;
  s->t_ms = z->t_ms;
  s->glibc_t_ms = g->t_ms;
  s->rss = z->rss_bytes;
  s->live = z->heap_bytes > 0 ? (uint64_t)z->heap_bytes : 0;
  s->held = g->free_bytes;
  s->main_top = g->main_top_bytes;
  uint64_t heap = g->system_bytes + g->mmapped_bytes;
  s->glibc_rest = less(less(heap, s->held), s->live);
  s->file = g->rss_file_bytes;
  s->anon_rest = less(less(s->rss, s->file), heap);
  return 1;
}

void hs_report_rss_text(FILE *out, struct hs_model *m) {
  struct hs_rss_split s;
  if (!hs_rss_split(m, &s)) return;
  char a[32], b[32];
  const char *when = m->prof.hdr->state == HSP_STATE_DETACHED ? "at detach" : "at the end";
  fprintf(out, "RSS EXPLAINED %s (%.3f s; glibc's mallinfo2 at %.3f s, /proc/self/statm)\n", when,
          (double)s.t_ms / 1000.0, (double)s.glibc_t_ms / 1000.0);
  fprintf(out, "  %-34s %15s\n", "RSS (heapspy's own left out)", hs_commas(s.rss, a));
  fprintf(out, "  %-34s %15s\n", "live heap data", hs_commas(s.live, a));
  fprintf(out, "  %-34s %15s  main arena's top %s\n", "freed, held by glibc", hs_commas(s.held, a),
          hs_human_bytes((double)s.main_top, b));
  fprintf(out, "  %-34s %15s  headers, rounding, tcaches%s\n", "glibc's other heap bytes",
          hs_commas(s.glibc_rest, a),
          m->prof.hdr->flags & HSP_FLAG_ATTACHED ? ", blocks from before attach" : "");
  fprintf(out, "  %-34s %15s\n", "not heap: file-backed", hs_commas(s.file, a));
  fprintf(out, "  %-34s %15s  stacks, other mappings\n", "not heap: anonymous", hs_commas(s.anon_rest, a));
  fputc('\n', out);
}

void hs_json_rss(FILE *out, struct hs_model *m) {
  struct hs_rss_split s;
  if (!hs_rss_split(m, &s)) {
    fputs("null", out);
    return;
  }
  fprintf(out, "{\"t_ms\": %llu, \"glibc_t_ms\": %llu, \"rss_bytes\": %llu, \"in_use_bytes\": %llu, "
          "\"free_held_bytes\": %llu, \"main_top_bytes\": %llu, \"glibc_other_bytes\": %llu, "
          "\"file_bytes\": %llu, \"anon_other_bytes\": %llu}",
          (unsigned long long)s.t_ms, (unsigned long long)s.glibc_t_ms, (unsigned long long)s.rss,
          (unsigned long long)s.live, (unsigned long long)s.held, (unsigned long long)s.main_top,
          (unsigned long long)s.glibc_rest, (unsigned long long)s.file,
          (unsigned long long)s.anon_rest);
}
