/*
 * report_sarif.c: `--format sarif`: the report as a SARIF 2.1.0 log
 * (OASIS Static Analysis Results Interchange Format), for GitHub code
 * scanning (upload-sarif), GitLab and SARIF viewers.
 *
 * One result per heap or lock error (the JSON report's errors[]) and per
 * lost leak site; the rule id is the SPEC's kind name ("use_after_free",
 * "definitely_lost"), every kind a rule of tool.driver.rules in one fixed
 * order, so a ruleIndex means the same in every log. A result's location
 * is the first frame of the user's code that has a source line; a file
 * path that is relative (as the compiler recorded it) or under the source
 * root (--srcroot, else the current folder) is written relative to the
 * SRCROOT base of originalUriBaseIds, others as absolute file: URIs.
 * A frame without line information is located in its binary (no region).
 * The allocation, free and access stacks are one codeFlow, events in time
 * order, each a threadFlowLocation with the whole stack; relatedLocations
 * repeat the user's frame of the allocation and free. partialFingerprints
 * hash the kind, family and function names of the stacks (never
 * addresses, pids or line numbers) plus an occurrence number, so a result
 * keeps its fingerprint across runs and unrelated edits.
 *
 * Formats what the model holds; must never write anything but one JSON
 * document, or a region without a startLine >= 1 (SARIF 2.1.0's errata
 * requires one of its start properties).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze/model_locks.h"
#include "analyze/report.h"
#include "common/hash.h"
#include "common/util.h"
#include "common/version.h"

#define MAX_FRAMES 512

static const struct rule {
  const char *id;         /* hs_error_kind_name / hs_kind_name */
  const char *level;
  const char *text;
} rules[] = {
  { "use_after_free", "error", "Access to a freed heap block" },
  { "double_free", "error", "A heap block freed twice" },
  { "invalid_free", "error", "Free of a pointer that is not the start of a heap block" },
  { "heap_overflow", "error", "Write past the end of a heap block" },
  { "heap_underflow", "error", "Write before the start of a heap block" },
  { "mismatched_free", "error", "A block freed by another allocator family than the one that allocated it" },
  { "bad_access", "error", "Fatal access to a heap block" },
  { "lock_relock_deadlock", "error", "A non-recursive lock taken again by the thread that holds it" },
  { "lock_unlock_not_held", "error", "A lock released by a thread that does not hold it" },
  { "lock_destroy_held", "error", "A lock destroyed while held" },
  { "definitely_lost", "warning", "Heap memory lost: no pointer to it is left" },
  { "indirectly_lost", "warning", "Heap memory lost: reachable only from lost blocks" },
  { "possibly_lost", "warning", "Heap memory possibly lost: only pointers into its middle are left" },
};
#define NRULES (sizeof rules / sizeof *rules)

struct sarif {
  FILE *out;
  struct hs_model *m;
  const char *root;        /* absolute, no trailing '/' */
  size_t max_frames;
  uint64_t *seen;          /* fingerprints so far, for occurrence numbers */
  size_t nseen;
};

static size_t rule_index(const char *id) {
  for (size_t i = 0; i < NRULES; i++)
    if (!strcmp(rules[i].id, id)) return i;
  return NRULES;
}

/* A URI reference of a path: RFC 3986's unreserved characters and '/'
 * as they are, every other byte percent-encoded (so it is also a JSON
 * string without escapes). */
static void uri_path(FILE *out, const char *p) {
  for (const unsigned char *c = (const unsigned char *)p; *c; c++) {
    if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
        strchr("-._~/", *c))
      fputc(*c, out);
    else
      fprintf(out, "%%%02X", *c);
  }
}

static void artifact(const struct sarif *s, const char *file) {
  size_t n = strlen(s->root);
  fputs("\"artifactLocation\": {\"uri\": \"", s->out);
  if (file[0] != '/') {
    uri_path(s->out, file[0] == '.' && file[1] == '/' ? file + 2 : file);
    fputs("\", \"uriBaseId\": \"SRCROOT\"}", s->out);
  } else if (!strncmp(file, s->root, n) && file[n] == '/' && file[n + 1]) {
    uri_path(s->out, file + n + 1);
    fputs("\", \"uriBaseId\": \"SRCROOT\"}", s->out);
  } else {
    fputs("file://", s->out);
    uri_path(s->out, file);
    fputs("\"}", s->out);
  }
}

/* A location object for one frame: the source line when the frame is
 * not the runtime's (a libc frame's "../sysdeps/..." is no file of the
 * user's tree), and the function as a logical location. */
static void location(const struct sarif *s, const struct hs_frame *f, const char *msg, int id) {
  FILE *out = s->out;
  const char *sep = id ? ", " : "";
  fputc('{', out);
  if (id) fprintf(out, "\"id\": %d", id);
  const char *module = NULL;
  for (size_t i = 0; !f->file && f->pc && i < s->m->nmods; i++)
    if (f->pc >= s->m->mods[i].start && f->pc < s->m->mods[i].end) module = s->m->mods[i].path;
  if (f->file && !hs_frame_is_runtime(f)) {
    fprintf(out, "%s\"physicalLocation\": {", sep);
    artifact(s, f->file);
    if (f->line > 0) fprintf(out, ", \"region\": {\"startLine\": %d}", f->line);
    fputc('}', out);
    sep = ", ";
  } else if (module && module[0] == '/' && !hs_frame_is_runtime(f)) {
    /* no line information: the binary, so the result still has a file */
    fprintf(out, "%s\"physicalLocation\": {", sep);
    artifact(s, module);
    fputc('}', out);
    sep = ", ";
  }
  if (f->function) {
    fprintf(out, "%s\"logicalLocations\": [{\"fullyQualifiedName\": ", sep);
    hs_json_str(out, f->function);
    fputs(", \"kind\": \"function\"}]", out);
    sep = ", ";
  }
  if (msg) {
    fprintf(out, "%s\"message\": {\"text\": ", sep);
    hs_json_str(out, msg);
    fputc('}', out);
  }
  fputc('}', out);
}

/* A stack object: frames innermost first, each with its module. */
static void stack(const struct sarif *s, uint32_t id, const char *msg) {
  struct hs_frame f[MAX_FRAMES];
  size_t n = hs_model_frames(s->m, id, f, MAX_FRAMES);
  if (s->max_frames && n > s->max_frames) n = s->max_frames;
  fputs("{\"message\": {\"text\": ", s->out);
  hs_json_str(s->out, msg);
  fputs("}, \"frames\": [", s->out);
  for (size_t i = 0; i < n; i++) {
    fputs(i ? ", {\"location\": " : "{\"location\": ", s->out);
    location(s, &f[i], NULL, 0);
    if (f[i].module) {
      fputs(", \"module\": ", s->out);
      hs_json_str(s->out, f[i].module);
    }
    fputc('}', s->out);
  }
  fputs("]}", s->out);
}

/* One event of a result's code flow: the user's frame, the whole stack. */
struct event { uint32_t stack; const char *what, *kinds; };

static void code_flow(const struct sarif *s, const struct event *ev, size_t n) {
  fputs(",\n     \"codeFlows\": [{\"threadFlows\": [{\"locations\": [", s->out);
  const char *sep = "";
  for (size_t i = 0; i < n; i++) {
    struct hs_frame f;
    if (!ev[i].stack) continue;
    if (!hs_user_frame(s->m, ev[i].stack, &f)) f = (struct hs_frame){ .function = "??" };
    fprintf(s->out, "%s\n       {\"location\": ", sep);
    location(s, &f, ev[i].what, 0);
    fprintf(s->out, ", \"kinds\": %s, \"stack\": ", ev[i].kinds);
    stack(s, ev[i].stack, ev[i].what);
    fputc('}', s->out);
    sep = ",";
  }
  fputs("]}]}]", s->out);
}

/* Fingerprint material of a stack: its function (or module) names. */
static uint64_t hash_stack(struct hs_model *m, uint32_t id, uint64_t h) {
  struct hs_frame f[MAX_FRAMES];
  size_t n = hs_model_frames(m, id, f, MAX_FRAMES);
  for (size_t i = 0; i < n; i++) {
    const char *name = f[i].function ? f[i].function : f[i].module ? f[i].module : "?";
    for (const char *c = name; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ull;
    h = (h ^ '|') * 1099511628211ull;
  }
  return h;
}

static void fingerprint(struct sarif *s, uint64_t h) {
  size_t occurrence = 1;
  for (size_t i = 0; i < s->nseen; i++) occurrence += s->seen[i] == h;
  s->seen[s->nseen++] = h;
  fprintf(s->out, ",\n     \"partialFingerprints\": {\"heapspyStack/v1\": \"%016llx:%zu\"}",
          (unsigned long long)h, occurrence);
}

/* ruleId, ruleIndex, level, message, locations (the user's frame). */
static void result_head(const struct sarif *s, const char *kind, const char *text,
                        const struct hs_frame *where) {
  size_t r = rule_index(kind);
  fputs("\n    {\"ruleId\": ", s->out);
  hs_json_str(s->out, kind);
  if (r < NRULES) fprintf(s->out, ", \"ruleIndex\": %zu, \"level\": \"%s\"", r, rules[r].level);
  fputs(",\n     \"message\": {\"text\": ", s->out);
  hs_json_str(s->out, text);
  fputs("},\n     \"locations\": [", s->out);
  if (where) location(s, where, NULL, 0);
  fputc(']', s->out);
}

static void suppressed(const struct sarif *s, const char *by) {
  if (!by) return;
  fputs(",\n     \"suppressions\": [{\"kind\": \"external\", \"justification\": ", s->out);
  char buf[300];
  snprintf(buf, sizeof buf, "heapspy suppression \"%s\"", by);
  hs_json_str(s->out, buf);
  fputs("}]", s->out);
}

static void related(const struct sarif *s, const struct event *ev, size_t n) {
  fputs(",\n     \"relatedLocations\": [", s->out);
  int id = 0;
  for (size_t i = 0; i < n; i++) {
    struct hs_frame f;
    if (!ev[i].stack || !hs_user_frame(s->m, ev[i].stack, &f)) continue;
    fputs(id ? ", " : "", s->out);
    location(s, &f, ev[i].what, ++id);
  }
  fputc(']', s->out);
}

static void error_result(struct sarif *s, const struct hs_error *x) {
  const struct hsp_error *e = x->e;
  struct hs_model *m = s->m;
  const char *kind = hs_error_kind_name(e->kind);
  int heap = e->kind >= HSP_ERR_USE_AFTER_FREE;
  char *text = NULL;
  size_t len = 0;
  FILE *t = open_memstream(&text, &len);
  if (!t) hs_die(1, "out of memory");
  fprintf(t, "%s on address 0x%llx (thread %d", kind,
          (unsigned long long)(heap ? hs_error_address(e) : e->address), e->tid);
  if (e->count > 1) fprintf(t, ", %llu times", (unsigned long long)e->count);
  fputs("): ", t);
  if (heap) {
    if (e->signal)
      fprintf(t, "%s at 0x%llx (signal %u). ", hs_access_name(e->access),
              (unsigned long long)e->fault_addr, e->signal);
    hs_error_where(t, m, e);
  } else {
    fputs(rules[rule_index(kind) < NRULES ? rule_index(kind) : 0].text, t);
  }
  fclose(t);
  for (char *c = text; *c; c++)
    if (*c == '\n') *c = c[1] ? ' ' : 0;
  struct hs_frame where;
  int have = hs_user_frame(m, e->stack, &where) ||
             (e->related_stack && hs_user_frame(m, e->related_stack, &where)) ||
             (e->alloc_stack && hs_user_frame(m, e->alloc_stack, &where));
  result_head(s, kind, text, have ? &where : NULL);
  free(text);
  /* time order: allocated, freed, then the access that found it; a lock:
   * acquired, then the misuse */
  struct event ev[3];
  size_t n = 0;
  if (heap) {
    ev[n++] = (struct event){ e->alloc_stack, "allocated here", "[\"acquire\", \"memory\"]" };
    ev[n++] = (struct event){ e->related_stack, "freed here", "[\"release\", \"memory\"]" };
  } else {
    ev[n++] = (struct event){ e->related_stack, "lock acquired here", "[\"acquire\", \"lock\"]" };
  }
  ev[n++] = (struct event){ e->stack, heap && e->signal ? "faulting access here" : "detected here",
                            heap ? "[\"memory\", \"danger\"]" : "[\"lock\", \"danger\"]" };
  related(s, ev, n - 1);
  code_flow(s, ev, n);
  uint64_t h = hs_hash_str(kind);
  for (size_t i = 0; i < n; i++) h = hash_stack(m, ev[i].stack, (h ^ i) * 1099511628211ull);
  fingerprint(s, h);
  suppressed(s, x->suppressed);
  fprintf(s->out, ",\n     \"properties\": {\"address\": \"0x%llx\", \"size\": %llu, "
                  "\"tid\": %d, \"t_ms\": %llu, \"count\": %llu}}",
          (unsigned long long)e->address, (unsigned long long)e->size, e->tid,
          (unsigned long long)e->t_ms, (unsigned long long)e->count);
}

static void leak_result(struct sarif *s, const struct hs_group *g) {
  struct hs_model *m = s->m;
  const char *kind = hs_kind_name(g->kind), *family = hs_family_name(m, g->family);
  struct hs_frame where;
  int have = hs_user_frame(m, g->stack, &where);
  char text[400], b1[32], b2[32];
  snprintf(text, sizeof text, "%s bytes in %s block%s %s %s (%s)%s%s", hs_commas(g->bytes, b1),
           hs_commas(g->blocks, b2), g->blocks == 1 ? "" : "s", g->blocks == 1 ? "is" : "are",
           hs_kind_phrase(g->kind), family, have && where.function ? ", allocated in " : "",
           have && where.function ? where.function : "");
  result_head(s, kind, text, have ? &where : NULL);
  struct event ev = { g->stack, "allocated here", "[\"acquire\", \"memory\"]" };
  code_flow(s, &ev, 1);
  uint64_t h = hash_stack(m, g->stack, hs_hash_str(kind) ^ hs_hash_str(family));
  fingerprint(s, h);
  suppressed(s, g->suppressed);
  fprintf(s->out, ",\n     \"properties\": {\"bytes\": %llu, \"blocks\": %llu, \"family\": ",
          (unsigned long long)g->bytes, (unsigned long long)g->blocks);
  hs_json_str(s->out, family);
  fprintf(s->out, ", \"first_alloc_ms\": %u}}", g->first_ms);
}

static void invocation(FILE *out, const struct hs_model *m) {
  const struct hsp_header *h = m->prof.hdr;
  fputs(",\n  \"invocations\": [{\"executionSuccessful\": true, \"commandLine\": ", out);
  hs_json_str(out, h->cmdline[0] ? h->cmdline : h->program);
  if (h->flags & HSP_FLAG_EXIT_KNOWN) {
    if (h->exit_signal) fprintf(out, ", \"exitSignalNumber\": %d", h->exit_signal);
    else fprintf(out, ", \"exitCode\": %d", h->exit_code);
  }
  time_t sec = (time_t)(h->start_unix_ns / 1000000000ull);
  struct tm tm;
  char when[32];
  if (h->start_unix_ns && gmtime_r(&sec, &tm) && strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm))
    fprintf(out, ", \"startTimeUtc\": \"%s.%03uZ\"", when,
            (unsigned)(h->start_unix_ns / 1000000ull % 1000));
  fprintf(out, ", \"properties\": {\"pid\": %d, \"duration_ms\": %llu}}]", h->pid,
          (unsigned long long)h->duration_ms);
}

int hs_report_sarif(FILE *out, struct hs_model *m, const struct hs_report_opts *o,
                    const char *srcroot) {
  char *root = realpath(srcroot ? srcroot : ".", NULL);
  if (!root) return hs_error("--srcroot %s: %m", srcroot ? srcroot : ".");
  if (!strcmp(root, "/")) root[0] = 0;
  struct sarif s = { out, m, root, o->max_frames, NULL, 0 };
  s.seen = hs_xcalloc(m->nerrors + m->ngroups + 1, sizeof *s.seen);
  fputs("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
        "  \"version\": \"2.1.0\",\n  \"runs\": [{\n  \"tool\": {\"driver\": {\"name\": \"heapspy\", "
        "\"version\": \"" HS_VERSION "\", \"semanticVersion\": \"" HS_VERSION "\",\n"
        "    \"rules\": [", out);
  for (size_t i = 0; i < NRULES; i++) {
    fprintf(out, "%s\n      {\"id\": \"%s\", \"name\": \"%s\", \"shortDescription\": {\"text\": ",
            i ? "," : "", rules[i].id, rules[i].id);
    hs_json_str(out, rules[i].text);
    /* the table's order: heap errors, lock errors, leaks */
    fprintf(out, "}, \"defaultConfiguration\": {\"level\": \"%s\"}, "
                 "\"properties\": {\"tags\": [%s]}}",
            rules[i].level, i < 7 ? "\"memory\", \"correctness\"" : i < 10 ? "\"concurrency\""
                                                                   : "\"memory\", \"leak\"");
  }
  fputs("]}},\n  \"originalUriBaseIds\": {\"SRCROOT\": {\"uri\": \"file://", out);
  uri_path(out, root);
  fputs("/\"}}", out);
  invocation(out, m);
  fputs(",\n  \"results\": [", out);
  const char *sep = "";
  for (size_t i = 0; i < m->nerrors; i++) {
    fputs(sep, out);
    error_result(&s, &m->errors[i]);
    sep = ",";
  }
  for (size_t i = 0; i < m->ngroups; i++) {
    if (!hs_kind_lost(m->groups[i].kind)) continue;
    fputs(sep, out);
    leak_result(&s, &m->groups[i]);
    sep = ",";
  }
  fputs("]\n  }]\n}\n", out);
  free(s.seen);
  free(root);
  return 0;
}
