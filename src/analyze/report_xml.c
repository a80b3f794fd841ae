/*
 * report_xml.c: valgrind's XML output protocol 4 (memcheck), the format
 * IDEs (Qt Creator, CLion, KDevelop) and CI plugins (Jenkins' valgrind
 * plugin, GitLab converters) read: the preamble, pid/ppid/tool, args,
 * status RUNNING then FINISHED, one <error> per heap error (before
 * FINISHED, as valgrind reports them during the run) and per shown loss
 * record (after it), each with unique, tid, kind, what or xwhat, stacks
 * of frames (ip, obj, fn, dir, file, line), auxwhat, a <suppression> with
 * --gen-suppressions; then errorcounts and suppcounts. Written from the
 * protocol's description; wording and order come from memcheck_shape.c.
 * Writes what the model holds; escapes every string it did not make.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/memcheck_shape.h"
#include "analyze/suppress.h"
#include "common/markup.h"
#include "common/util.h"
#include "common/version.h"

#define MAX_FRAMES 256

/* <tag>text</tag> on a line of its own, indented. */
static void elem(FILE *out, const char *indent, const char *tag, const char *text) {
  fprintf(out, "%s<%s>", indent, tag);
  hs_markup_text(out, text);
  fprintf(out, "</%s>\n", tag);
}

static void stack(FILE *out, struct hs_model *m, uint32_t id, size_t max) {
  struct hs_frame f[MAX_FRAMES];
  size_t n = hs_mc_frames(m, id, f, max < MAX_FRAMES ? max : MAX_FRAMES);
  if (!n) return;                      /* a stack has one frame at least */
  fputs("  <stack>\n", out);
  for (size_t i = 0; i < n; i++) {
    char ip[24], line[16];
    snprintf(ip, sizeof ip, "0x%llX", (unsigned long long)f[i].pc);
    fputs("    <frame>\n", out);
    elem(out, "      ", "ip", ip);
    if (hs_mc_obj(m, &f[i])) elem(out, "      ", "obj", hs_mc_obj(m, &f[i]));
    if (f[i].function) elem(out, "      ", "fn", f[i].function);
    if (f[i].file) {
      const char *slash = strrchr(f[i].file, '/');
      if (slash) {
        fputs("      <dir>", out);
        for (const char *c = f[i].file; c < slash; c++) {
          char one[2] = { *c, 0 };
          hs_markup_text(out, one);
        }
        fputs("</dir>\n", out);
      }
      elem(out, "      ", "file", slash ? slash + 1 : f[i].file);
      snprintf(line, sizeof line, "%d", f[i].line);
      elem(out, "      ", "line", line);
    }
    fputs("    </frame>\n", out);
  }
  fputs("  </stack>\n", out);
}

/* <suppression>: the entry heapspy writes, split into protocol 4's
 * sname/skind/skaux/sframe, and verbatim in rawtext. */
static void suppression(FILE *out, struct hs_model *m, const struct hs_group *g,
                        const struct hsp_error *e, size_t index) {
  char *text = hs_suppression_string(m, g, e, index);
  if (!text) return;
  fputs("  <suppression>\n", out);
  int n = 0;
  for (char *line = text, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    while (*line == ' ') line++;
    n++;
    if (n == 2) elem(out, "    ", "sname", line);
    else if (n == 3) elem(out, "    ", "skind", line);
    else if (!strncmp(line, "match-leak-kinds:", 17)) elem(out, "    ", "skaux", line);
    else if (!strncmp(line, "fun:", 4) || !strncmp(line, "obj:", 4)) {
      char tag[4] = { line[0], line[1], line[2], 0 };
      fprintf(out, "    <sframe> <%s>", tag);
      hs_markup_text(out, line + 4);
      fprintf(out, "</%s> </sframe>\n", tag);
    }
    if (next) next[-1] = '\n';
  }
  fprintf(out, "    <rawtext>\n<![CDATA[\n%s]]>\n    </rawtext>\n  </suppression>\n", text);
  free(text);
}

static void heap_error(FILE *out, struct hs_model *m, const struct hs_error *x, size_t unique,
                       const struct hs_report_opts *o) {
  struct hs_mc_error mc;
  if (!hs_mc_error_of(x->e, &mc)) return;
  const struct hsp_error *e = x->e;
  fprintf(out, "<error>\n  <unique>0x%zx</unique>\n  <tid>%d</tid>\n", unique, hs_mc_tid(m, e->tid));
  elem(out, "  ", "kind", mc.kind);
  elem(out, "  ", "what", mc.what);
  stack(out, m, e->stack, o->max_frames);
  elem(out, "  ", "auxwhat", mc.aux);
  if (mc.aux_stack) stack(out, m, mc.aux_stack, o->max_frames);
  if (mc.block_stack) {
    elem(out, "  ", "auxwhat", "Block was alloc'd at");
    stack(out, m, mc.block_stack, o->max_frames);
  }
  if (mc.note) elem(out, "  ", "auxwhat", mc.note);
  if (o->gen_suppressions) suppression(out, m, NULL, e, unique + 1);
  fputs("</error>\n\n", out);
}

static void leak_error(FILE *out, struct hs_model *m, const struct hs_group *g, size_t unique,
                       size_t number, size_t total, const struct hs_report_opts *o) {
  char text[256], num[32];
  hs_mc_record_text(text, sizeof text, g, number, total);
  fprintf(out, "<error>\n  <unique>0x%zx</unique>\n  <tid>1</tid>\n", unique);
  elem(out, "  ", "kind", hs_mc_leak_kind(g->kind));
  fputs("  <xwhat>\n", out);
  elem(out, "    ", "text", text);
  snprintf(num, sizeof num, "%llu", (unsigned long long)g->bytes);
  elem(out, "    ", "leakedbytes", num);
  snprintf(num, sizeof num, "%llu", (unsigned long long)g->blocks);
  elem(out, "    ", "leakedblocks", num);
  fputs("  </xwhat>\n", out);
  stack(out, m, g->stack, o->max_frames);
  if (o->gen_suppressions && hs_kind_lost(g->kind)) suppression(out, m, g, NULL, number);
  fputs("</error>\n\n", out);
}

/* valgrind's elapsed time: "DD:HH:MM:SS.mmm " (the trailing space is its). */
static void status(FILE *out, const char *state, uint64_t ms) {
  fprintf(out, "<status>\n  <state>%s</state>\n  <time>%02llu:%02llu:%02llu:%02llu.%03llu </time>\n</status>\n\n",
          state, (unsigned long long)(ms / 86400000), (unsigned long long)(ms / 3600000 % 24),
          (unsigned long long)(ms / 60000 % 60), (unsigned long long)(ms / 1000 % 60),
          (unsigned long long)(ms % 1000));
}

/* <suppcounts>: each suppression entry that matched (two entries may
 * share a name), with how many errors and loss records it took. */
static void suppcounts(FILE *out, const struct hs_model *m) {
  fputs("<suppcounts>\n", out);
  for (uint32_t id = 1; id <= m->supp_entries; id++) {
    const char *name = NULL;
    uint64_t count = 0;
    for (size_t i = 0; i < m->nerrors; i++)
      if (m->errors[i].supp_entry == id) name = m->errors[i].suppressed, count += m->errors[i].e->count;
    for (size_t i = 0; i < m->ngroups; i++)
      if (m->groups[i].supp_entry == id) name = m->groups[i].suppressed, count++;
    if (!name) continue;
    fprintf(out, "  <pair>\n    <count>%llu</count>\n", (unsigned long long)count);
    elem(out, "    ", "name", name);
    fputs("  </pair>\n", out);
  }
  fputs("</suppcounts>\n\n", out);
}

void hs_report_xml(FILE *out, struct hs_model *m, const struct hs_report_opts *o,
                   const struct hs_xml_run *run) {
  const struct hsp_header *h = m->prof.hdr;
  char line[2200];
  fputs("<?xml version=\"1.0\"?>\n\n<valgrindoutput>\n\n<protocolversion>4</protocolversion>\n"
        "<protocoltool>memcheck</protocoltool>\n\n<preamble>\n", out);
  snprintf(line, sizeof line, "heapspy %s, memcheck's XML (heap errors: --check, --guard)", HS_VERSION);
  elem(out, "  ", "line", line);
  snprintf(line, sizeof line, "Command: %s", h->cmdline[0] ? h->cmdline : h->program);
  elem(out, "  ", "line", line);
  fprintf(out, "</preamble>\n\n<pid>%d</pid>\n<ppid>%d</ppid>\n<tool>memcheck</tool>\n\n<args>\n  <vargv>\n",
          h->pid, h->ppid);
  elem(out, "    ", "exe", run->tool);
  for (int i = 0; i < run->nvargv; i++) elem(out, "    ", "arg", run->vargv[i]);
  fputs("  </vargv>\n  <argv>\n", out);
  elem(out, "    ", "exe", run->exe);
  for (char **a = run->argv + 1; *a; a++) elem(out, "    ", "arg", *a);
  fputs("  </argv>\n</args>\n\n", out);
  status(out, "RUNNING", 0);

  size_t unique = 0;
  for (size_t i = 0; i < m->nerrors; i++) {
    struct hs_mc_error mc;
    if (m->errors[i].suppressed || !hs_mc_error_of(m->errors[i].e, &mc)) continue;
    heap_error(out, m, &m->errors[i], unique++, o);
  }
  status(out, "FINISHED", h->duration_ms);

  size_t *rec, n = hs_mc_records(m, &rec);
  for (size_t i = 0; i < n; i++) {
    const struct hs_group *g = &m->groups[rec[i]];
    if (hs_mc_record_shown(g, o)) leak_error(out, m, g, unique + i, i + 1, n, o);
  }
  free(rec);

  fputs("<errorcounts>\n", out);
  unique = 0;
  for (size_t i = 0; i < m->nerrors; i++) {
    struct hs_mc_error mc;
    if (m->errors[i].suppressed || !hs_mc_error_of(m->errors[i].e, &mc)) continue;
    fprintf(out, "  <pair>\n    <count>%llu</count>\n    <unique>0x%zx</unique>\n  </pair>\n",
            (unsigned long long)m->errors[i].e->count, unique++);
  }
  fputs("</errorcounts>\n\n", out);
  suppcounts(out, m);
  fputs("</valgrindoutput>\n\n", out);
}
