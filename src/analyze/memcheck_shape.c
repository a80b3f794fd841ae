/*
 * memcheck_shape.c: see memcheck_shape.h. Wording follows memcheck's
 * messages (mc_errors.c, mc_leakcheck.c) so its parsers (CTest, IDEs,
 * CI plugins) recognise them; the facts come from the model alone.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/memcheck_shape.h"
#include "analyze/suppress.h"
#include "common/util.h"

#define MAX_FRAMES 512

int hs_mc_tid(const struct hs_model *m, int tid) {
  return tid == m->prof.hdr->pid ? 1 : tid;
}

const char *hs_mc_obj(const struct hs_model *m, const struct hs_frame *f) {
  if (!f->module) return NULL;
  size_t n = strlen(f->module);
  for (size_t i = 0; i < m->nmods; i++) {
    const char *p = m->mods[i].path;
    if (!p) continue;
    size_t k = strlen(p);
    if (k >= n && !strcmp(p + k - n, f->module) && (k == n || p[k - n - 1] == '/')) return p;
  }
  return f->module;
}

size_t hs_mc_frames(struct hs_model *m, uint32_t stack, struct hs_frame *out, size_t max) {
  struct hs_frame f[MAX_FRAMES];
  size_t n = hs_model_frames(m, stack, f, MAX_FRAMES), w = 0;
  for (size_t i = 0; i < n && w < max; i++) {
    out[w++] = f[i];
    if (f[i].function && !strcmp(f[i].function, "main")) break;   /* --show-below-main=no */
  }
  return w;
}

/* "is 8 bytes inside a block of size 48", "is 1 bytes after ...". */
static void where(char *buf, size_t len, uint64_t addr, int64_t off, uint64_t size, const char *state) {
  if (off < 0)
    snprintf(buf, len, "Address 0x%llx is %lld bytes before a block of size %llu %s",
             (unsigned long long)addr, (long long)-off, (unsigned long long)size, state);
  else if ((uint64_t)off >= size)
    snprintf(buf, len, "Address 0x%llx is %llu bytes after a block of size %llu %s",
             (unsigned long long)addr, (unsigned long long)off - size, (unsigned long long)size, state);
  else
    snprintf(buf, len, "Address 0x%llx is %lld bytes inside a block of size %llu %s",
             (unsigned long long)addr, (long long)off, (unsigned long long)size, state);
}

static void bad_free(const struct hsp_error *e, struct hs_mc_error *x) {
  x->kind = "InvalidFree";
  snprintf(x->what, sizeof x->what, "Invalid free() / delete / delete[] / realloc()");
  if (!e->size) {
    snprintf(x->aux, sizeof x->aux, "Address 0x%llx is not stack'd, malloc'd or (recently) free'd",
             (unsigned long long)(e->address + (uint64_t)(int64_t)e->offset));
    return;
  }
  int freed = e->kind == HSP_ERR_DOUBLE_FREE && e->related_stack;
  int64_t off = e->kind == HSP_ERR_DOUBLE_FREE ? 0 : e->offset;
  where(x->aux, sizeof x->aux, e->address + (uint64_t)off, off, e->size, freed ? "free'd" : "alloc'd");
  x->aux_stack = freed ? e->related_stack : e->alloc_stack;
  x->block_stack = freed ? e->alloc_stack : 0;
}

/* A bad access: at the faulting instruction (--guard), or found when
 * --check looked at the block (a write: the red zone or the freed
 * block's poison changed). */
static void bad_access(const struct hsp_error *e, struct hs_mc_error *x) {
  int read = e->signal && e->access == HSP_ACCESS_READ;
  x->kind = read ? "InvalidRead" : "InvalidWrite";
  snprintf(x->what, sizeof x->what, "Invalid %s of size %u", read ? "read" : "write",
           e->access_size ? e->access_size : 1);
  if (!e->size) {
    snprintf(x->aux, sizeof x->aux, "Address 0x%llx is not stack'd, malloc'd or (recently) free'd",
             (unsigned long long)(e->signal ? e->fault_addr : e->address));
    return;
  }
  int64_t off = e->signal && e->address ? (int64_t)(e->fault_addr - e->address) : e->offset;
  int freed = e->kind == HSP_ERR_USE_AFTER_FREE && e->related_stack;
  where(x->aux, sizeof x->aux, e->address + (uint64_t)off, off, e->size, freed ? "free'd" : "alloc'd");
  x->aux_stack = freed ? e->related_stack : e->alloc_stack;
  x->block_stack = freed ? e->alloc_stack : 0;
  if (!e->signal)
    x->note = "heapspy found this write when it checked the block, at the stack above, "
              "not where it happened; --guard stops at the writing instruction";
}

int hs_mc_error_of(const struct hsp_error *e, struct hs_mc_error *x) {
  memset(x, 0, sizeof *x);
  switch (e->kind) {
  case HSP_ERR_DOUBLE_FREE:
  case HSP_ERR_INVALID_FREE: bad_free(e, x); return 1;
  case HSP_ERR_MISMATCHED_FREE:
    x->kind = "MismatchedFree";
    snprintf(x->what, sizeof x->what, "Mismatched free() / delete / delete []");
    where(x->aux, sizeof x->aux, e->address, 0, e->size, "alloc'd");
    x->aux_stack = e->alloc_stack;
    return 1;
  case HSP_ERR_USE_AFTER_FREE:
  case HSP_ERR_HEAP_OVERFLOW:
  case HSP_ERR_HEAP_UNDERFLOW:
  case HSP_ERR_BAD_ACCESS: bad_access(e, x); return 1;
  default: return 0;
  }
}

/* memcheck's Reachedness order: Reachable, Possible, IndirectLeak, Unreached. */
static int state_rank(unsigned kind) {
  switch (kind) {
  case HSP_LEAK_REACHABLE: return 0;
  case HSP_LEAK_POSSIBLE: return 1;
  case HSP_LEAK_INDIRECT: return 2;
  default: return 3;
  }
}

static int by_record(const void *a, const void *b, void *groups) {
  const struct hs_group *g = groups, *x = &g[*(const size_t *)a], *y = &g[*(const size_t *)b];
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? -1 : 1;
  if (state_rank(x->kind) != state_rank(y->kind)) return state_rank(x->kind) < state_rank(y->kind) ? -1 : 1;
  if (x->blocks != y->blocks) return x->blocks < y->blocks ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

size_t hs_mc_records(const struct hs_model *m, size_t **out) {
  size_t *v = hs_xcalloc(m->ngroups + 1, sizeof *v), n = 0;
  for (size_t i = 0; m->scanned && i < m->ngroups; i++)
    if (m->groups[i].kind >= HSP_LEAK_DEFINITE && m->groups[i].kind <= HSP_LEAK_REACHABLE) v[n++] = i;
  qsort_r(v, n, sizeof *v, by_record, m->groups);
  *out = v;
  return n;
}

int hs_mc_record_shown(const struct hs_group *g, const struct hs_report_opts *o) {
  return o->leak_check == 0 && !g->suppressed && (hs_report_show_kinds(o) & (1u << g->kind));
}

int hs_mc_record_error(const struct hs_group *g, const struct hs_report_opts *o) {
  return o->leak_check == 0 && !g->suppressed && (hs_report_error_kinds(o) & (1u << g->kind));
}

void hs_mc_record_text(char *buf, size_t len, const struct hs_group *g, size_t number, size_t total) {
  char b1[32], b2[32], b3[32], b4[32];
  snprintf(buf, len, "%s bytes in %s blocks are %s in loss record %s of %s", hs_commas(g->bytes, b1),
           hs_commas(g->blocks, b2), hs_kind_phrase(g->kind), hs_commas(number, b3), hs_commas(total, b4));
}

const char *hs_mc_leak_kind(unsigned kind) {
  switch (kind) {
  case HSP_LEAK_DEFINITE: return "Leak_DefinitelyLost";
  case HSP_LEAK_INDIRECT: return "Leak_IndirectlyLost";
  case HSP_LEAK_POSSIBLE: return "Leak_PossiblyLost";
  default: return "Leak_StillReachable";
  }
}

size_t hs_mc_nerrors(const struct hs_model *m) {
  size_t n = 0;
  struct hs_mc_error x;
  for (size_t i = 0; i < m->nerrors; i++)
    n += !m->errors[i].suppressed && hs_mc_error_of(m->errors[i].e, &x);
  return n;
}

uint64_t hs_mc_frees(const struct hs_model *m) {
  uint64_t n = m->total.frees;
  for (size_t i = 0; i < m->nerrors; i++)
    if (m->errors[i].e->kind == HSP_ERR_DOUBLE_FREE || m->errors[i].e->kind == HSP_ERR_INVALID_FREE)
      n += m->errors[i].e->count;
  return n;
}
