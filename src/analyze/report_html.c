/*
 * report_html.c: `--format html`: one self-contained page a user can open
 * offline or mail to a colleague: a summary, the timeline chart (heap
 * tracked by the spy against RSS and virtual size, checkpoints marked),
 * and the places the page's script fills from one embedded JSON object
 * (html_data.c, html_script.c): the errors, the table of allocation
 * sites, and flame graphs of the bytes in use at exit, allocated, calls,
 * the peak and a diff between two checkpoints.
 *
 * Must never: reference anything outside the page (no links to scripts,
 * styles, fonts or images), or write a string from the profile without
 * escaping it (program names, paths and symbols are data, not markup).
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/html_page.h"
#include "analyze/report.h"
#include "common/markup.h"
#include "common/util.h"


static double dmax(double a, double b) { return a > b ? a : b; }
static const char *frame_name(const struct hs_frame *f, char *tmp, size_t len) {
  if (f->function) return f->function;
  if (f->module) snprintf(tmp, len, "%s+0x%llx", f->module, (unsigned long long)f->offset);
  else snprintf(tmp, len, "0x%llx", (unsigned long long)f->pc);
  return tmp;
}

/* ---- timeline ------------------------------------------------------------ */

struct series { const char *name, *color, *dash; int which; };

static double tick_value(const struct hsp_tick *t, int which) {
  return which == 0 ? (double)(t->heap_bytes > 0 ? t->heap_bytes : 0)
       : which == 1 ? (double)t->rss_bytes
       : which == 2 ? (double)t->vm_bytes : (double)t->glibc.free_bytes;
}

/* Each checkpoint as a marker the page's script makes clickable (data-i:
 * its index in the data's checkpoints, which are the model's marks). */
static void marks(FILE *out, struct hs_model *m, double t0, double tmax, int L, int R, int W,
                  int T, int B, int H) {
  char b[32];
  for (size_t i = 0; i < m->nmarks; i++) {
    const struct hsp_mark *mk = m->marks[i];
    double x = L + (W - L - R) * ((double)mk->t_ms - t0) / (tmax - t0 > 0 ? tmax - t0 : 1);
    fprintf(out, "<g class=\"cp\" data-i=\"%zu\"><title>checkpoint ", i);
    hs_markup_text(out, mk->name);
    fprintf(out, " at %llu ms: %s in use (click: an end of the diff)</title>"
                 "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
                 "<circle cx=\"%.1f\" cy=\"%d\" r=\"5\"/><text x=\"%.1f\" y=\"%d\">",
            (unsigned long long)mk->t_ms, hs_human_bytes((double)mk->in_use_bytes, b), x, x, T,
            H - B, x, T + 4, x + 7, T + 8 + 12 * (int)(i % 3));
    hs_markup_text(out, mk->name);
    fputs("</text></g>\n", out);
  }
}

static void chart(FILE *out, struct hs_model *m, const struct hsp_tick *t, size_t n,
                  const struct series *s, int ns, const char *label, int with_marks) {
  const int W = 1000, H = 260, L = 80, R = 40, T = 12, B = 30;
  double ymax = 1, tmax = (double)(t[n - 1].t_ms > t[0].t_ms ? t[n - 1].t_ms : t[0].t_ms + 1);
  double t0 = (double)t[0].t_ms;
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < ns; k++) ymax = dmax(ymax, tick_value(&t[i], s[k].which));
  char b[32];
  fprintf(out, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", W, H);
  hs_markup_text(out, label);
  fputs("\">\n", out);
  for (int g = 0; g <= 4; g++) {
    double y = T + (H - T - B) * (1 - g / 4.0);
    fprintf(out, "<line class=\"gr\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                 "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
            L, W - R, y, y, L - 6, y + 4, hs_human_bytes(ymax * g / 4, b));
  }
  fprintf(out, "<line class=\"ax\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>\n", L, W - R, H - B, H - B);
  for (int g = 0; g <= 4; g++) {
    double x = L + (W - L - R) * g / 4.0;
    fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3f s</text>\n", x, H - B + 16,
            (t0 + (tmax - t0) * g / 4) / 1000.0);
  }
  for (int k = 0; k < ns; k++) {
    fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", s[k].color,
            s[k].dash);
    for (size_t i = 0; i < n; i++) {
      double x = L + (W - L - R) * ((double)t[i].t_ms - t0) / (tmax - t0 > 0 ? tmax - t0 : 1);
      double y = T + (H - T - B) * (1 - tick_value(&t[i], s[k].which) / ymax);
      fprintf(out, "%s%.1f,%.1f", i ? " " : "", x, y);
    }
    fputs("\"><title>", out);
    hs_markup_text(out, s[k].name);
    fputs("</title></polyline>\n", out);
  }
  if (with_marks) marks(out, m, t0, tmax, L, R, W, T, B, H);
  fputs("</svg>\n<div class=\"legend\">", out);
  for (int k = 0; k < ns; k++)
    fprintf(out, "<span><i class=\"sw\" style=\"background:%s\"></i>%s</span>", s[k].color, s[k].name);
  fputs("</div>\n", out);
}

static void timeline(FILE *out, struct hs_model *m) {
  const struct hsp_tick *t;
  size_t n = hs_model_ticks(m, &t);
  fputs("<h2>Timeline</h2>\n", out);
  if (m->nmarks) {
    fputs("<p class=\"meta\">Checkpoints (click two, here or on the chart, to diff them below):", out);
    for (size_t i = 0; i < m->nmarks; i++) {
      fprintf(out, " <span class=\"cp\" data-i=\"%zu\">", i);
      hs_markup_text(out, m->marks[i]->name);
      fputs("</span>", out);
    }
    fputs("</p>\n", out);
  }
  if (n < 2) {
    fprintf(out, "<p>%zu point%s recorded: the run was too short for a curve.</p>\n", n,
            n == 1 ? "" : "s");
    return;
  }
  static const struct series all[] = {
    { "heap in use (tracked by heapspy)", "#1f6fd1", "", 0 },
    { "RSS (resident)", "#e07b00", "", 1 },
    { "virtual size", "#777", " stroke-dasharray=\"6 4\"", 2 },
    { "freed, held by glibc (mallinfo2)", "#2a9d4b", " stroke-dasharray=\"2 3\"", 3 },
  };
  const struct hsp_tick *g0, *g1;
  int held = hs_timeline_glibc_ends(m, &g0, &g1) != 0;
  chart(out, m, t, n, all, held ? 4 : 3,
        held ? "heap in use, freed memory held by glibc, RSS and virtual size over time"
             : "heap, RSS and virtual size over time", 1);
  fputs("<p class=\"meta\">The heap alone, on its own scale:</p>\n", out);
  chart(out, m, t, n, all, 1, "heap over time", 0);

  char line[512];
  fputs("<p class=\"verdict\">", out);
  if (hs_timeline_verdict(m, line, sizeof line)) {
    line[0] = (char)(line[0] - 'a' + 'A');     /* a sentence of its own here */
    hs_markup_text(out, line);
    fputc('.', out);
  }
  if (hs_timeline_retention(m, line, sizeof line)) {
    line[0] = (char)(line[0] - 'a' + 'A');
    fputc(' ', out);
    hs_markup_text(out, line);
    fputc('.', out);
  }
  if (hs_timeline_outside(m, line, sizeof line)) {
    fputc(' ', out);
    hs_markup_text(out, line);
    fputc('.', out);
  }
  if (hs_timeline_own(m, line, sizeof line)) {
    fputs(" H", out);                  /* "heapspy's", a sentence of its own */
    hs_markup_text(out, line + 1);
    fputc('.', out);
  }
  if (m->ngroups && m->total.in_use_bytes) {
    const struct hs_frame *f = m->groups[0].culprit;
    char tmp[64];
    fprintf(out, " %.0f%% of the memory in use at exit comes from one stack: <code>",
            100.0 * (double)m->groups[0].bytes / (double)m->total.in_use_bytes);
    hs_markup_text(out, f ? frame_name(f, tmp, sizeof tmp) : "(unknown)");
    fputs("</code>", out);
    if (f && f->file) {
      fputs(" at ", out);
      hs_markup_text(out, f->file);
      fprintf(out, ":%d", f->line);
    }
    fputc('.', out);
  }
  fputs("</p>\n", out);
}

/* ---- what the script fills ------------------------------------------------ */

/* A flame graph's place: title, reset button, search result, and what it
 * shows (static text, or made of numbers only), then extra markup. */
static void flame_box(FILE *out, const char *id, const char *title, const char *what,
                      const char *extra) {
  fprintf(out, "<h3>%s <button class=\"reset\">reset zoom</button><span class=\"match\" "
               "id=\"%s-match\"></span></h3>\n<p class=\"meta\">%s</p>\n%s"
               "<div class=\"flame\" id=\"%s\"></div>\n",
          title, id, what, extra, id);
}

static void sections(FILE *out, struct hs_model *m) {
  char b1[32], b2[32];
  fputs("<h2>Errors</h2>\n<ul id=\"errors\"></ul>\n"
        "<p id=\"errors-none\">No heap or lock errors were recorded.</p>\n"
        "<h2>Allocation sites</h2>\n<p class=\"meta\">One row per stack and leak kind in use at "
        "exit, then the stacks that freed all they allocated; allocated and calls are the stack's "
        "over the run. Click a column to sort, a row for its stack.</p>\n"
        "<p class=\"tools\"><input id=\"sites-search\" type=\"search\" "
        "placeholder=\"filter: function, file, module, kind\"> <span id=\"sites-count\"></span></p>\n"
        "<div id=\"sites-view\"><div id=\"sites-head\" class=\"grid\"></div>"
        "<div id=\"sites-spacer\"><div id=\"sites-body\"></div></div></div>\n"
        "<pre id=\"site-stack\"></pre>\n"
        "<h2>Flame graphs</h2>\n<p class=\"meta\">Each box is a function; its width, what its "
        "callees allocated. Click a box to zoom, a caller below it to zoom out.</p>\n"
        "<p class=\"tools\"><input id=\"flame-search\" type=\"search\" "
        "placeholder=\"highlight frames matching...\"></p>\n", out);
  flame_box(out, "flame-inuse", "Bytes in use at exit", "Blocks still allocated when the program ended.", "");
  flame_box(out, "flame-alloc", "Bytes allocated over the run", "Every allocation, freed or not.", "");
  flame_box(out, "flame-calls", "Allocation calls over the run", "Where the allocator is called most.", "");
  char what[256], extra[256];
  snprintf(what, sizeof what, "The peak was %s bytes at %llu ms; the stacks are the spy's last copy "
                              "of them, at %llu ms (the graph's total: what they held then).",
           hs_commas(m->peak_bytes, b1), (unsigned long long)m->peak_ms,
           (unsigned long long)m->prof.hdr->peak.t_ms);
  flame_box(out, "flame-peak", "The heap at its peak", what, "");
  snprintf(extra, sizeof extra, "<p class=\"tools\">from <select id=\"diff-a\"></select> to "
                                "<select id=\"diff-b\"></select> (%s checkpoint%s)</p>\n"
                                "<p id=\"diff-top\"></p>\n",
           hs_commas(m->nmarks, b2), m->nmarks == 1 ? "" : "s");
  flame_box(out, "flame-diff", "Growth between two checkpoints",
            "<span id=\"diff-total\"></span> Pick the ends here or click two checkpoints of the "
            "timeline.", extra);
}

/* ---- the page ------------------------------------------------------------ */

void hs_report_html(FILE *out, struct hs_model *m) {
  const struct hsp_header *h = m->prof.hdr;
  const char *prog = h->cmdline[0] ? h->cmdline : h->program;
  char phrase[256], b1[32], b2[32], b3[32];
  hs_model_exit_phrase(m, phrase, sizeof phrase);
  fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width\">\n<title>heapspy: ", out);
  hs_markup_text(out, prog);
  fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n<h1>heapspy report</h1>\n"
               "<p class=\"meta\"><code>", hs_html_style);
  hs_markup_text(out, prog);
  fprintf(out, "</code> (pid %d) ", h->pid);
  hs_markup_text(out, phrase);
  fprintf(out, " after %.3f s.</p>\n", h->duration_ms / 1000.0);
  if (m->prof.incomplete)
    fputs("<p class=\"verdict\">The profile is incomplete: the disk filled up during the run; "
          "allocations after that point are missing.</p>\n", out);
  if (hs_model_sampling_note(m, phrase, sizeof phrase)) {
    fputs("<p class=\"verdict\" id=\"sampling\">", out);
    hs_markup_text(out, phrase);
    fputs("</p>\n", out);
  }
  if (h->flags & HSP_FLAG_TRACE_CAPPED)
    fprintf(out, "<p class=\"verdict\">The trace is incomplete from %u ms: it reached its "
                 "--trace-cap.</p>\n", h->trace_capped_ms);
  uint64_t lost = m->kinds[HSP_LEAK_DEFINITE].bytes + m->kinds[HSP_LEAK_INDIRECT].bytes +
                  m->kinds[HSP_LEAK_POSSIBLE].bytes;
  fprintf(out, "<table class=\"summary\"><tr><td>in use at exit</td><td>%s bytes in %s blocks</td></tr>\n",
          hs_commas(m->total.in_use_bytes, b1), hs_commas(m->total.in_use_blocks, b2));
  if (m->scanned || !m->total.in_use_blocks)   /* nothing in use: nothing lost, scan or not */
    fprintf(out, "<tr><td>lost</td><td>%s bytes</td></tr>\n", hs_commas(lost, b1));
  else
    fputs("<tr><td>lost</td><td>not classified (the program did not reach exit)</td></tr>\n", out);
  fprintf(out, "<tr><td>total heap usage</td><td>%s allocs, %s frees, %s bytes allocated</td></tr>\n",
          hs_commas(m->total.allocs, b1), hs_commas(m->total.frees, b2),
          hs_commas(m->total.bytes_allocated, b3));
  fprintf(out, "<tr><td>peak heap usage</td><td>%s bytes at %llu ms</td></tr></table>\n",
          hs_commas(m->peak_bytes, b1), (unsigned long long)m->peak_ms);
  timeline(out, m);
  sections(out, m);
  fputs("<p class=\"meta\">Written by heapspy report --format html; profile <code>", out);
  hs_markup_text(out, m->prof.path);
  fputs("</code>.</p>\n<script type=\"application/json\" id=\"hs-data\">", out);
  hs_html_data(out, m);
  fprintf(out, "</script>\n<script>\n%s</script>\n</body></html>\n", hs_html_script);
}
