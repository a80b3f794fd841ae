/*
 * report_collapsed.c: `--format collapsed`: the folded-stack format of
 * flame graph tools (flamegraph.pl, inferno, speedscope): one line per
 * stack, frames outermost first joined by ';', a space, and a weight.
 * The weight is bytes in use at exit, or with --hotspots bytes allocated
 * over the run. Inlined frames are frames of their own. Stacks that fold
 * to the same line are merged; lines come out sorted, so the output is
 * stable from run to run of the renderer.
 *
 * Must never: emit a ';' or a newline inside a frame name (they would
 * split frames or lines), or a line of weight 0.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/report.h"
#include "common/util.h"

#define MAX_FRAMES 512

struct line { char *text; uint64_t weight; };

/* Append one frame's name to a growing buffer, made safe for the format. */
static void put_name(char **buf, size_t *len, size_t *cap, const struct hs_frame *f) {
  char tmp[64];
  const char *name = f->function;
  if (!name) {
    if (f->module) snprintf(tmp, sizeof tmp, "%s+0x%llx", f->module, (unsigned long long)f->offset);
    else snprintf(tmp, sizeof tmp, "0x%llx", (unsigned long long)f->pc);
    name = tmp;
  }
  size_t n = strlen(name);
  if (*len + n + 2 > *cap) {
    *cap = (*len + n + 2) * 2;
    *buf = hs_xrealloc(*buf, *cap);
  }
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    (*buf)[(*len)++] = c == ';' ? ':' : (c == '\n' || c == '\r') ? ' ' : c;
  }
  (*buf)[*len] = 0;
}

static int by_text(const void *a, const void *b) {
  return strcmp(((const struct line *)a)->text, ((const struct line *)b)->text);
}

void hs_report_collapsed(FILE *out, struct hs_model *m, int alloc_weight) {
  struct hs_stack_stat *st;
  size_t n = hs_model_stack_stats(m, &st), nl = 0;
  struct line *lines = hs_xcalloc(n + 1, sizeof *lines);
  for (size_t i = 0; i < n; i++) {
    uint64_t w = alloc_weight ? st[i].bytes : st[i].inuse_bytes;
    if (!w) continue;
    struct hs_frame f[MAX_FRAMES];
    size_t nf = hs_model_frames(m, st[i].stack, f, MAX_FRAMES);
    size_t len = 0, cap = 256;
    char *buf = hs_xmalloc(cap);
    buf[0] = 0;
    for (size_t k = nf; k-- > 0;) {
      put_name(&buf, &len, &cap, &f[k]);
      if (k) buf[len++] = ';', buf[len] = 0;
    }
    if (!nf) {
      static const struct hs_frame none = { .function = "[no stack recorded]" };
      put_name(&buf, &len, &cap, &none);
    }
    lines[nl].text = buf;
    lines[nl++].weight = w;
  }
  free(st);
  qsort(lines, nl, sizeof *lines, by_text);
  for (size_t i = 0; i < nl; i++) {
    uint64_t w = lines[i].weight;
    while (i + 1 < nl && !strcmp(lines[i].text, lines[i + 1].text)) {
      free(lines[i].text);
      w += lines[++i].weight;
    }
    fprintf(out, "%s %llu\n", lines[i].text, (unsigned long long)w);
    free(lines[i].text);
  }
  free(lines);
}
