/*
 * model.c: builds the report model from a profile (see model.h).
 *
 * Must never: print (renderers do), or trust the profile beyond what
 * hsp_read validated.
 */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "analyze/model.h"
#include "common/hs_assert.h"
#include "common/util.h"
#include "profile/hsp_sample.h"

#define MAX_MODULES 4096
#define MAX_FRAMES 512
#define MAX_ERRORS 1000          /* the spy records at most this many */

/* Frames in these modules belong to the allocator or the runtime, not to
 * the code a user would blame for holding memory. */
static int runtime_module(const char *mod) {
  static const char *const rt[] = { "libc.so", "libstdc++.so", "libheapspy.so",
                                    "ld-linux", "libgcc_s.so", NULL };
  if (!mod) return 1;
  for (int i = 0; rt[i]; i++)
    if (strncmp(mod, rt[i], strlen(rt[i])) == 0) return 1;
  return 0;
}

int hs_frame_is_runtime(const struct hs_frame *f) { return runtime_module(f->module); }

const char *hs_family_name(const struct hs_model *m, unsigned family) {
  if (family < m->nfamilies && m->prof.hdr->families[family][0]) {
    static char buf[HSP_MAX_FAMILIES][HSP_FAMILY_NAME];
    memcpy(buf[family], m->prof.hdr->families[family], HSP_FAMILY_NAME - 1);
    return buf[family];
  }
  return "unknown";
}

size_t hs_model_frames(struct hs_model *m, uint32_t stack,
                       struct hs_frame *out, size_t max) {
  const struct hsp_stack *s = hsp_stack(&m->prof, stack);
  uint64_t pc[HSP_STACK_MAX_DEPTH];
  uint32_t depth = s ? hsp_stack_frames(&m->prof, s, pc, HSP_STACK_MAX_DEPTH) : 0;
  size_t n = 0;
  for (uint32_t i = 0; i < depth && n < max; i++) {
    n += hs_symbolize(m->sym, pc[i], 1, out + n, max - n);
    HS_ASSERT(n <= max);                 /* hs_symbolize writes at most what is left */
  }
  /* Not the user's code: the spy's own frames (its wrapper of main sits
   * between main and libc), and heapspy.h's inline helper on top of
   * blocks reported by a custom allocator. */
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    int spy = out[i].module && !strncmp(out[i].module, "libheapspy.so", 13);
    int helper = w == 0 && out[i].function && !strcmp(out[i].function, "heapspy_request");
    if (m->show_mangled && out[i].mangled) out[i].function = out[i].mangled;
    if (!spy && !(helper && i + 1 < n)) out[w++] = out[i];
  }
  return w;
}

static int stat_by_id(const void *a, const void *b) {
  const struct hs_stack_stat *x = a, *y = b;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

size_t hs_model_stack_stats(struct hs_model *m, struct hs_stack_stat **out) {
  uint32_t *ids;
  size_t n = hsp_stack_ids(&m->prof, &ids);
  struct hs_stack_stat *v = hs_xcalloc(n + m->ngroups + 1, sizeof *v);
  for (size_t i = 0; i < n; i++) {
    const struct hsp_stack *s = hsp_stack(&m->prof, ids[i]);
    v[i].stack = ids[i];
    if (!s) continue;
    v[i].allocs = s->allocs;
    v[i].bytes = s->bytes;
    /* a thread's unflushed batch can leave a stack below zero */
    v[i].peak_bytes = s->peak_bytes > 0 ? (uint64_t)s->peak_bytes : 0;
    v[i].peak_blocks = s->peak_blocks > 0 && s->peak_bytes > 0 ? (uint64_t)s->peak_blocks : 0;
    v[i].temporary = s->temporary;
    v[i].temporary_alike = s->temporary_alike;
  }
  free(ids);
  /* one entry per group, then sort and merge: a group's stack may be
   * missing from a damaged stack table, and must still be counted */
  for (size_t g = 0; g < m->ngroups; g++, n++) {
    v[n].stack = m->groups[g].stack;
    v[n].inuse_blocks = m->groups[g].blocks;
    v[n].inuse_bytes = m->groups[g].bytes;
  }
  qsort(v, n, sizeof *v, stat_by_id);
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    if (w && v[w - 1].stack == v[i].stack) {
      v[w - 1].allocs += v[i].allocs;
      v[w - 1].bytes += v[i].bytes;
      v[w - 1].inuse_blocks += v[i].inuse_blocks;
      v[w - 1].inuse_bytes += v[i].inuse_bytes;
      v[w - 1].peak_blocks += v[i].peak_blocks;
      v[w - 1].peak_bytes += v[i].peak_bytes;
      v[w - 1].temporary += v[i].temporary;
      v[w - 1].temporary_alike += v[i].temporary_alike;
    } else {
      v[w++] = v[i];
    }
  }
  /* the spy batches per-stack counters per thread: a killed process may
   * have lost a batch, but a stack allocated at least what it holds */
  for (size_t i = 0; i < w; i++) {
    if (v[i].allocs < v[i].inuse_blocks) v[i].allocs = v[i].inuse_blocks;
    if (v[i].bytes < v[i].inuse_bytes) v[i].bytes = v[i].inuse_bytes;
  }
  *out = v;
  return w;
}

const char *hs_kind_name(unsigned kind) {
  static const char *const names[] = { "unclassified", "definitely_lost", "indirectly_lost",
                                       "possibly_lost", "still_reachable" };
  return kind <= HSP_LEAK_REACHABLE ? names[kind] : "unclassified";
}

const char *hs_kind_phrase(unsigned kind) {
  static const char *const names[] = { "in use at exit", "definitely lost", "indirectly lost",
                                       "possibly lost", "still reachable" };
  return kind <= HSP_LEAK_REACHABLE ? names[kind] : "in use at exit";
}

/* A live block with its verdict; sorted by (kind, stack, family) the
 * blocks of one group form a run. */
struct kblock { struct hsp_block b; unsigned kind; };

static int by_site(const void *a, const void *b) {
  const struct kblock *x = a, *y = b;
  if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
  if (x->b.stack != y->b.stack) return x->b.stack < y->b.stack ? -1 : 1;
  unsigned fx = HSP_BLOCK_FAMILY(&x->b), fy = HSP_BLOCK_FAMILY(&y->b);
  return fx < fy ? -1 : fx > fy;
}

/* Lost kinds first (definite, indirect, possible), then the rest; within
 * a kind, the largest first. */
static int rank(unsigned kind) { return hs_kind_lost(kind) ? 0 : 1; }

static int by_bytes(const void *a, const void *b) {
  const struct hs_group *x = a, *y = b;
  if (rank(x->kind) != rank(y->kind)) return rank(x->kind) - rank(y->kind);
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  if (x->blocks != y->blocks) return x->blocks > y->blocks ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

static int holder_by_bytes(const void *a, const void *b) {
  const struct hs_holder *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  return strcmp(x->name, y->name);
}

static void hold(struct hs_holder **v, size_t *n, const char *name,
                 const struct hs_group *g) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*v)[i].name, name) == 0) {
      (*v)[i].bytes += g->bytes;
      (*v)[i].blocks += g->blocks;
      return;
    }
  *v = hs_xrealloc(*v, (*n + 1) * sizeof **v);
  (*v)[*n].name = name;
  (*v)[*n].bytes = g->bytes;
  (*v)[*n].blocks = g->blocks;
  (*n)++;
}

static int sample_by_stack(const void *a, const void *b) {
  const struct hsp_sample *x = *(const struct hsp_sample *const *)a;
  const struct hsp_sample *y = *(const struct hsp_sample *const *)b;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

/* Samples sorted by stack id for bsearch (the spy writes them in table
 * order). */
static const struct hsp_sample **sorted_samples(struct hs_model *m, size_t *n) {
  uint64_t count = m->prof.hdr->samples_count;
  const struct hsp_sample *s = count < (1ull << 32)
      ? hsp_at(&m->prof, m->prof.hdr->samples_off, count * sizeof *s) : NULL;
  *n = s ? (size_t)count : 0;
  const struct hsp_sample **v = hs_xcalloc(*n + 1, sizeof *v);
  for (size_t i = 0; i < *n; i++) v[i] = &s[i];
  qsort(v, *n, sizeof *v, sample_by_stack);
  return v;
}

static void count_before_attach(struct hs_model *m) {
  uint64_t n;
  const struct hsp_before *b = hsp_before_blocks(&m->prof, &n);
  m->before_census = n;
  for (uint64_t i = 0; i < n; i++) {
    if (b[i].kind == HSP_BEFORE_GONE) continue;
    unsigned k = b[i].kind <= HSP_LEAK_REACHABLE ? b[i].kind : HSP_LEAK_UNCLASSIFIED;
    m->before_kinds[k].bytes += b[i].size;
    m->before_kinds[k].blocks++;
  }
}

static int by_id(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* One site of blocks counted but not listed (group_unlisted). */
static void add_unlisted(struct hs_model *m, uint32_t stack, int64_t bytes, int64_t blocks) {
  struct hs_group *g = &m->groups[m->ngroups++];
  memset(g, 0, sizeof *g);
  g->stack = stack;
  g->family = HSP_FAM_MALLOC;
  g->kind = HSP_LEAK_UNCLASSIFIED;
  g->unlisted = 1;
  g->bytes = (uint64_t)bytes;
  g->blocks = (uint64_t)blocks;
  m->kinds[g->kind].sites++;
  m->kinds[g->kind].bytes += g->bytes;
  m->kinds[g->kind].blocks += g->blocks;
}

/* --check's records a SIGKILL kept out of the table (HSP_FLAG_RECORDS
 * without RECORDS_LISTED): what the block counters hold beyond the blocks
 * listed, as sites of their own, unclassified. The per-family counters
 * are exact; a stack's in-use count is as of its threads' last batch
 * (each thread's net change goes out at HSP_PEAK_SLACK), so a stack's
 * site is its surplus over its listed blocks, scaled down if the
 * surpluses exceed what is missing (frees not gone out yet), and what
 * no stack accounts for is one site without a stack. Shown as malloc: a
 * record's family went with it. */
static void group_unlisted(struct hs_model *m) {
  uint32_t flags = m->prof.hdr->flags;
  if (!(flags & HSP_FLAG_RECORDS) || (flags & HSP_FLAG_RECORDS_LISTED)) return;
  int64_t want_bytes = 0, want_blocks = 0;
  for (unsigned f = 0; f < HSP_FAM_FIRST_CUSTOM; f++) {
    want_bytes += (int64_t)m->fam[f].in_use_bytes;
    want_blocks += (int64_t)m->fam[f].in_use_blocks;
  }
  for (size_t g = 0; g < m->ngroups; g++)
    if (m->groups[g].family < HSP_FAM_FIRST_CUSTOM) {
      want_bytes -= (int64_t)m->groups[g].bytes;
      want_blocks -= (int64_t)m->groups[g].blocks;
    }
  if (want_bytes <= 0 || want_blocks <= 0) return;
  uint32_t *ids = NULL;
  size_t n = hsp_stack_ids(&m->prof, &ids);
  /* each stack's count less its listed blocks (ids ascend: a group finds
   * its stack by bisection), then only the positive surpluses */
  int64_t *surplus = hs_xcalloc(2 * n + 2, sizeof *surplus), sum_bytes = 0, sum_blocks = 0;
  for (size_t i = 0; i < n; i++) {
    const struct hsp_stack *st = hsp_stack(&m->prof, ids[i]);
    surplus[2 * i] = st->in_use_bytes;
    surplus[2 * i + 1] = st->in_use_blocks;
  }
  for (size_t g = 0; g < m->ngroups; g++) {
    const uint32_t *at = bsearch(&m->groups[g].stack, ids, n, sizeof *ids, by_id);
    if (!at) continue;
    surplus[2 * (size_t)(at - ids)] -= (int64_t)m->groups[g].bytes;
    surplus[2 * (size_t)(at - ids) + 1] -= (int64_t)m->groups[g].blocks;
  }
  for (size_t i = 0; i < n; i++) {
    if (surplus[2 * i] <= 0 || surplus[2 * i + 1] <= 0) {
      surplus[2 * i] = surplus[2 * i + 1] = 0;
      continue;
    }
    sum_bytes += surplus[2 * i];
    sum_blocks += surplus[2 * i + 1];
  }
  m->groups = hs_xrealloc(m->groups, (m->ngroups + n + 2) * sizeof *m->groups);
  /* scaled down only, with cumulative rounding so the shares add up */
  int64_t to_bytes = sum_bytes < want_bytes ? sum_bytes : want_bytes;
  int64_t to_blocks = sum_blocks < want_blocks ? sum_blocks : want_blocks;
  int64_t seen_bytes = 0, seen_blocks = 0, given_bytes = 0, given_blocks = 0;
  for (size_t i = 0; i < n && sum_bytes > 0 && sum_blocks > 0; i++) {
    if (!surplus[2 * i]) continue;
    seen_bytes += surplus[2 * i];
    seen_blocks += surplus[2 * i + 1];
    int64_t bytes = (int64_t)((__int128)to_bytes * seen_bytes / sum_bytes) - given_bytes;
    int64_t blocks = (int64_t)((__int128)to_blocks * seen_blocks / sum_blocks) - given_blocks;
    if (bytes <= 0 || blocks <= 0) continue;
    given_bytes += bytes;
    given_blocks += blocks;
    add_unlisted(m, ids[i], bytes, blocks);
  }
  if (want_bytes > given_bytes && want_blocks > given_blocks)
    add_unlisted(m, 0, want_bytes - given_bytes, want_blocks - given_blocks);
  free(surplus);
  free(ids);
}

static void group_blocks(struct hs_model *m) {
  size_t nsamples;
  const struct hsp_sample **samples = sorted_samples(m, &nsamples);
  struct hsp_block *raw;
  size_t n = hsp_live_blocks(&m->prof, &raw);
  struct kblock *b = hs_xcalloc(n + 1, sizeof *b);
  for (size_t i = 0; i < n; i++) {
    b[i].b = raw[i];
    b[i].kind = hsp_verdict_for(&m->prof, raw[i].ptr);
    HS_ASSERT(b[i].kind <= HSP_LEAK_REACHABLE);   /* it indexes m->kinds[] */
    if (b[i].kind != HSP_LEAK_UNCLASSIFIED) m->scanned = 1;
  }
  free(raw);
  qsort(b, n, sizeof *b, by_site);
  m->groups = hs_xcalloc(n + 1, sizeof *m->groups);
  for (size_t i = 0; i < n; i++) {
    struct hs_group *g = &m->groups[m->ngroups ? m->ngroups - 1 : 0];
    if (!m->ngroups || g->stack != b[i].b.stack || g->family != HSP_BLOCK_FAMILY(&b[i].b) ||
        g->kind != b[i].kind) {
      g = &m->groups[m->ngroups++];
      g->stack = b[i].b.stack;
      g->family = HSP_BLOCK_FAMILY(&b[i].b);
      g->first_ms = b[i].b.t_ms;
      g->kind = b[i].kind;
      m->kinds[g->kind].sites++;
    }
    /* a sample is shown only if its block is one of this group */
    if (!g->sample && nsamples) {
      struct hsp_sample key = { .stack = b[i].b.stack };
      const struct hsp_sample *kp = &key, **hit =
          bsearch(&kp, samples, nsamples, sizeof *samples, sample_by_stack);
      if (hit && (*hit)->ptr == b[i].b.ptr && (*hit)->len <= HSP_SAMPLE_BYTES) g->sample = *hit;
    }
    /* --sample: each block stands for its weight, as in the spy's counters */
    struct hsp_weight w = hsp_sample_weigh(m->prof.hdr->sampling.mean, b[i].b.ptr,
                                           HSP_BLOCK_SIZE(&b[i].b));
    g->bytes += w.bytes;
    g->blocks += w.blocks;
    m->kinds[g->kind].bytes += w.bytes;
    m->kinds[g->kind].blocks += w.blocks;
    if (b[i].b.t_ms < g->first_ms) g->first_ms = b[i].b.t_ms;
  }
  free(b);
  free(samples);
  group_unlisted(m);
  qsort(m->groups, m->ngroups, sizeof *m->groups, by_bytes);
}

static void attribute(struct hs_model *m) {
  static struct hs_frame unknown = { .function = "(unknown)", .module = "(unknown)" };
  for (size_t i = 0; i < m->ngroups; i++) {
    struct hs_group *g = &m->groups[i];
    struct hs_frame f[MAX_FRAMES];
    size_t n = hs_model_frames(m, g->stack, f, MAX_FRAMES);
    g->culprit = &unknown;
    for (size_t k = 0; k < n; k++) {
      if (runtime_module(f[k].module)) continue;
      /* frames are owned by the symbolizer's cache: copy the one we keep */
      struct hs_frame *keep = hs_xmalloc(sizeof *keep);
      *keep = f[k];
      g->culprit = keep;
      break;
    }
    hold(&m->by_module, &m->nby_module,
         g->culprit->module ? g->culprit->module : "(unknown)", g);
    hold(&m->by_function, &m->nby_function,
         g->culprit->function ? g->culprit->function : "(unknown)", g);
  }
  qsort(m->by_module, m->nby_module, sizeof *m->by_module, holder_by_bytes);
  qsort(m->by_function, m->nby_function, sizeof *m->by_function, holder_by_bytes);
}

static void load_errors(struct hs_model *m) {
  size_t max = m->prof.hdr->errors_count < MAX_ERRORS ? m->prof.hdr->errors_count : MAX_ERRORS;
  const struct hsp_error **e = hs_xcalloc(max + 1, sizeof *e);
  m->nerrors = hsp_errors(&m->prof, e, max);
  m->errors = hs_xcalloc(m->nerrors + 1, sizeof *m->errors);
  for (size_t i = 0; i < m->nerrors; i++) m->errors[i].e = e[i];
  free(e);
}

int hs_model_load(struct hs_model *m, const char *path,
                  const char *debuginfo_path, char *err, size_t errlen) {
  memset(m, 0, sizeof *m);
  if (hsp_open(&m->prof, path, err, errlen) < 0) return -1;
  const struct hsp_header *h = m->prof.hdr;
  m->nfamilies = h->nfamilies;
  hsp_family_totals(&m->prof, m->fam);
  for (unsigned f = 0; f < HSP_MAX_FAMILIES; f++) {
    m->total.allocs += m->fam[f].allocs;
    m->total.frees += m->fam[f].frees;
    m->total.bytes_allocated += m->fam[f].bytes_allocated;
    m->total.in_use_bytes += m->fam[f].in_use_bytes;
    m->total.in_use_blocks += m->fam[f].in_use_blocks;
  }
  if (h->sampling.mean) {               /* --sample: the calls were counted exactly */
    hsp_sample_totals(&m->prof, &m->total.allocs, &m->total.frees, &m->total.bytes_allocated);
  }
  const struct hsp_module **mods = hs_xcalloc(MAX_MODULES, sizeof *mods);
  m->nmods = hsp_modules(&m->prof, mods, MAX_MODULES);
  m->mods = hs_xcalloc(m->nmods + 1, sizeof *m->mods);
  for (size_t i = 0; i < m->nmods; i++) {
    m->mods[i].path = mods[i]->path;
    m->mods[i].base = mods[i]->base;
    m->mods[i].start = mods[i]->start;
    m->mods[i].end = mods[i]->end;
    m->mods[i].build_id = mods[i]->build_id;
    m->mods[i].build_id_len = mods[i]->build_id_len;
  }
  free(mods);
  m->sym = hs_symbolizer_new(m->mods, m->nmods, debuginfo_path);
  m->marks = hs_xcalloc(1024, sizeof *m->marks);
  m->nmarks = hsp_marks(&m->prof, m->marks, 1024);
  group_blocks(m);
  count_before_attach(m);
  attribute(m);
  load_errors(m);
  /* With threads the spy's peak is exact to HSP_PEAK_SLACK per thread;
   * it is never allowed to be below what was observed in use. */
  m->peak_bytes = h->live.peak_bytes;
  m->peak_ms = h->live.peak_t_ms;
  const struct hsp_tick *t;
  size_t nt = hsp_timeline(&m->prof, &t);
  for (size_t i = 0; i < nt; i++)
    if (t[i].heap_bytes > 0 && (uint64_t)t[i].heap_bytes > m->peak_bytes) {
      m->peak_bytes = (uint64_t)t[i].heap_bytes;
      m->peak_ms = t[i].t_ms;
    }
  for (size_t i = 0; i < m->nmarks; i++)
    if (m->marks[i]->in_use_bytes > m->peak_bytes) {
      m->peak_bytes = m->marks[i]->in_use_bytes;
      m->peak_ms = m->marks[i]->t_ms;
    }
  if (m->total.in_use_bytes > m->peak_bytes) {
    m->peak_bytes = m->total.in_use_bytes;
    m->peak_ms = h->duration_ms;
  }
  return 0;
}

int hs_model_redact(struct hs_model *m) {
  for (size_t i = 0; i < m->ngroups; i++) m->groups[i].sample = NULL;
  /* the header lies at the start of a private (copy-on-write) mapping:
   * this changes our copy, never the file */
  size_t len = (offsetof(struct hsp_header, cmdline) + sizeof m->prof.hdr->cmdline + 4095) & ~(size_t)4095;
  if (mprotect((void *)m->prof.data, len, PROT_READ | PROT_WRITE) < 0) return -1;
  char *cmd = ((struct hsp_header *)m->prof.data)->cmdline;
  char *sp = memchr(cmd, ' ', sizeof m->prof.hdr->cmdline);
  if (sp) memset(sp, 0, sizeof m->prof.hdr->cmdline - (size_t)(sp - cmd));
  mprotect((void *)m->prof.data, len, PROT_READ);
  return 0;
}

void hs_model_free(struct hs_model *m) {
  for (size_t i = 0; i < m->ngroups; i++)
    if (m->groups[i].culprit && m->groups[i].culprit->pc) free((void *)m->groups[i].culprit);
  free(m->groups);
  free(m->by_module);
  free(m->by_function);
  free(m->marks);
  free(m->ticks);
  for (size_t i = 0; i < m->nerrors; i++) free((void *)m->errors[i].suppressed);
  free(m->errors);
  if (m->sym) hs_symbolizer_free(m->sym);
  free(m->mods);
  hsp_close(&m->prof);
}

void hs_model_exit_phrase(const struct hs_model *m, char *buf, size_t len) {
  const struct hsp_header *h = m->prof.hdr;
  int known = (h->flags & HSP_FLAG_EXIT_KNOWN) != 0;
  if (known && h->exit_signal)
    snprintf(buf, len, "was killed by signal %d (%s)%s", h->exit_signal,
             strsignal(h->exit_signal),
             h->exit_signal == SIGKILL ? "; heap as of death" : "");
  else if (known && h->exit_how == HSP_EXIT_UNDERSCORE)
    snprintf(buf, len, "exited with code %d via _exit (no destructors ran)", h->exit_code);
  else if (known)
    snprintf(buf, len, "exited with code %d", h->exit_code);
  else if (h->state == HSP_STATE_EXITED)
    snprintf(buf, len, "exited");
  else if (h->state == HSP_STATE_DETACHED)
    snprintf(buf, len, "was recorded from `heapspy attach` until detach (it runs on), times since attach,");
  else
    snprintf(buf, len, "ended without reaching exit (killed, exec'd, or still running)");
}

const char *hs_model_module_path(const struct hs_model *m, uint64_t pc) {
  for (size_t i = 0; i < m->nmods; i++)
    if (pc >= m->mods[i].start && pc < m->mods[i].end) return m->mods[i].path;
  return NULL;
}

int hs_model_spy_pc(const struct hs_model *m, uint64_t pc) {
  const char *path = hs_model_module_path(m, pc), *base = path ? strrchr(path, '/') : NULL;
  return base && !strncmp(base + 1, "libheapspy.", 11);
}

size_t hs_model_sampling_note(const struct hs_model *m, char *buf, size_t len) {
  uint64_t mean = m->prof.hdr->sampling.mean;
  if (!len) return 0;
  buf[0] = 0;
  if (!mean) return 0;
  char b[32];
  if (mean % (1u << 20) == 0) snprintf(b, sizeof b, "%lluM", (unsigned long long)(mean >> 20));
  else if (mean % 1024 == 0) snprintf(b, sizeof b, "%lluK", (unsigned long long)(mean >> 10));
  else snprintf(b, sizeof b, "%llu bytes", (unsigned long long)mean);
  int n = snprintf(buf, len, "Sampled with --sample %s: bytes and blocks are estimates from the "
                             "allocations sampled (one per %s allocated on average); call "
                             "totals are exact.", b, b);
  return n < 0 ? 0 : (size_t)n;
}
