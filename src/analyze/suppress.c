/*
 * suppress.c: loading, matching and writing valgrind-style suppressions
 * of leaks and of errors (see suppress.h for the syntax and the mapping of
 * memcheck's kinds). Other tools' entries (Memcheck:Cond, Helgrind:Race...)
 * are read and ignored, never an error.
 *
 * Must never: hide a suppressed leak or error from the counts: matching
 * only marks groups and errors, the renderers count them as suppressed.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/model_locks.h"
#include "analyze/suppress.h"
#include "common/hs_assert.h"
#include "common/util.h"

#define MAX_FRAMES 512

enum { PAT_FUN, PAT_OBJ, PAT_ANY, PAT_SRC, PAT_LSAN };

struct pattern { int type; char *glob; };

enum { FOR_NONE, FOR_LEAK, FOR_ERROR };

#define ERR_BIT(k) (1u << ((k) & 31))
#define FREE_KINDS (ERR_BIT(HSP_ERR_DOUBLE_FREE) | ERR_BIT(HSP_ERR_INVALID_FREE) | \
                    ERR_BIT(HSP_ERR_MISMATCHED_FREE))
#define ADDR_KINDS (ERR_BIT(HSP_ERR_USE_AFTER_FREE) | ERR_BIT(HSP_ERR_HEAP_OVERFLOW) | \
                    ERR_BIT(HSP_ERR_HEAP_UNDERFLOW))
#define ERR_KIND_MAX 31          /* HSP_ERR_* values fit one bit each */

struct supp {
  char *name;
  int target;              /* FOR_LEAK or FOR_ERROR */
  unsigned kinds;          /* leaks: bit per HSP_LEAK_* kind, 0 = all; errors: ERR_BIT()s */
  struct pattern *pats;
  size_t npats;
};

struct hs_suppressions { struct supp *v; size_t n; };

/* Frees what an entry owns and leaves it empty. */
static void supp_clear(struct supp *e) {
  free(e->name);
  for (size_t i = 0; i < e->npats; i++) free(e->pats[i].glob);
  free(e->pats);
  memset(e, 0, sizeof *e);
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  char *e = s + strlen(s);
  while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
  return s;
}

int hs_leak_kinds_parse(const char *list, unsigned *mask) {
  unsigned k = 0;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", list);
  char *save = NULL;
  for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
    if (!strcmp(t, "definite")) k |= 1u << HSP_LEAK_DEFINITE;
    else if (!strcmp(t, "indirect")) k |= 1u << HSP_LEAK_INDIRECT;
    else if (!strcmp(t, "possible")) k |= 1u << HSP_LEAK_POSSIBLE;
    else if (!strcmp(t, "reachable")) k |= 1u << HSP_LEAK_REACHABLE;
    else if (!strcmp(t, "all")) k |= HS_KINDS_ALL;
    else if (strcmp(t, "none")) return -1;
  }
  *mask = k;
  return 0;
}

/* The second line of an entry: what it suppresses. Memcheck's kinds map
 * onto heapspy's (suppress.h); other tools' kinds are ignored (FOR_NONE);
 * an unknown heapspy: kind is an error (-1). */
static int tool_kind(const char *line, int *target, unsigned *kinds) {
  *target = FOR_NONE;
  *kinds = 0;
  /* valgrind's tool lists, "Memcheck,Helgrind:Leak": ours when one of
   * the tools is Memcheck (or heapspy) */
  char buf[256];
  const char *t = line, *colon = strchr(line, ':');
  if (colon && memchr(line, ',', (size_t)(colon - line))) {
    const char *tool = NULL;
    for (const char *p = line; p < colon;) {
      const char *e = memchr(p, ',', (size_t)(colon - p));
      if (!e) e = colon;
      if ((e - p == 8 && !strncmp(p, "Memcheck", 8)) || (e - p == 7 && !strncmp(p, "heapspy", 7))) tool = p;
      p = e + 1;
    }
    if (!tool) return 0;               /* other tools' entry */
    snprintf(buf, sizeof buf, "%.*s%s", (int)(strchr(tool, ',') && strchr(tool, ',') < colon
                                                 ? strchr(tool, ',') - tool : colon - tool), tool, colon);
    t = buf;
  }
  if (!strcmp(t, "Memcheck:Leak") || !strcmp(t, "heapspy:Leak")) {
    *target = FOR_LEAK;
    *kinds = HS_KINDS_ALL;             /* until a match-leak-kinds line says otherwise */
    return 0;
  }
  if (!strcmp(t, "Memcheck:Free")) *kinds = FREE_KINDS;
  else if (!strncmp(t, "Memcheck:Addr", 13) && strspn(t + 13, "0123456789") == strlen(t + 13) &&
           t[13])
    *kinds = ADDR_KINDS;               /* --check does not know the access size */
  else if (!strncmp(t, "heapspy:", 8)) {
    for (unsigned k = 1; k <= ERR_KIND_MAX && !*kinds; k++)
      if (strcmp(hs_error_kind_name(k), "unknown") && !strcmp(t + 8, hs_error_kind_name(k)))
        *kinds = ERR_BIT(k);
    if (!*kinds) return -1;
  }
  if (*kinds) *target = FOR_ERROR;
  return 0;
}

/* The next line of a suppression file into line[cap]: 1, or 0 at the
 * end, or -1 with err set when the file is not text (a NUL byte: /dev/zero,
 * /dev/full, a binary) or absurdly long, so no input reads forever. */
#define MAX_LINES 10000000
static int next_line(FILE *f, char *line, size_t cap, int *lineno, const char *path, char *err,
                     size_t errlen) {
  if (!fgets(line, (int)cap, f)) return 0;
  ++*lineno;
  size_t n = strlen(line);
  /* fgets stops only at a newline, the end or a full buffer: a shorter
   * line without its newline was cut by a NUL */
  if (!n || (n + 1 < cap && line[n - 1] != '\n' && !feof(f))) {
    snprintf(err, errlen, "%s:%d: a NUL byte: not a suppression file", path, *lineno);
    return -1;
  }
  if (*lineno > MAX_LINES) {
    snprintf(err, errlen, "%s: more than %d lines: not a suppression file", path, MAX_LINES);
    return -1;
  }
  return 1;
}

/* LeakSanitizer's suppression files: "leak:PATTERN" lines (# comments);
 * a pattern matches a stack when any frame's function, module or source
 * file contains it (* wildcards; ^ and $ anchor it). Other sanitizers'
 * lines (race:, called_from_lib:...) are ignored. */
static struct hs_suppressions *load_lsan(FILE *f, const char *path, char *err, size_t errlen) {
  struct hs_suppressions *s = hs_xcalloc(1, sizeof *s);
  char line[4096];
  int lineno = 0, got;
  while ((got = next_line(f, line, sizeof line, &lineno, path, err, errlen)) > 0) {
    char *t = trim(line);
    if (!*t || *t == '#') continue;
    char *colon = strchr(t, ':');
    if (!colon || colon == t) {
      snprintf(err, errlen, "%s:%d: expected TYPE:PATTERN (LeakSanitizer's leak:PATTERN)", path, lineno);
      hs_suppressions_free(s);
      fclose(f);
      return NULL;
    }
    if (strncmp(t, "leak:", 5) || !t[5]) continue;
    const char *pat = t + 5;
    size_t n = strlen(pat);
    int head = pat[0] == '^', tail = n > 1 && pat[n - 1] == '$';
    char *glob = hs_xmalloc(n + 3);
    snprintf(glob, n + 3, "%s%.*s%s", head ? "" : "*", (int)(n - (size_t)head - (size_t)tail), pat + head,
             tail ? "" : "*");
    struct supp e = { .name = hs_xstrdup(t), .target = FOR_LEAK, .kinds = HS_KINDS_ALL,
                      .pats = hs_xmalloc(sizeof *e.pats), .npats = 1 };
    e.pats[0] = (struct pattern){ PAT_LSAN, glob };
    s->v = hs_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = e;
  }
  fclose(f);
  if (got < 0) {
    hs_suppressions_free(s);
    return NULL;
  }
  return s;
}

/* The file's text, parsed: f is a stream over the whole of it in memory
 * (closed here), so it can be read twice whatever it came from. */
static struct hs_suppressions *parse(FILE *f, const char *path, char *err, size_t errlen) {
  {                                    /* LSan's format: a first line "leak:..." says so */
    char first[4096];
    int n = 0, got;
    while ((got = next_line(f, first, sizeof first, &n, path, err, errlen)) > 0) {
      char *t = trim(first);
      if (!*t || *t == '#') continue;
      if (!strncmp(t, "leak:", 5)) { rewind(f); return load_lsan(f, path, err, errlen); }
      break;                           /* anything else is memcheck's format, or an error there */
    }
    if (got < 0) {
      fclose(f);
      return NULL;
    }
    rewind(f);
  }
  struct hs_suppressions *s = hs_xcalloc(1, sizeof *s);
  char line[4096];
  int lineno = 0, depth = 0, field = 0, target = FOR_NONE, got;
  struct supp cur = { 0 };
  while ((got = next_line(f, line, sizeof line, &lineno, path, err, errlen)) > 0) {
    char *t = trim(line);
    if (!*t || *t == '#') continue;
    if (!depth) {
      if (strcmp(t, "{")) {
        snprintf(err, errlen, "%s:%d: expected '{' to open a suppression", path, lineno);
        goto fail;
      }
      depth = 1;
      field = 0;
      target = FOR_NONE;
      memset(&cur, 0, sizeof cur);
      continue;
    }
    if (!strcmp(t, "}")) {
      if (field < 2) {
        snprintf(err, errlen, "%s:%d: suppression without a name and a kind", path, lineno);
        goto fail;
      }
      if (target != FOR_NONE) {
        cur.target = target;
        s->v = hs_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
        s->v[s->n++] = cur;
        memset(&cur, 0, sizeof cur);   /* s owns it now */
      } else {
        supp_clear(&cur);
      }
      depth = 0;
      continue;
    }
    if (field == 0) { cur.name = hs_xstrdup(t); field++; continue; }
    if (field == 1) {
      if (tool_kind(t, &target, &cur.kinds) < 0) {
        snprintf(err, errlen, "%s:%d: unknown kind '%s' (heapspy:Leak or heapspy:KIND with an "
                 "errors[].kind such as heapspy:use_after_free)", path, lineno, t);
        goto fail;
      }
      field++;
      continue;
    }
    field++;
    if (!strncmp(t, "match-leak-kinds:", 17) && target == FOR_LEAK) {
      if (hs_leak_kinds_parse(t + 17, &cur.kinds) < 0) {
        snprintf(err, errlen, "%s:%d: bad match-leak-kinds (use definite,indirect,possible,reachable,all)",
                 path, lineno);
        goto fail;
      }
      continue;
    }
    struct pattern p;
    if (!strcmp(t, "...")) p = (struct pattern){ PAT_ANY, NULL };
    else if (!strncmp(t, "fun:", 4)) p = (struct pattern){ PAT_FUN, hs_xstrdup(t + 4) };
    else if (!strncmp(t, "obj:", 4)) p = (struct pattern){ PAT_OBJ, hs_xstrdup(t + 4) };
    else if (!strncmp(t, "src:", 4)) p = (struct pattern){ PAT_SRC, hs_xstrdup(t + 4) };  /* a frame, as valgrind 3.19+ */
    else if (target != FOR_NONE) {
      snprintf(err, errlen, "%s:%d: unknown frame line '%s' (expected fun:, obj: or ...)",
               path, lineno, t);
      goto fail;
    } else continue;
    cur.pats = hs_xrealloc(cur.pats, (cur.npats + 1) * sizeof *cur.pats);
    cur.pats[cur.npats++] = p;
  }
  if (got < 0) goto fail;
  fclose(f);
  if (depth) {
    snprintf(err, errlen, "%s: the last suppression is not closed with '}'", path);
    supp_clear(&cur);
    hs_suppressions_free(s);
    return NULL;
  }
  return s;
fail:
  fclose(f);
  supp_clear(&cur);                    /* only the entry being read: s owns the others */
  hs_suppressions_free(s);
  return NULL;
}

/* Read whole first: a pipe (--suppressions=<(...)) cannot be rewound,
 * and a device such as /dev/zero never ends. */
#define MAX_FILE (64u << 20)
struct hs_suppressions *hs_suppressions_load(const char *path, char *err, size_t errlen) {
  FILE *raw = fopen(path, "r");
  if (!raw) {
    snprintf(err, errlen, "cannot read suppressions %s: %m", path);
    return NULL;
  }
  size_t n = 0, cap = 65536;
  char *buf = hs_xmalloc(cap);
  for (size_t got; (got = fread(buf + n, 1, cap - n, raw)) > 0;) {
    n += got;
    if (n > MAX_FILE) break;
    if (n == cap) buf = hs_xrealloc(buf, cap *= 2);
  }
  int bad = ferror(raw);
  fclose(raw);
  if (bad || n > MAX_FILE) {
    if (bad) snprintf(err, errlen, "cannot read suppressions %s: %m", path);
    else snprintf(err, errlen, "%s: larger than %u MB: not a suppression file", path, MAX_FILE >> 20);
    free(buf);
    return NULL;
  }
  FILE *f = n ? fmemopen(buf, n, "r") : NULL;
  struct hs_suppressions *s = f ? parse(f, path, err, errlen) : hs_xcalloc(1, sizeof *s);
  free(buf);
  return s;
}

void hs_suppressions_free(struct hs_suppressions *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) supp_clear(&s->v[i]);
  free(s->v);
  free(s);
}

/* Allocation and release functions: heapspy's stacks start at their
 * caller, memcheck's at the function itself. */
static int is_allocator(const char *glob) {
  static const char *const names[] = { "malloc", "calloc", "realloc", "reallocarray", "memalign",
    "posix_memalign", "aligned_alloc", "valloc", "pvalloc", "_Znwm", "_Znam",
    "operator new*", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t", "_ZnwmSt11align_val_t",
    "_ZnamSt11align_val_t", "strdup", "strndup", "free", "cfree", "_ZdlPv", "_ZdaPv", "_ZdlPvm",
    "_ZdaPvm", "_ZdlPvSt11align_val_t", "_ZdaPvSt11align_val_t", "operator delete*", NULL };
  for (int i = 0; names[i]; i++)
    if (!fnmatch(glob, names[i], 0)) return 1;
  return 0;
}

/* The module's recorded path for a frame's basename, for obj: globs. */
static const char *module_path(struct hs_model *m, const char *base) {
  for (size_t i = 0; base && i < m->nmods; i++) {
    const char *slash = strrchr(m->mods[i].path, '/');
    if (!strcmp(slash ? slash + 1 : m->mods[i].path, base)) return m->mods[i].path;
  }
  return base;
}

/* src:FILE or src:FILE:LINE against a frame's source file (its name, or
 * its path) and line. */
static int src_matches(const char *glob, const struct hs_frame *f) {
  if (!f->file) return 0;
  char pat[1024];
  snprintf(pat, sizeof pat, "%s", glob);
  int line = 0;
  char *colon = strrchr(pat, ':');
  if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
    line = atoi(colon + 1);
    *colon = 0;
  }
  const char *base = strrchr(f->file, '/') ? strrchr(f->file, '/') + 1 : f->file;
  return (!fnmatch(pat, base, 0) || !fnmatch(pat, f->file, 0)) && (!line || line == f->line);
}

static int frame_matches(struct hs_model *m, const struct pattern *p, const struct hs_frame *f) {
  /* fun: valgrind writes linkage (mangled) names; a demangled pattern
   * matches the demangled name */
  if (p->type == PAT_FUN)
    return (f->mangled && !fnmatch(p->glob, f->mangled, 0)) ||
           (f->function && !fnmatch(p->glob, f->function, 0));
  if (p->type == PAT_SRC) return src_matches(p->glob, f);
  const char *path = module_path(m, f->module);
  return path && (!fnmatch(p->glob, path, 0) || (f->module && !fnmatch(p->glob, f->module, 0)));
}

/* Patterns [first..) against the frames, as a prefix: "..." matches any
 * run of frames. reach[pi * (nf + 1) + fi] says patterns [first, pi) can
 * consume frames [0, fi): one pass over patterns and frames, so a file of
 * many "..." lines costs npats * nf steps, not a search of every split. */
static int match_from(struct hs_model *m, const struct supp *s, size_t first,
                      const struct hs_frame *f, size_t nf) {
  size_t w = nf + 1;
  unsigned char *reach = hs_xcalloc((s->npats + 1) * w, 1);
  reach[first * w] = 1;
  for (size_t pi = first; pi < s->npats; pi++) {
    unsigned char *row = reach + pi * w, *next = row + w;
    for (size_t fi = 0; fi <= nf; fi++) {
      if (!row[fi]) continue;
      if (s->pats[pi].type == PAT_ANY) {
        memset(next + fi, 1, w - fi);
        break;                         /* every later frame is reached already */
      }
      if (fi < nf && frame_matches(m, &s->pats[pi], &f[fi])) next[fi + 1] = 1;
    }
  }
  int any = memchr(reach + s->npats * w, 1, w) != NULL;  /* all patterns consumed */
  free(reach);
  return any;
}

static int lsan_matches(struct hs_model *m, const char *glob, const struct hs_frame *f) {
  const char *path = module_path(m, f->module);
  return (f->function && !fnmatch(glob, f->function, 0)) || (f->mangled && !fnmatch(glob, f->mangled, 0)) ||
         (path && !fnmatch(glob, path, 0)) || (f->file && !fnmatch(glob, f->file, 0));
}

static int stack_matches(struct hs_model *m, const struct supp *s, uint32_t stack) {
  struct hs_frame f[MAX_FRAMES];
  size_t nf = hs_model_frames(m, stack, f, MAX_FRAMES);
  if (s->npats == 1 && s->pats[0].type == PAT_LSAN) {
    for (size_t i = 0; i < nf; i++)
      if (lsan_matches(m, s->pats[0].glob, &f[i])) return 1;
    return 0;
  }
  size_t first = 0;                    /* the allocator call heapspy does not record */
  if (s->npats && s->pats[0].type == PAT_FUN && is_allocator(s->pats[0].glob)) first = 1;
  return match_from(m, s, first, f, nf);
}

static int supp_matches(struct hs_model *m, const struct supp *s, const struct hs_group *g) {
  if (s->target != FOR_LEAK || !(s->kinds & (1u << g->kind))) return 0;
  return stack_matches(m, s, g->stack);
}

/* An error's frames: where it was detected, else the block's free stack,
 * else its allocation stack (--check finds some errors late, at a free or
 * at exit, where the detection stack says little). */
static int supp_matches_error(struct hs_model *m, const struct supp *s, const struct hsp_error *e) {
  if (s->target != FOR_ERROR || e->kind > ERR_KIND_MAX || !(s->kinds & ERR_BIT(e->kind))) return 0;
  int heap = e->kind >= HSP_ERR_USE_AFTER_FREE;
  return stack_matches(m, s, e->stack) || (heap && e->related_stack && stack_matches(m, s, e->related_stack)) ||
         (e->alloc_stack && stack_matches(m, s, e->alloc_stack));
}

void hs_suppressions_apply(struct hs_suppressions *s, struct hs_model *m) {
  for (size_t i = 0; s && i < m->ngroups; i++) {
    struct hs_group *g = &m->groups[i];
    if (g->kind == HSP_LEAK_UNCLASSIFIED || g->suppressed) continue;
    for (size_t k = 0; k < s->n && !g->suppressed; k++)
      if (supp_matches(m, &s->v[k], g)) {
        g->suppressed = hs_xstrdup(s->v[k].name);  /* outlives the file's entries */
        g->supp_entry = m->supp_entries + (uint32_t)k + 1;
      }
    if (g->suppressed) {
      /* the group's bytes are part of its kind's total */
      HS_ASSERT(g->kind <= HSP_LEAK_REACHABLE && m->kinds[g->kind].bytes >= g->bytes &&
                m->kinds[g->kind].blocks >= g->blocks);
      m->suppressed_bytes += g->bytes;
      m->suppressed_blocks += g->blocks;
      m->kinds[g->kind].bytes -= g->bytes;
      m->kinds[g->kind].blocks -= g->blocks;
    }
  }
  for (size_t i = 0; s && i < m->nerrors; i++) {
    struct hs_error *e = &m->errors[i];
    for (size_t k = 0; k < s->n && !e->suppressed; k++)
      if (supp_matches_error(m, &s->v[k], e->e)) {
        e->suppressed = hs_xstrdup(s->v[k].name);
        e->supp_entry = m->supp_entries + (uint32_t)k + 1;
        m->errors_suppressed++;
      }
  }
  if (s) m->supp_entries += (uint32_t)s->n;
}

/* The frames of an entry, and its closing brace. */
/* As valgrind writes them: at most its default 12 frames (the allocator's
 * line included, for a leak) and none below main (valgrind's stacks stop
 * there), so valgrind itself accepts the entry. */
static void write_frames(FILE *out, struct hs_model *m, uint32_t stack, size_t max) {
  struct hs_frame f[MAX_FRAMES];
  size_t nf = hs_model_frames(m, stack, f, MAX_FRAMES);
  for (size_t i = 0; i < nf && i < max; i++) {
    if (i && f[i - 1].function && !strcmp(f[i - 1].function, "main")) break;
    if (f[i].mangled || f[i].function) fprintf(out, "   fun:%s\n", f[i].mangled ? f[i].mangled : f[i].function);
    else fprintf(out, "   obj:%s\n", module_path(m, f[i].module) ? module_path(m, f[i].module) : "*");
  }
  fputs("}\n", out);
}

void hs_suppression_write(FILE *out, struct hs_model *m, const struct hs_group *g, size_t index) {
  static const char *const kinds[] = { "definite", "definite", "indirect", "possible", "reachable" };
  fprintf(out, "{\n   heapspy-leak-%zu\n   Memcheck:Leak\n   match-leak-kinds: %s\n   fun:%s\n",
          index, kinds[HS_ALWAYS(g->kind <= HSP_LEAK_REACHABLE) ? g->kind : 0],
          g->family == HSP_FAM_NEW ? "_Znwm" : g->family == HSP_FAM_NEW_ARRAY ? "_Znam" : "malloc");
  write_frames(out, m, g->stack, 11);
}

void hs_error_suppression_write(FILE *out, struct hs_model *m, const struct hsp_error *e,
                                size_t index) {
  int is_free = e->kind <= ERR_KIND_MAX && (ERR_BIT(e->kind) & FREE_KINDS);
  fprintf(out, "{\n   heapspy-error-%zu\n   %s%s\n", index, is_free ? "Memcheck:Free" : "heapspy:",
          is_free ? "" : hs_error_kind_name(e->kind));
  /* a bad free is found where it happens; an address error by --check at
   * a later free or at exit: its block's allocation names it best */
  write_frames(out, m, is_free || !e->alloc_stack ? e->stack : e->alloc_stack, 12);
}

char *hs_suppression_string(struct hs_model *m, const struct hs_group *g,
                            const struct hsp_error *e, size_t index) {
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  if (!mem) return NULL;
  if (g) hs_suppression_write(mem, m, g, index);
  else if (e) hs_error_suppression_write(mem, m, e, index);
  fclose(mem);
  return text;
}

uint64_t hs_unsuppressed_errors(const struct hs_model *m) {
  return m->nerrors - m->errors_suppressed;
}

uint64_t hs_unsuppressed_blocks(const struct hs_model *m, unsigned kinds) {
  uint64_t n = 0;                      /* kinds[] already excludes suppressed */
  for (unsigned k = HSP_LEAK_DEFINITE; k <= HSP_LEAK_REACHABLE; k++)
    if (kinds & (1u << k)) n += m->kinds[k].blocks;
  return n;
}

void hs_suppressions_use(struct hs_model *m, const char *const *paths, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char err[1200];
    struct hs_suppressions *s = hs_suppressions_load(paths[i], err, sizeof err);
    if (!s) hs_die(HS_EXIT_USAGE, "%s", err);
    hs_suppressions_apply(s, m);
    hs_suppressions_free(s);
  }
}
