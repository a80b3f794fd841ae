/*
 * report_html.c: `--format html`: one self-contained page a user can open
 * offline or mail to a colleague: a summary, the timeline chart (heap
 * tracked by the spy against RSS and virtual size), the leak table, and
 * a flame graph of the bytes in use at exit (click a frame to zoom).
 * Charts are inline SVG drawn here; the small script only zooms.
 *
 * Must never: reference anything outside the page (no links to scripts,
 * styles, fonts or images), or write a string from the profile without
 * escaping it (program names, paths and symbols are data, not markup).
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/report.h"
#include "common/markup.h"
#include "common/util.h"

#define MAX_FRAMES 512
#define MAX_ROWS 500          /* leak table rows */
#define MAX_NODES 200000      /* flame graph tree */
#define FLAME_W 1200
#define ROW_H 17

static double dmax(double a, double b) { return a > b ? a : b; }
static const char *frame_name(const struct hs_frame *f, char *tmp, size_t len) {
  if (f->function) return f->function;
  if (f->module) snprintf(tmp, len, "%s+0x%llx", f->module, (unsigned long long)f->offset);
  else snprintf(tmp, len, "0x%llx", (unsigned long long)f->pc);
  return tmp;
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}"
    ".meta{color:#555}.scroll{max-height:560px;overflow:auto;display:inline-block}"
    "thead th{position:sticky;top:0;background:#fff}.summary td{padding:2px 14px 2px 0}"
    "table.leaks{border-collapse:collapse;font-size:13px}"
    "table.leaks th,table.leaks td{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}"
    "table.leaks td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.lost td.k{color:#b00;font-weight:600}code{font:12px ui-monospace,monospace}"
    ".verdict{background:#f6f6f0;border-left:4px solid #c90;padding:6px 10px}"
    "svg.chart{width:100%;max-width:1000px;display:block}#flame{width:100%;display:block}"
    "svg text{font:11px ui-monospace,monospace}svg .ax{stroke:#999}svg .gr{stroke:#eee}"
    "#flame g{cursor:pointer}#flame rect{stroke:#fff;stroke-width:.5}"
    "#flame g:hover rect{stroke:#000}.legend span{margin-right:18px}"
    ".sw{display:inline-block;width:22px;height:3px;vertical-align:middle;margin-right:5px}";

/* ---- timeline ------------------------------------------------------------ */

struct series { const char *name, *color, *dash; int which; };

static double tick_value(const struct hsp_tick *t, int which) {
  return which == 0 ? (double)(t->heap_bytes > 0 ? t->heap_bytes : 0)
       : which == 1 ? (double)t->rss_bytes : (double)t->vm_bytes;
}

static void chart(FILE *out, const struct hsp_tick *t, size_t n,
                  const struct series *s, int ns, const char *label) {
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
  fputs("</svg>\n<div class=\"legend\">", out);
  for (int k = 0; k < ns; k++)
    fprintf(out, "<span><i class=\"sw\" style=\"background:%s\"></i>%s</span>", s[k].color, s[k].name);
  fputs("</div>\n", out);
}

static void timeline(FILE *out, struct hs_model *m) {
  const struct hsp_tick *t;
  size_t n = hs_model_ticks(m, &t);
  fputs("<h2>Timeline</h2>\n", out);
  if (n < 2) {
    fprintf(out, "<p>%zu point%s recorded: the run was too short for a curve.</p>\n", n,
            n == 1 ? "" : "s");
    return;
  }
  static const struct series all[] = {
    { "heap (tracked by heapspy)", "#1f6fd1", "", 0 },
    { "RSS (resident)", "#e07b00", "", 1 },
    { "virtual size", "#777", " stroke-dasharray=\"6 4\"", 2 },
  };
  chart(out, t, n, all, 3, "heap, RSS and virtual size over time");
  fputs("<p class=\"meta\">The heap alone, on its own scale:</p>\n", out);
  chart(out, t, n, all, 1, "heap over time");

  char line[512];
  fputs("<p class=\"verdict\">", out);
  if (hs_timeline_verdict(m, line, sizeof line)) {
    line[0] = (char)(line[0] - 'a' + 'A');     /* a sentence of its own here */
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

/* ---- leak table ---------------------------------------------------------- */

static void leaks(FILE *out, struct hs_model *m) {
  char b1[32], b2[32], tmp[64];
  fputs("<h2>Blocks in use at exit, by allocation stack</h2>\n", out);
  if (!m->ngroups) { fputs("<p>No blocks in use at exit: no leaks.</p>\n", out); return; }
  fputs("<div class=\"scroll\"><table class=\"leaks\"><thead><tr><th>kind</th><th>bytes</th><th>blocks</th>"
        "<th>family</th><th>first frame of the program</th><th>file:line</th><th>module</th>"
        "<th>first allocated</th></tr></thead><tbody>\n", out);
  for (size_t i = 0; i < m->ngroups && i < MAX_ROWS; i++) {
    const struct hs_group *g = &m->groups[i];
    const struct hs_frame *f = g->culprit;
    fprintf(out, "<tr%s><td class=\"k\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>",
            hs_kind_lost(g->kind) ? " class=\"lost\"" : "", hs_kind_name(g->kind),
            hs_commas(g->bytes, b1), hs_commas(g->blocks, b2));
    hs_markup_text(out, hs_family_name(m, g->family));
    fputs("</td><td><code>", out);
    hs_markup_text(out, f ? frame_name(f, tmp, sizeof tmp) : "(unknown)");
    fputs("</code></td><td><code>", out);
    if (f && f->file) {
      hs_markup_text(out, f->file);
      fprintf(out, ":%d", f->line);
    }
    fputs("</code></td><td>", out);
    hs_markup_text(out, f && f->module ? f->module : "");
    fprintf(out, "</td><td class=\"n\">%u ms</td></tr>\n", g->first_ms);
  }
  fputs("</tbody></table></div>\n", out);
  if (m->ngroups > MAX_ROWS)
    fprintf(out, "<p class=\"meta\">... %zu smaller sites not shown (<code>--format json</code> lists all).</p>\n",
            m->ngroups - MAX_ROWS);
}

/* ---- flame graph --------------------------------------------------------- */

struct node {
  const char *name;           /* owned by the symbolizer, or static */
  uint64_t value;
  int child, next;            /* first child, next sibling (-1: none) */
};

struct tree { struct node *v; int n, cap, depth; };

static int add_child(struct tree *t, int parent, const char *name, uint64_t w) {
  int prev = -1;
  for (int c = t->v[parent].child; c >= 0; prev = c, c = t->v[c].next)
    if (!strcmp(t->v[c].name, name)) { t->v[c].value += w; return c; }
  if (t->n >= MAX_NODES) return -1;
  if (t->n == t->cap) {
    t->cap *= 2;
    t->v = hs_xrealloc(t->v, (size_t)t->cap * sizeof *t->v);
  }
  int id = t->n++;
  t->v[id] = (struct node){ .name = name, .value = w, .child = -1, .next = -1 };
  if (prev < 0) t->v[parent].child = id; else t->v[prev].next = id;
  return id;
}

static unsigned color_of(const char *s) {
  unsigned h = 2166136261u;
  while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
  return h;
}

static void emit(FILE *out, const struct tree *t, int id, int depth, double x, uint64_t total) {
  const struct node *nd = &t->v[id];
  double w = (double)nd->value / (double)total;
  if (w * FLAME_W < 0.1) return;
  char b[32];
  unsigned c = color_of(nd->name);
  int y = (t->depth - depth) * ROW_H;
  double px = x * FLAME_W, pw = w * FLAME_W;
  fprintf(out, "<g data-x=\"%.6f\" data-w=\"%.6f\" data-n=\"", x, w);
  hs_markup_text(out, nd->name);
  fputs("\"><title>", out);
  hs_markup_text(out, nd->name);
  fprintf(out, " (%s, %.1f%%)</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
               "fill=\"rgb(%u,%u,%u)\"/><text x=\"%.1f\" y=\"%d\">",
          hs_human_bytes((double)nd->value, b), 100.0 * w, px, y, pw, ROW_H - 1,
          205 + c % 50, (c >> 8) % 180 + 40, (c >> 16) % 55, px + 3, y + 12);
  size_t fit = pw > 20 ? (size_t)((pw - 6) / 7) : 0, len = strlen(nd->name);
  if (fit >= 3) {
    if (len <= fit) hs_markup_text(out, nd->name);
    else {
      char *cut = hs_xstrdup(nd->name);
      cut[fit - 2] = 0;   /* may split a UTF-8 sequence: the browser copes */
      hs_markup_text(out, cut);
      fputs("..", out);
      free(cut);
    }
  }
  fputs("</text></g>\n", out);
  for (int ch = nd->child; ch >= 0; ch = t->v[ch].next) {
    emit(out, t, ch, depth + 1, x, total);
    x += (double)t->v[ch].value / (double)total;
  }
}

/* Click a frame to zoom to it, the bottom frame to reset. */
static const char zoom_js[] =
    "(function(){var svg=document.getElementById('flame');if(!svg)return;"
    "var W=svg.viewBox.baseVal.width,gs=svg.querySelectorAll('g');"
    "function zoom(x0,w0){for(var i=0;i<gs.length;i++){var g=gs[i],"
    "x=parseFloat(g.getAttribute('data-x')),w=parseFloat(g.getAttribute('data-w')),"
    "r=g.querySelector('rect'),t=g.querySelector('text'),n=g.getAttribute('data-n');"
    "var vis=x+w>x0+1e-9&&x<x0+w0-1e-9;g.style.display=vis?'':'none';if(!vis)continue;"
    "var px=Math.max(0,(x-x0)/w0*W),pe=Math.min(W,(x+w-x0)/w0*W),pw=pe-px;"
    "r.setAttribute('x',px.toFixed(1));r.setAttribute('width',pw.toFixed(1));"
    "t.setAttribute('x',(px+3).toFixed(1));var fit=pw>20?Math.floor((pw-6)/7):0;"
    "t.textContent=fit<3?'':(n.length<=fit?n:n.slice(0,fit-2)+'..');}}"
    "for(var i=0;i<gs.length;i++)gs[i].addEventListener('click',function(){"
    "zoom(parseFloat(this.getAttribute('data-x')),parseFloat(this.getAttribute('data-w')));});"
    "})();";

static void flame(FILE *out, struct hs_model *m) {
  fputs("<h2>Flame graph: bytes in use at exit</h2>\n", out);
  struct hs_stack_stat *st;
  size_t n = hs_model_stack_stats(m, &st);
  struct tree t = { .cap = 1024 };
  t.v = hs_xmalloc((size_t)t.cap * sizeof *t.v);
  t.v[0] = (struct node){ .name = "all", .child = -1, .next = -1 };
  t.n = 1;
  for (size_t i = 0; i < n; i++) {
    uint64_t w = st[i].inuse_bytes;
    if (!w) continue;
    struct hs_frame f[MAX_FRAMES];
    size_t nf = hs_model_frames(m, st[i].stack, f, MAX_FRAMES);
    t.v[0].value += w;
    int at = 0, depth = 0;
    if (!nf) at = add_child(&t, 0, "[no stack recorded]", w), depth = 1;
    for (size_t k = nf; k-- > 0 && at >= 0;) {
      const char *name = f[k].function;
      /* the tree keeps the symbolizer's strings: a frame without a
       * function folds into its module's name */
      if (!name) name = f[k].module ? f[k].module : "??";
      at = add_child(&t, at, name, w);
      depth++;
    }
    if (depth > t.depth) t.depth = depth;
  }
  free(st);
  if (!t.v[0].value) {
    fputs("<p>No bytes in use at exit.</p>\n", out);
    free(t.v);
    return;
  }
  int h = (t.depth + 1) * ROW_H;
  fprintf(out, "<p class=\"meta\">Each box is a function; its width, the bytes its callees "
               "allocated that were still in use at exit. Click a box to zoom, the bottom one "
               "to reset.</p>\n<svg id=\"flame\" viewBox=\"0 0 %d %d\">\n",
          FLAME_W, h);
  emit(out, &t, 0, 0, 0.0, t.v[0].value);
  fprintf(out, "</svg>\n<script>%s</script>\n", zoom_js);
  if (t.n >= MAX_NODES) fputs("<p class=\"meta\">(graph truncated)</p>\n", out);
  free(t.v);
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
               "<p class=\"meta\"><code>", style);
  hs_markup_text(out, prog);
  fprintf(out, "</code> (pid %d) ", h->pid);
  hs_markup_text(out, phrase);
  fprintf(out, " after %.3f s.</p>\n", h->duration_ms / 1000.0);
  if (m->prof.incomplete)
    fputs("<p class=\"verdict\">The profile is incomplete: the disk filled up during the run; "
          "allocations after that point are missing.</p>\n", out);
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
  leaks(out, m);
  flame(out, m);
  fputs("<p class=\"meta\">Written by heapspy report --format html; profile <code>", out);
  hs_markup_text(out, m->prof.path);
  fputs("</code>.</p>\n</body></html>\n", out);
}
