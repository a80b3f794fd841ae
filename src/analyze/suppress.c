/*
 * suppress.c: loading, matching and writing valgrind-style leak
 * suppressions (see suppress.h). Other tools' entries (Memcheck:Cond,
 * Helgrind:Race...) are read and ignored, never an error.
 *
 * Must never: hide a suppressed leak from the counts: matching only marks
 * groups, the renderers count them as suppressed.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "suppress.h"
#include "util.h"

#define MAX_FRAMES 512

enum { PAT_FUN, PAT_OBJ, PAT_ANY };

struct pattern { int type; char *glob; };

struct supp {
  char *name;
  unsigned kinds;          /* bit per HSP_LEAK_* kind; 0 = all */
  struct pattern *pats;
  size_t npats;
};

struct hs_suppressions { struct supp *v; size_t n; };

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

struct hs_suppressions *hs_suppressions_load(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "cannot read suppressions %s: %m", path);
    return NULL;
  }
  struct hs_suppressions *s = hs_xcalloc(1, sizeof *s);
  char line[4096];
  int lineno = 0, depth = 0, field = 0, is_leak = 0;
  struct supp cur = { 0 };
  while (fgets(line, sizeof line, f)) {
    lineno++;
    char *t = trim(line);
    if (!*t || *t == '#') continue;
    if (!depth) {
      if (strcmp(t, "{")) {
        snprintf(err, errlen, "%s:%d: expected '{' to open a suppression", path, lineno);
        goto fail;
      }
      depth = 1;
      field = 0;
      is_leak = 0;
      memset(&cur, 0, sizeof cur);
      continue;
    }
    if (!strcmp(t, "}")) {
      if (field < 2) {
        snprintf(err, errlen, "%s:%d: suppression without a name and a kind", path, lineno);
        goto fail;
      }
      if (is_leak) {
        s->v = hs_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
        s->v[s->n++] = cur;
      } else {
        free(cur.name);
        for (size_t i = 0; i < cur.npats; i++) free(cur.pats[i].glob);
        free(cur.pats);
      }
      depth = 0;
      continue;
    }
    if (field == 0) { cur.name = hs_xstrdup(t); field++; continue; }
    if (field == 1) {
      is_leak = !strcmp(t, "Memcheck:Leak") || !strcmp(t, "heapspy:Leak");
      field++;
      continue;
    }
    field++;
    if (!strncmp(t, "match-leak-kinds:", 17)) {
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
    else if (!strncmp(t, "src:", 4)) continue;          /* not used for leaks */
    else if (is_leak) {
      snprintf(err, errlen, "%s:%d: unknown frame line '%s' (expected fun:, obj: or ...)",
               path, lineno, t);
      goto fail;
    } else continue;
    cur.pats = hs_xrealloc(cur.pats, (cur.npats + 1) * sizeof *cur.pats);
    cur.pats[cur.npats++] = p;
  }
  fclose(f);
  if (depth) {
    snprintf(err, errlen, "%s: the last suppression is not closed with '}'", path);
    hs_suppressions_free(s);
    return NULL;
  }
  return s;
fail:
  fclose(f);
  free(cur.name);
  hs_suppressions_free(s);
  return NULL;
}

void hs_suppressions_free(struct hs_suppressions *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n; i++) {
    free(s->v[i].name);
    for (size_t j = 0; j < s->v[i].npats; j++) free(s->v[i].pats[j].glob);
    free(s->v[i].pats);
  }
  free(s->v);
  free(s);
}

static int is_allocator(const char *glob) {
  static const char *const names[] = { "malloc", "calloc", "realloc", "reallocarray", "memalign",
    "posix_memalign", "aligned_alloc", "valloc", "pvalloc", "_Znwm", "_Znam",
    "operator new*", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t", "_ZnwmSt11align_val_t",
    "_ZnamSt11align_val_t", "strdup", "strndup", NULL };
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

static int frame_matches(struct hs_model *m, const struct pattern *p, const struct hs_frame *f) {
  if (p->type == PAT_FUN) return f->function && !fnmatch(p->glob, f->function, 0);
  const char *path = module_path(m, f->module);
  return path && (!fnmatch(p->glob, path, 0) || (f->module && !fnmatch(p->glob, f->module, 0)));
}

/* Patterns [pi..) against frames [fi..): "..." matches any run. */
static int match_from(struct hs_model *m, const struct supp *s, size_t pi,
                      const struct hs_frame *f, size_t nf, size_t fi) {
  for (; pi < s->npats; pi++, fi++) {
    if (s->pats[pi].type == PAT_ANY) {
      for (size_t k = fi; k <= nf; k++)
        if (match_from(m, s, pi + 1, f, nf, k)) return 1;
      return 0;
    }
    if (fi >= nf || !frame_matches(m, &s->pats[pi], &f[fi])) return 0;
  }
  return 1;                            /* all patterns consumed: a prefix match */
}

static int supp_matches(struct hs_model *m, const struct supp *s, const struct hs_group *g,
                        const struct hs_frame *f, size_t nf) {
  if (s->kinds && !(s->kinds & (1u << g->kind))) return 0;
  size_t first = 0;                    /* the allocation function heapspy does not record */
  if (s->npats && s->pats[0].type == PAT_FUN && is_allocator(s->pats[0].glob)) first = 1;
  return match_from(m, s, first, f, nf, 0);
}

void hs_suppressions_apply(struct hs_suppressions *s, struct hs_model *m) {
  for (size_t i = 0; s && i < m->ngroups; i++) {
    struct hs_group *g = &m->groups[i];
    if (g->kind == HSP_LEAK_UNCLASSIFIED || g->suppressed) continue;
    struct hs_frame f[MAX_FRAMES];
    size_t nf = hs_model_frames(m, g->stack, f, MAX_FRAMES);
    for (size_t k = 0; k < s->n && !g->suppressed; k++)
      if (supp_matches(m, &s->v[k], g, f, nf))
        g->suppressed = hs_xstrdup(s->v[k].name);  /* outlives the file's entries */
    if (g->suppressed) {
      m->suppressed_bytes += g->bytes;
      m->suppressed_blocks += g->blocks;
      m->kinds[g->kind].bytes -= g->bytes;
      m->kinds[g->kind].blocks -= g->blocks;
    }
  }
}

void hs_suppression_write(FILE *out, struct hs_model *m, const struct hs_group *g, size_t index) {
  static const char *const kinds[] = { "definite", "definite", "indirect", "possible", "reachable" };
  struct hs_frame f[MAX_FRAMES];
  size_t nf = hs_model_frames(m, g->stack, f, MAX_FRAMES);
  fprintf(out, "{\n   heapspy-leak-%zu\n   Memcheck:Leak\n   match-leak-kinds: %s\n   fun:%s\n",
          index, kinds[g->kind <= HSP_LEAK_REACHABLE ? g->kind : 0],
          g->family == HSP_FAM_NEW ? "_Znwm" : g->family == HSP_FAM_NEW_ARRAY ? "_Znam" : "malloc");
  for (size_t i = 0; i < nf && i < 24; i++) {
    if (f[i].function) fprintf(out, "   fun:%s\n", f[i].function);
    else fprintf(out, "   obj:%s\n", module_path(m, f[i].module) ? module_path(m, f[i].module) : "*");
  }
  fputs("}\n", out);
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
