/*
 * report_chrome_trace.c: `--format chrome-trace`: the run as Chrome's
 * Trace Event Format (JSON object form), which Perfetto's UI
 * (ui.perfetto.dev), chrome://tracing and speedscope open.
 *
 * One process (the program's pid) with three named tracks:
 *   counters "heap", "RSS" and "virtual" (args.bytes) at every timeline
 *     point (the timeline every report draws, the peak included);
 *   tid 1 "checkpoints": each checkpoint a complete ("X") slice from the
 *     one before (or the start) to it, named after it, then "exit" to the
 *     end of the run; and an instant ("i") at each checkpoint, args the
 *     heap in use there;
 *   tid 2 "allocations" and tid 3 "frees": with a --trace, every event as
 *     an instant named after the allocating site (the first function of
 *     the user's code), args size, family, realloc and the stack.
 * Timestamps are microseconds from the start of the run; the profile
 * records milliseconds, so events of one millisecond share a timestamp.
 * The trace records no thread per event: hence the synthetic tracks.
 *
 * Must never: hold the trace's events in memory (one chunk at a time),
 * or write anything but one JSON document.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/report.h"
#include "analyze/trace_walk.h"
#include "common/hashmap.h"
#include "common/util.h"

#define MAX_FRAMES 512
enum { TID_CHECKPOINTS = 1, TID_ALLOCS, TID_FREES };

struct ct {
  FILE *out;
  struct hs_model *m;
  int pid;
  struct hs_map sites;       /* stack -> index + 1 into name/stack */
  char **name, **stack;      /* site function; "f1 < f2 < ..." innermost first */
  size_t nsites, cap;
};

/* The site's name and stack text, made once per stack. */
static size_t site(struct ct *c, uint32_t stack) {
  uint64_t *slot = hs_map_slot(&c->sites, (uint64_t)stack + 1);
  if (!slot) hs_die(1, "out of memory");
  if (*slot) return *slot - 1;
  if (c->nsites == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 256;
    c->name = hs_xrealloc(c->name, c->cap * sizeof *c->name);
    c->stack = hs_xrealloc(c->stack, c->cap * sizeof *c->stack);
  }
  struct hs_frame f[MAX_FRAMES], user;
  size_t n = hs_model_frames(c->m, stack, f, MAX_FRAMES);
  char *text = NULL;
  size_t len = 0;
  FILE *t = open_memstream(&text, &len);
  if (!t) hs_die(1, "out of memory");
  for (size_t i = 0; i < n; i++)
    fprintf(t, "%s%s", i ? " < " : "", f[i].function ? f[i].function : f[i].module ? f[i].module : "??");
  fclose(t);
  c->stack[c->nsites] = text;
  c->name[c->nsites] = hs_xstrdup(hs_user_frame(c->m, stack, &user) && user.function ? user.function
                                  : n && f[0].function ? f[0].function : "[no stack recorded]");
  *slot = ++c->nsites;
  return c->nsites - 1;
}

static int event(void *arg, const struct hst_event *e) {
  struct ct *c = arg;
  if (e->kind == HST_EV_MARK) return 0;   /* checkpoints come from the profile */
  size_t s = site(c, e->stack);
  /* a RESTORE undoes a failed realloc's free: the block lives on */
  int alloc = e->kind != HST_EV_FREE;
  fprintf(c->out, ",\n{\"ph\": \"i\", \"s\": \"t\", \"pid\": %d, \"tid\": %d, \"ts\": %llu, "
                  "\"cat\": \"%s\", \"name\": ", c->pid, alloc ? TID_ALLOCS : TID_FREES,
          (unsigned long long)e->t * 1000, alloc ? "alloc" : "free");
  hs_json_str(c->out, c->name[s]);
  fprintf(c->out, ", \"args\": {\"size\": %llu, \"family\": ", (unsigned long long)e->size);
  hs_json_str(c->out, hs_family_name(c->m, e->family));
  fprintf(c->out, ", \"realloc\": %s", e->realloc ? "true" : "false");
  if (e->kind == HST_EV_RESTORE) fputs(", \"restore\": true", c->out);
  if (!alloc) fprintf(c->out, ", \"allocated_ms\": %u", e->alloc_t);
  fputs(", \"stack\": ", c->out);
  hs_json_str(c->out, c->stack[s]);
  fputs("}}", c->out);
  return 0;
}

/* Every event of PROFILE.trace, when there is one. */
static int trace_events(struct ct *c) {
  char path[1100];
  hst_path_of(c->m->prof.path, path, sizeof path);
  if (access(path, F_OK)) return 0;
  struct hs_walk w;
  if (hs_walk_open(&w, c->m) < 0) return -1;
  uint64_t pos = 0, off;
  struct hst_chunk ch;
  int r;
  while ((r = hst_next_chunk(&w.tr, &pos, &off, &ch, w.err, sizeof w.err)) == 1)
    if (ch.nevents && hs_walk_events(&w, off, &ch, event, c) < 0) break;
  if (r < 0) hs_error("%s", w.err);
  hs_walk_close(&w);
  return r < 0 ? -1 : 0;
}

static void meta(struct ct *c, const char *what, int tid, const char *name) {
  fprintf(c->out, ",\n{\"ph\": \"M\", \"pid\": %d, \"tid\": %d, \"name\": \"%s\", \"args\": {\"name\": ",
          c->pid, tid, what);
  hs_json_str(c->out, name);
  fputs("}}", c->out);
}

static void phase(struct ct *c, const char *name, uint64_t from_ms, uint64_t to_ms) {
  fprintf(c->out, ",\n{\"ph\": \"X\", \"pid\": %d, \"tid\": %d, \"ts\": %llu, \"dur\": %llu, "
                  "\"cat\": \"checkpoint\", \"name\": ", c->pid, TID_CHECKPOINTS,
          (unsigned long long)from_ms * 1000, (unsigned long long)(to_ms - from_ms) * 1000);
  hs_json_str(c->out, name);   /* no args: speedscope would put them in the name */
  fputc('}', c->out);
}

int hs_report_chrome_trace(FILE *out, struct hs_model *m) {
  const struct hsp_header *h = m->prof.hdr;
  struct ct c = { .out = out, .m = m, .pid = h->pid };
  char title[sizeof h->program + 16];
  snprintf(title, sizeof title, "%s (heapspy)", h->program);
  fputs("{\"displayTimeUnit\": \"ms\",\n\"otherData\": {\"program\": ", out);
  hs_json_str(out, h->program);
  fprintf(out, ", \"pid\": %d, \"duration_ms\": %llu},\n\"traceEvents\": [\n"
               "{\"ph\": \"M\", \"pid\": %d, \"tid\": 0, \"name\": \"process_name\", \"args\": {\"name\": ",
          h->pid, (unsigned long long)h->duration_ms, h->pid);
  hs_json_str(out, title);
  fputs("}}", out);
  meta(&c, "thread_name", TID_CHECKPOINTS, "checkpoints");
  meta(&c, "thread_name", TID_ALLOCS, "allocations");
  meta(&c, "thread_name", TID_FREES, "frees");

  const struct hsp_tick *t;
  size_t nt = hs_model_ticks(m, &t);
  static const char *const counters[] = { "heap", "RSS", "virtual" };
  for (size_t i = 0; i < nt; i++)
    for (int k = 0; k < 3; k++) {
      long long v = k == 0 ? (long long)t[i].heap_bytes : k == 1 ? (long long)t[i].rss_bytes
                                                                 : (long long)t[i].vm_bytes;
      fprintf(out, ",\n{\"ph\": \"C\", \"pid\": %d, \"tid\": 0, \"ts\": %llu, \"name\": \"%s\", "
                   "\"args\": {\"bytes\": %lld}}",
              c.pid, (unsigned long long)t[i].t_ms * 1000, counters[k], v);
    }

  uint64_t prev = 0;
  for (size_t i = 0; i < m->nmarks; i++) {
    const struct hsp_mark *mk = m->marks[i];
    uint64_t at = mk->t_ms < prev ? prev : mk->t_ms;   /* never a negative duration */
    phase(&c, mk->name, prev, at);
    fprintf(out, ",\n{\"ph\": \"i\", \"s\": \"p\", \"pid\": %d, \"tid\": %d, \"ts\": %llu, "
                 "\"cat\": \"checkpoint\", \"name\": ", c.pid, TID_CHECKPOINTS,
            (unsigned long long)at * 1000);
    hs_json_str(out, mk->name);
    fprintf(out, ", \"args\": {\"in_use_bytes\": %llu, \"in_use_blocks\": %llu}}",
            (unsigned long long)mk->in_use_bytes, (unsigned long long)mk->in_use_blocks);
    prev = at;
  }
  phase(&c, "exit", prev, h->duration_ms < prev ? prev : h->duration_ms);

  int rc = trace_events(&c);
  fputs("\n]}\n", out);
  for (size_t i = 0; i < c.nsites; i++) free(c.name[i]), free(c.stack[i]);
  free(c.name);
  free(c.stack);
  hs_map_free(&c.sites);
  return rc;
}
