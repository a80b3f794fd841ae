/*
 * report_diff.c: `heapspy report --diff A B PROFILE`: what the heap gained
 * between two checkpoints (HEAPSPY_CHECKPOINT or `heapspy snapshot`), by
 * allocation site, largest growth first: the question UMDH answers on
 * Windows. Each checkpoint holds the live heap by site at that moment;
 * the diff is B minus A per site.
 *
 * Must never: compute anything but the per-site difference (the model
 * and the spy hold the data).
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/report.h"
#include "common/util.h"

struct delta { uint32_t stack, family; int64_t bytes, blocks; };

static const struct hsp_mark *find_mark(struct hs_model *m, const char *name) {
  const struct hsp_mark *found = NULL;
  for (size_t i = 0; i < m->nmarks; i++)      /* the last one of that name */
    if (!strncmp(m->marks[i]->name, name, sizeof m->marks[i]->name)) found = m->marks[i];
  return found;
}

static int by_growth(const void *a, const void *b) {
  const struct delta *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

static int same_site(const struct hsp_site *s, const struct delta *d) {
  return s->stack == d->stack && s->family == d->family;
}

int hs_report_diff(FILE *out, struct hs_model *m, const char *a_name, const char *b_name,
                   int json) {
  const struct hsp_mark *a = find_mark(m, a_name), *b = find_mark(m, b_name);
  if (!a || !b) {
    hs_error("report: no checkpoint named '%s' in %s (checkpoints:%s%s)", !a ? a_name : b_name,
             m->prof.path, m->nmarks ? " " : " none", m->nmarks ? m->marks[0]->name : "");
    return -1;
  }
  const struct hsp_site *sa, *sb;
  size_t na = hsp_mark_sites(&m->prof, a, &sa), nb = hsp_mark_sites(&m->prof, b, &sb);
  struct delta *d = hs_xcalloc(na + nb + 1, sizeof *d);
  size_t n = 0;
  for (size_t i = 0; i < nb; i++)
    d[n++] = (struct delta){ sb[i].stack, sb[i].family, (int64_t)sb[i].bytes, (int64_t)sb[i].blocks };
  for (size_t i = 0; i < na; i++) {            /* sites are few: a linear match is fine */
    size_t j = 0;
    while (j < n && !same_site(&sa[i], &d[j])) j++;
    if (j == n) d[n++] = (struct delta){ sa[i].stack, sa[i].family, 0, 0 };
    d[j].bytes -= (int64_t)sa[i].bytes;
    d[j].blocks -= (int64_t)sa[i].blocks;
  }
  qsort(d, n, sizeof *d, by_growth);
  int64_t total = (int64_t)b->in_use_bytes - (int64_t)a->in_use_bytes;
  if (json) {
    fputs("{\"from\": {\"name\": ", out);
    hs_json_str(out, a_name);
    fprintf(out, ", \"t_ms\": %llu}, \"to\": {\"name\": ", (unsigned long long)a->t_ms);
    hs_json_str(out, b_name);
    fprintf(out, ", \"t_ms\": %llu}, \"growth_bytes\": %lld, \"sites\": [",
            (unsigned long long)b->t_ms, (long long)total);
  } else {
    fprintf(out, "Heap growth from checkpoint '%s' (%llu ms) to '%s' (%llu ms): %+lld bytes, %+lld blocks\n\n",
            a_name, (unsigned long long)a->t_ms, b_name, (unsigned long long)b->t_ms,
            (long long)total, (long long)b->in_use_blocks - (long long)a->in_use_blocks);
  }
  int shown = 0;
  for (size_t i = 0; i < n; i++) {
    if (d[i].bytes <= 0 && d[i].blocks <= 0) continue;
    if (json) {
      fprintf(out, "%s\n  {\"bytes\": %lld, \"blocks\": %lld, \"family\": \"%s\", \"stack\": ",
              shown ? "," : "", (long long)d[i].bytes, (long long)d[i].blocks,
              hs_family_name(m, d[i].family));
      hs_json_frames(out, m, d[i].stack);
      fputc('}', out);
    } else {
      fprintf(out, "+%lld bytes in +%lld blocks (%s)\n", (long long)d[i].bytes, (long long)d[i].blocks,
              hs_family_name(m, d[i].family));
      hs_text_frames(out, m, d[i].stack, "    ", 16);
      fputc('\n', out);
    }
    shown++;
  }
  if (json) fputs("\n]}\n", out);
  else if (!shown) fprintf(out, "No allocation site grew.\n");
  free(d);
  return 0;
}
