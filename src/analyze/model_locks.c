/*
 * model_locks.c: lock-order cycles and lock names for the report (see
 * model_locks.h).
 *
 * Cycles: every elementary cycle of the lock-order graph up to
 * HS_CYCLE_MAX locks, each found once, from its smallest node (a DFS from
 * each node s through nodes greater than s only), within a step budget
 * so a huge graph cannot hang the report (truncated says so). A cycle is
 * gated when one lock outside it was held exclusively at every sighting
 * of every one of its edges: then no two of its edges can be taken at
 * the same time, and it cannot deadlock.
 *
 * Must never: print, or follow a node or edge id without checking it.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/model_locks.h"
#include "common/util.h"

#define STEP_BUDGET 2000000

const struct hsp_lock_node *hs_lock_node(const struct hs_locks *l, uint32_t id) {
  if (!l->graph || !id || id > l->graph->nodes_cap || !l->nodes[id - 1].addr) return NULL;
  return &l->nodes[id - 1];
}

const char *hs_error_kind_name(unsigned kind) {
  switch (kind) {
  case HSP_ERR_LOCK_RELOCK: return "lock_relock_deadlock";
  case HSP_ERR_LOCK_UNLOCK_NOT_HELD: return "lock_unlock_not_held";
  case HSP_ERR_LOCK_DESTROY_HELD: return "lock_destroy_held";
  case HSP_ERR_USE_AFTER_FREE: return "use_after_free";
  case HSP_ERR_DOUBLE_FREE: return "double_free";
  case HSP_ERR_INVALID_FREE: return "invalid_free";
  case HSP_ERR_HEAP_OVERFLOW: return "heap_overflow";
  case HSP_ERR_HEAP_UNDERFLOW: return "heap_underflow";
  case HSP_ERR_MISMATCHED_FREE: return "mismatched_free";
  case HSP_ERR_BAD_ACCESS: return "bad_access";
  default: return "unknown";
  }
}

/* ---- cycles ------------------------------------------------------------ */

struct adj { uint32_t *to; const struct hsp_lock_edge **edge; size_t n, cap; };

struct search {
  struct hs_locks *l;
  struct adj *out;                  /* by node id */
  uint32_t path[HS_CYCLE_MAX];
  const struct hsp_lock_edge *via[HS_CYCLE_MAX];
  unsigned char *on_path;
  long steps;
  size_t cap;
};

static int in_cycle(const struct hs_cycle *c, uint32_t node) {
  for (unsigned i = 0; i < c->n; i++)
    if (c->nodes[i] == node) return 1;
  return 0;
}

/* A gate: in every edge's gate set, and not one of the cycle's locks. */
static uint32_t find_gate(const struct hs_cycle *c) {
  const struct hsp_lock_edge *e0 = c->edges[0];
  for (unsigned g = 0; g < e0->ngates && g < HSP_GATES; g++) {
    uint32_t cand = e0->gates[g];
    if (in_cycle(c, cand)) continue;
    int all = 1;
    for (unsigned i = 1; i < c->n && all; i++) {
      const struct hsp_lock_edge *e = c->edges[i];
      int has = 0;
      for (unsigned k = 0; k < e->ngates && k < HSP_GATES; k++) has |= e->gates[k] == cand;
      all = has;
    }
    if (all) return cand;
  }
  return 0;
}

static void found(struct search *s, unsigned depth) {
  struct hs_locks *l = s->l;
  if (l->ncycles == HS_CYCLES_MAX) { l->truncated = 1; return; }
  if (l->ncycles == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 16;
    l->cycles = hs_xrealloc(l->cycles, s->cap * sizeof *l->cycles);
  }
  struct hs_cycle *c = &l->cycles[l->ncycles++];
  memset(c, 0, sizeof *c);
  c->n = depth;
  memcpy(c->nodes, s->path, depth * sizeof *c->nodes);
  memcpy(c->edges, s->via, depth * sizeof *c->edges);
  c->gate = find_gate(c);
}

static void dfs(struct search *s, uint32_t start, uint32_t at, unsigned depth) {
  const struct adj *a = &s->out[at];
  for (size_t i = 0; i < a->n; i++) {
    if (++s->steps > STEP_BUDGET) { s->l->truncated = 1; return; }
    uint32_t next = a->to[i];
    s->via[depth - 1] = a->edge[i];
    if (next == start) { found(s, depth); continue; }
    if (next < start || s->on_path[next] || depth == HS_CYCLE_MAX) continue;
    s->path[depth] = next;
    s->on_path[next] = 1;
    dfs(s, start, next, depth + 1);
    s->on_path[next] = 0;
  }
}

static int unsafe_first(const void *a, const void *b) {
  const struct hs_cycle *x = a, *y = b;
  if (!x->gate != !y->gate) return x->gate ? 1 : -1;
  if (x->n != y->n) return x->n < y->n ? -1 : 1;
  for (unsigned i = 0; i < x->n; i++)
    if (x->nodes[i] != y->nodes[i]) return x->nodes[i] < y->nodes[i] ? -1 : 1;
  return 0;
}

static void find_cycles(struct hs_locks *l) {
  size_t nn = l->graph->nodes_cap + 1;
  struct search s = { .l = l };
  s.out = hs_xcalloc(nn, sizeof *s.out);
  s.on_path = hs_xcalloc(nn, 1);
  for (uint64_t i = 0; i < l->graph->edges_cap; i++) {
    const struct hsp_lock_edge *e = &l->edges[i];
    uint32_t from = (uint32_t)(e->key >> 32), to = (uint32_t)e->key;
    if (!e->key || !hs_lock_node(l, from) || !hs_lock_node(l, to) || from == to) continue;
    struct adj *a = &s.out[from];
    if (a->n == a->cap) {
      a->cap = a->cap ? a->cap * 2 : 4;
      a->to = hs_xrealloc(a->to, a->cap * sizeof *a->to);
      a->edge = hs_xrealloc(a->edge, a->cap * sizeof *a->edge);
    }
    a->to[a->n] = to;
    a->edge[a->n++] = e;
  }
  for (uint32_t start = 1; start < nn && s.steps <= STEP_BUDGET; start++) {
    if (!s.out[start].n) continue;
    s.path[0] = start;
    s.on_path[start] = 1;
    dfs(&s, start, start, 1);
    s.on_path[start] = 0;
  }
  for (size_t i = 0; i < nn; i++) { free(s.out[i].to); free(s.out[i].edge); }
  free(s.out);
  free(s.on_path);
  qsort(l->cycles, l->ncycles, sizeof *l->cycles, unsafe_first);
  for (size_t i = 0; i < l->ncycles; i++) l->nunsafe += !l->cycles[i].gate;
}

void hs_locks_load(struct hs_model *m, struct hs_locks *l) {
  memset(l, 0, sizeof *l);
  l->graph = hsp_locks(&m->prof, &l->nodes, &l->edges);
  /* the live heap names heap locks the spy could not place: only read
   * when there is a lock to name */
  const struct hsp_header *h = m->prof.hdr;
  if (l->graph || h->errors_count || h->exit_threads_count)
    l->nlive = hsp_live_blocks(&m->prof, &l->live);
  if (l->graph) find_cycles(l);
  l->ndeadlocks = hsp_deadlocks(&m->prof, l->graph, l->deadlocks, HS_DEADLOCKS_MAX);
}

void hs_locks_free(struct hs_locks *l) {
  free(l->cycles);
  free(l->live);
  memset(l, 0, sizeof *l);
}

/* ---- names ------------------------------------------------------------- */

/* "f (file.c:12)" for the first frame of the user's code in a stack. */
static void site(struct hs_model *m, uint32_t stack, char *buf, size_t len) {
  struct hs_frame f[64];
  size_t n = hs_model_frames(m, stack, f, 64);
  size_t k = 0;
  while (k < n && hs_frame_is_runtime(&f[k])) k++;
  if (k == n) k = 0;
  if (!n) { snprintf(buf, len, "(unknown)"); return; }
  if (f[k].file)
    snprintf(buf, len, "%s (%s:%d)", f[k].function ? f[k].function : "??", f[k].file, f[k].line);
  else
    snprintf(buf, len, "%s (%s+0x%llx)", f[k].function ? f[k].function : "??",
             f[k].module ? f[k].module : "?", (unsigned long long)f[k].offset);
}

static const struct hsp_block *live_containing(const struct hs_locks *l, uint64_t addr) {
  size_t lo = 0, hi = l->nlive;
  while (lo < hi) {                 /* last block starting at or below addr */
    size_t mid = (lo + hi) / 2;
    if (HSP_ADDR(l->live[mid].ptr) <= addr) lo = mid + 1; else hi = mid;
  }
  if (!lo) return NULL;
  const struct hsp_block *b = &l->live[lo - 1];
  return addr - HSP_ADDR(b->ptr) < HSP_BLOCK_SIZE(b) ? b : NULL;
}

void hs_lock_describe(struct hs_model *m, const struct hs_locks *l, uint64_t addr,
                      uint32_t node, struct hs_lock_desc *d) {
  static const char *const kinds[] = { "lock", "mutex", "rwlock", "spinlock" };
  const struct hsp_lock_node *n = hs_lock_node(l, node);
  for (uint64_t i = 0; !n && l->graph && i < l->graph->nodes_cap; i++)
    if (l->nodes[i].addr == addr) n = &l->nodes[i];      /* by address: the last one */
  d->kind = kinds[n && n->kind <= HSP_LOCK_SPIN ? n->kind : 0];
  d->alloc_stack = 0;
  uint64_t bptr = 0, bsize = 0;
  if (n && n->block_ptr) {
    bptr = n->block_ptr;
    bsize = n->block_size;
    d->alloc_stack = n->block_stack;
  } else {
    const struct hsp_block *b = live_containing(l, addr);
    if (b) {
      bptr = HSP_ADDR(b->ptr);
      bsize = HSP_BLOCK_SIZE(b);
      d->alloc_stack = b->stack;
    }
  }
  if (bptr) {
    char where[256];
    site(m, d->alloc_stack, where, sizeof where);
    snprintf(d->name, sizeof d->name, "heap %s at 0x%llx (+%llu in a %llu-byte block allocated by %s)",
             d->kind, (unsigned long long)addr, (unsigned long long)(addr - bptr),
             (unsigned long long)bsize, where);
    return;
  }
  for (size_t i = 0; i < m->nmods; i++) {
    const struct hs_module_info *mi = &m->mods[i];
    if (addr < mi->start || addr >= mi->end) continue;
    char sym[256];
    uint64_t off;
    const char *base = strrchr(mi->path, '/');
    base = base ? base + 1 : mi->path;
    if (hs_data_symbol(mi->path, addr - mi->base, sym, sizeof sym, &off)) {
      if (off)
        snprintf(d->name, sizeof d->name, "%s `%s`+%llu (%s)", d->kind, sym,
                 (unsigned long long)off, base);
      else
        snprintf(d->name, sizeof d->name, "%s `%s` (%s)", d->kind, sym, base);
    } else {
      snprintf(d->name, sizeof d->name, "%s at 0x%llx (%s+0x%llx)", d->kind,
               (unsigned long long)addr, base, (unsigned long long)(addr - mi->base));
    }
    return;
  }
  snprintf(d->name, sizeof d->name, "%s at 0x%llx (not in the heap or a module: a stack or mapping)",
           d->kind, (unsigned long long)addr);
}
