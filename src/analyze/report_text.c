/*
 * report_text.c: the human report printed when the program ends and by
 * `heapspy report`: leak groups largest first (bytes, blocks, family,
 * first allocation time, symbolized stack, a hex dump of one block), then
 * who holds memory by family, module and function, then a HEAP SUMMARY
 * shaped like valgrind's so its readers feel at home.
 */
#include <ctype.h>
#include <string.h>

#include "analyze/report.h"
#include "common/frame_print.h"
#include "analyze/suppress.h"
#include "common/util.h"

#define MAX_FRAMES 512

void hs_text_stack(FILE *out, struct hs_model *m, uint32_t stack, size_t max,
                   const char *indent, int mark_inlined) {
  struct hs_frame f[MAX_FRAMES];
  size_t n = hs_model_frames(m, stack, f, MAX_FRAMES);
  size_t show = max && n > max ? max : n;
  for (size_t i = 0; i < show; i++) {
    fprintf(out, "%s#%-2zu ", indent, i);
    hs_frame_text(out, &f[i], mark_inlined ? HS_FRAME_MARK_INLINED : 0);
    fputc('\n', out);
  }
  if (show < n) fprintf(out, "%s... %zu more frames\n", indent, n - show);
  if (!n) fprintf(out, "%s(no stack recorded)\n", indent);
}

void hs_text_frames(FILE *out, struct hs_model *m, uint32_t stack, const char *indent, size_t max) {
  struct hs_frame f[MAX_FRAMES];
  size_t n = hs_model_frames(m, stack, f, MAX_FRAMES);
  for (size_t k = 0; k < n && k < max; k++) {
    fprintf(out, "%s#%-2zu ", indent, k);
    hs_frame_text(out, &f[k], HS_FRAME_MODULE_ONLY);
    fputc('\n', out);
  }
}

static void hexdump(FILE *out, const struct hsp_sample *s) {
  fprintf(out, "  sample block 0x%llx, first %u of %llu bytes:\n",
          (unsigned long long)HSP_ADDR(s->ptr), s->len, (unsigned long long)s->size);
  for (uint32_t off = 0; off < s->len; off += 16) {
    fprintf(out, "    %04x ", off);
    for (uint32_t i = 0; i < 16; i++) {
      if (i == 8) fputc(' ', out);
      if (off + i < s->len) fprintf(out, " %02x", s->data[off + i]);
      else fputs("   ", out);
    }
    fputs("  |", out);
    for (uint32_t i = 0; i < 16 && off + i < s->len; i++)
      fputc(isprint(s->data[off + i]) ? s->data[off + i] : '.', out);
    fputs("|\n", out);
  }
}

static void print_group(FILE *out, struct hs_model *m, const struct hs_group *g,
                        size_t idx, const struct hs_report_opts *o) {
  char b1[32], b2[32];
  fprintf(out, "%s bytes in %s blocks are %s (%s), site %zu of %zu, ",
          hs_commas(g->bytes, b1), hs_commas(g->blocks, b2), hs_kind_phrase(g->kind),
          hs_family_name(m, g->family), idx + 1, m->ngroups);
  if (g->unlisted && g->stack) fputs("counted per stack (blocks' records are kept beside them)\n", out);
  else if (g->unlisted) fputs("stack not known (killed before its thread's counts went out)\n", out);
  else fprintf(out, "first allocated at %u ms\n", g->first_ms);
  hs_text_stack(out, m, g->stack, o->max_frames, "    ", 1);
  if (g->sample) hexdump(out, g->sample);
  fputc('\n', out);
}

static void print_holders(FILE *out, const char *title, const struct hs_holder *h,
                          size_t n, size_t max) {
  char b1[32], b2[32];
  if (!n) return;
  fprintf(out, "%s\n", title);
  for (size_t i = 0; i < n && i < max; i++)
    fprintf(out, "  %-40s holds %s bytes in %s blocks\n", h[i].name,
            hs_commas(h[i].bytes, b1), hs_commas(h[i].blocks, b2));
  if (n > max) fprintf(out, "  ... and %zu more\n", n - max);
  fputc('\n', out);
}

/* A few evenly spaced points of the timeline with bars, and a verdict:
 * does the heap grow, and is the growth in the heap at all? */
static void print_timeline(FILE *out, struct hs_model *m) {
  const struct hsp_tick *t;
  size_t n = hs_model_ticks(m, &t);
  if (n < 2) return;
  int64_t max = 1;
  size_t top = 0;                      /* the peak's row is always shown */
  for (size_t i = 0; i < n; i++)
    if (t[i].heap_bytes > max) max = t[i].heap_bytes, top = i;
  char a[32], b[32], c[32], line[512];
  fprintf(out, "TIMELINE (heap in use tracked by heapspy; freed memory held by glibc from its "
               "mallinfo2; RSS and virtual size from the kernel)\n");
  fprintf(out, "  %9s %10s %10s %10s %10s\n", "time", "in use", "held", "RSS", "virtual");
  /* evenly spaced, the first and the last; n < 8 shows every point, so
   * a peak not on a row leaves at least one inner row (rows >= 3) */
  size_t rows = n < 8 ? n : 8, idx[8], near = 1, shown = 0;
  for (size_t r = 0; r < rows; r++) {
    idx[r] = r * (n - 1) / (rows - 1);
    shown |= idx[r] == top;
  }
  for (size_t r = 2; r + 1 < rows; r++)        /* the inner row nearest the peak */
    if ((idx[r] > top ? idx[r] - top : top - idx[r]) < (idx[near] > top ? idx[near] - top : top - idx[near]))
      near = r;
  if (!shown) idx[near] = top;                 /* shows it (a peak next to the first row too) */
  for (size_t r = 0; r < rows; r++) {
    size_t i = idx[r];
    int bar = (int)(t[i].heap_bytes > 0 ? t[i].heap_bytes * 30 / max : 0);
    char d[32];
    fprintf(out, "  %7.3f s %10s %10s %10s %10s  %.*s\n", t[i].t_ms / 1000.0,
            hs_human_bytes((double)t[i].heap_bytes, a),
            t[i].glibc.t_ms ? hs_human_bytes((double)t[i].glibc.free_bytes, d) : "-",
            hs_human_bytes((double)t[i].rss_bytes, b),
            hs_human_bytes((double)t[i].vm_bytes, c), bar, "##############################");
  }
  if (hs_timeline_verdict(m, line, sizeof line)) fprintf(out, "  %s\n", line);
  if (hs_timeline_retention(m, line, sizeof line)) fprintf(out, "  %s\n", line);
  if (hs_timeline_outside(m, line, sizeof line)) fprintf(out, "  %s\n", line);
  if (hs_timeline_own(m, line, sizeof line)) fprintf(out, "  %s\n", line);
  if (m->ngroups && m->total.in_use_bytes) {
    const struct hs_frame *f = m->groups[0].culprit;
    fprintf(out, "  %.0f%% of the memory in use at exit comes from one stack: ",
            100.0 * (double)m->groups[0].bytes / (double)m->total.in_use_bytes);
    if (f && f->function) fputs(f->function, out);
    else if (f && f->module) fprintf(out, "%s+0x%llx", f->module, (unsigned long long)f->offset);
    else fputs("(unknown)", out);
    if (f && f->file) fprintf(out, " at %s:%d", f->file, f->line);
    if (f && f->module) fprintf(out, " (%s)", f->module);
    fputc('\n', out);
  }
  fputc('\n', out);
}

void hs_report_timeline_text(FILE *out, struct hs_model *m) {
  const struct hsp_tick *t;
  size_t n = hs_model_ticks(m, &t);
  if (n < 2)
    fprintf(out, "TIMELINE: %zu point%s recorded: the run was too short for a curve\n\n", n,
            n == 1 ? "" : "s");
  print_timeline(out, m);
  for (size_t i = 0; i < m->nmarks; i++)      /* mid-run leak checks: their own section */
    if (m->marks[i]->leak_check) hs_report_checkpoint(out, m, m->marks[i], 5, 0);
}

void hs_report_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  const struct hsp_header *h = m->prof.hdr;
  char b1[32], b2[32], b3[32], phrase[256];
  hs_model_exit_phrase(m, phrase, sizeof phrase);
  fprintf(out, "\n==== heapspy report: %s (pid %d) ====\n", h->cmdline[0] ? h->cmdline : h->program, h->pid);
  fprintf(out, "The program %s after %.3f s.\n", phrase, h->duration_ms / 1000.0);
  char note[256];
  if (hs_model_sampling_note(m, note, sizeof note)) fprintf(out, "%s\n", note);
  if (h->flags & HSP_FLAG_ATTACHED)
    fprintf(out, "Attached: %llu frees of blocks allocated before attach went straight to glibc "
                 "(not counted below).\n", (unsigned long long)h->attach.frees_before);
  if (m->prof.incomplete)
    fprintf(out, "WARNING: the profile is incomplete: the disk filled up during the run; "
                 "allocations after that point are missing.\n");
  if (h->flags & HSP_FLAG_TRACE_CAPPED)
    fprintf(out, "WARNING: the trace is incomplete from %u ms: it reached its --trace-cap; "
                 "report --at and --between see no event after that.\n", h->trace_capped_ms);
  if (!(h->flags & HSP_FLAG_FREERES) && h->state == HSP_STATE_EXITED)
    fprintf(out, "Note: libc's private caches were not freed at exit (--run-libc-freeres=no); "
                 "they are included below.\n");
  const char *w = hs_symbolizer_warnings(m->sym);
  if (w && *w) fprintf(out, "%s", w);
  fputc('\n', out);

  /* Lost groups always; still reachable ones on request (as valgrind);
   * valgrind's --leak-check=summary|no and --show-leak-kinds choose. */
  size_t listed = 0, hidden = 0;
  unsigned show = hs_report_show_kinds(o);
  for (size_t i = 0; i < m->ngroups; i++) {
    const struct hs_group *g = &m->groups[i];
    int wanted = ((g->kind <= HSP_LEAK_REACHABLE && (show & (1u << g->kind))) || !m->scanned) &&
                 !g->suppressed && !o->leak_check;
    if (!wanted) continue;
    if (o->max_groups && listed >= o->max_groups) { hidden++; continue; }
    print_group(out, m, g, i, o);
    if (o->gen_suppressions && hs_kind_lost(g->kind)) {
      hs_suppression_write(out, m, g, i + 1);
      fputc('\n', out);
    }
    listed++;
  }
  if (hidden)
    fprintf(out, "... %zu smaller allocation sites not shown (--max-sites N, or --format json for all)\n\n",
            hidden);
  if (!m->ngroups) fprintf(out, "No blocks in use at exit: no leaks.\n\n");
  else if (!listed && m->scanned && !o->leak_check) fprintf(out, "No lost blocks.\n\n");

  fprintf(out, "BY FAMILY\n  %-12s %12s %12s %16s %14s %12s\n", "family", "allocs", "frees",
          "bytes allocated", "in use bytes", "in use blocks");
  for (unsigned f = 0; f < m->nfamilies; f++) {
    const struct hsp_family_counts *c = &m->fam[f];
    if (!c->allocs && !c->frees) continue;
    char b4[32], b5[32];
    fprintf(out, "  %-12s %12s %12s %16s %14s %12s\n", hs_family_name(m, f),
            hs_commas(c->allocs, b1), hs_commas(c->frees, b2),
            hs_commas(c->bytes_allocated, b3), hs_commas(c->in_use_bytes, b4),
            hs_commas(c->in_use_blocks, b5));
  }
  fputc('\n', out);
  print_holders(out, "BY MODULE (memory in use at exit, by the first frame outside libc/libstdc++)",
                m->by_module, m->nby_module, 10);
  print_holders(out, "TOP FUNCTIONS (memory in use at exit)", m->by_function,
                m->nby_function, 10);
  print_timeline(out, m);
  hs_report_rss_text(out, m);
  for (size_t i = 0; i < m->nmarks; i++)      /* mid-run leak checks: their own section */
    if (m->marks[i]->leak_check) hs_report_checkpoint(out, m, m->marks[i], 5, 0);

  hs_report_locks_text(out, m, o->max_frames);
  hs_report_errors_text(out, m, o);
  fprintf(out, "HEAP SUMMARY:\n");
  fprintf(out, "    in use at exit: %s bytes in %s blocks\n",
          hs_commas(m->total.in_use_bytes, b1), hs_commas(m->total.in_use_blocks, b2));
  fprintf(out, "  total heap usage: %s allocs, %s frees, %s bytes allocated\n",
          hs_commas(m->total.allocs, b1), hs_commas(m->total.frees, b2),
          hs_commas(m->total.bytes_allocated, b3));
  fprintf(out, "   peak heap usage: %s bytes at %llu ms\n", hs_commas(m->peak_bytes, b1),
          (unsigned long long)m->peak_ms);
  if (m->scanned && o->leak_check != 2) {
    fprintf(out, "\nLEAK SUMMARY:\n");
    for (unsigned k = HSP_LEAK_DEFINITE; k <= HSP_LEAK_REACHABLE; k++)
      fprintf(out, "   %15s: %s bytes in %s blocks\n", hs_kind_phrase(k),
              hs_commas(m->kinds[k].bytes, b1), hs_commas(m->kinds[k].blocks, b2));
    if (m->before_census) {
      fprintf(out, "  allocated before attach (no stack; usable sizes; %s known at attach):\n",
              hs_commas(m->before_census, b3));
      for (unsigned k = HSP_LEAK_DEFINITE; k <= HSP_LEAK_REACHABLE; k++)
        fprintf(out, "   %15s: %s bytes in %s blocks\n", hs_kind_phrase(k),
                hs_commas(m->before_kinds[k].bytes, b1), hs_commas(m->before_kinds[k].blocks, b2));
    }
    hs_text_scan_heuristics(out, hsp_scan_info(&m->prof, NULL));
    if (m->suppressed_blocks)
      fprintf(out, "   %15s: %s bytes in %s blocks\n", "suppressed",
              hs_commas(m->suppressed_bytes, b1), hs_commas(m->suppressed_blocks, b2));
    if (m->kinds[HSP_LEAK_UNCLASSIFIED].blocks)
      fprintf(out, "   %15s: %s bytes in %s blocks (allocated after the scan)\n", "unclassified",
              hs_commas(m->kinds[0].bytes, b1), hs_commas(m->kinds[0].blocks, b2));
    if (!(show & (1u << HSP_LEAK_REACHABLE)) && m->kinds[HSP_LEAK_REACHABLE].sites && !o->leak_check)
      fprintf(out, "   (still reachable blocks are not listed; --show-reachable lists them)\n");
    hs_text_scan_threads(out, hsp_scan_info(&m->prof, NULL));
  } else if (m->total.in_use_blocks) {
    fprintf(out, "\nNo reachability scan ran (the program did not reach exit): blocks in use are unclassified.\n");
  }
  uint64_t lost = m->kinds[HSP_LEAK_DEFINITE].bytes + m->kinds[HSP_LEAK_INDIRECT].bytes +
                  m->kinds[HSP_LEAK_POSSIBLE].bytes;
  fprintf(out, "heapspy: %s bytes lost, %s bytes in use at exit in %s blocks; profile %s\n",
          hs_commas(lost, b1), hs_commas(m->total.in_use_bytes, b2),
          hs_commas(m->total.in_use_blocks, b3), m->prof.path);
  hs_report_error_summary(out, m, o);
}
