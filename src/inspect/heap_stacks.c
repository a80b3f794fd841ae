/*
 * heap_stacks.c: the allocation stacks of `heapspy heap`'s groups in a
 * spied process (see heap_stacks.h).
 *
 * A walk's block is glibc's chunk (what malloc returned, usable size);
 * the spy's key is what the program got, which under --check lies past
 * a red zone inside that chunk: a spy entry belongs to the block whose
 * [addr, addr + usable) holds it. Exact mode's blocks lie past their
 * record (HSP_EXACT_FRONT): hs_spy_fronts_apply shows them as the
 * program got them before anything else reads the walk. Pool blocks of custom families live
 * inside their malloc'd slabs and are not glibc's blocks: left out.
 *
 * Must never: write to the profile, or keep its mapping past the read
 * (the table changes as soon as the process runs again).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "inspect/heap_stacks.h"
#include "inspect/spy_records.h"
#include "profile/hsp_read.h"

static int core_read(void *ctx, uint64_t addr, void *buf, size_t len) {
  return hs_target_read(ctx, addr, buf, len) == len ? 0 : -1;
}

/* Records from the live process pid, or from the core t. */
static int blocks_read(const char *path, pid_t pid, struct hs_target *core, struct hs_spy_blocks *b,
                       char *err, size_t errlen) {
  memset(b, 0, sizeof *b);
  struct hsp_profile p;
  if (hsp_open(&p, path, err, errlen) != 0) return -1;
  if (p.hdr->pid != (int32_t)pid) {
    snprintf(err, errlen, "%s is the profile of process %d, not %d", path, p.hdr->pid, (int)pid);
    hsp_close(&p);
    return -1;
  }
  b->sample_mean = p.hdr->sampling.mean;
  b->attached = !!(p.hdr->flags & HSP_FLAG_ATTACHED);
  if ((p.hdr->flags & HSP_FLAG_RECORDS) && p.hdr->records.rec_off == HSP_EXACT_FRONT)
    b->front = HSP_EXACT_FRONT;
  b->n = hsp_live_blocks_copy(&p, &b->v);   /* sorted after the process runs again */
  b->n = core ? hs_spy_records_append_from(core_read, core, p.hdr, &b->v, b->n)
              : hs_spy_records_append(pid, p.hdr, &b->v, b->n);
  hsp_close(&p);
  return 0;
}

int hs_spy_blocks_read(const char *path, pid_t pid, struct hs_spy_blocks *b, char *err,
                       size_t errlen) {
  return blocks_read(path, pid, NULL, b, err, errlen);
}

int hs_spy_blocks_read_core(const char *path, struct hs_target *t, struct hs_spy_blocks *b,
                            char *err, size_t errlen) {
  return blocks_read(path, t->pid, t, b, err, errlen);
}

/* Any file may be named there (a library, a device, a --trace file). */
char *hs_core_profile(const struct hs_target *t) {
  for (size_t i = 0; i < t->nfiles; i++)
    if (hsp_is_profile_of(t->files[i], (int32_t)t->pid)) return hs_xstrdup(t->files[i]);
  return NULL;
}

void hs_spy_blocks_free(struct hs_spy_blocks *b) {
  free(b->v);
  memset(b, 0, sizeof *b);
}

/* One block's part in a group. */
struct part {
  uint32_t group, stack;    /* stack 0: unknown to the spy */
  uint64_t usable, requested;
};

static int cmp_part(const void *a, const void *b) {
  const struct part *x = a, *y = b;
  if (x->group != y->group) return x->group < y->group ? -1 : 1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

static int cmp_share(const void *a, const void *b) {
  const struct hs_stack_share *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
  return x->stack < y->stack ? -1 : x->stack > y->stack;
}

enum family { BY_LEAK, BY_TYPE, BY_STRING };

/* The group of block i in family f, or -1. */
static int64_t group_of(enum family f, const struct hs_heap *h, const struct hs_leak_scan *k, size_t i) {
  uint32_t c = h->blocks[i].census;
  switch (f) {
  case BY_LEAK: return k->group[i] ? (int64_t)k->group[i] - 1 : -1;
  case BY_TYPE: return c >= 2 ? (int64_t)c - 2 : -1;
  case BY_STRING: return c == 1 ? 0 : -1;
  }
  return -1;
}

static void attribute(enum family f, const struct hs_heap *h, const struct hs_leak_scan *k,
                      const struct hs_spy_blocks *b, const uint32_t *spy, struct hs_group_stacks *out,
                      size_t ngroups) {
  size_t n = 0;
  for (size_t i = 0; i < h->nblocks; i++) n += group_of(f, h, k, i) >= 0;
  struct part *p = hs_xmalloc((n ? n : 1) * sizeof *p);
  n = 0;
  for (size_t i = 0; i < h->nblocks; i++) {
    int64_t g = group_of(f, h, k, i);
    if (g < 0 || (size_t)g >= ngroups) continue;
    const struct hsp_block *s = spy[i] ? &b->v[spy[i] - 1] : NULL;
    p[n++] = (struct part){ (uint32_t)g, s ? s->stack : 0, h->blocks[i].usable,
                            s ? HSP_BLOCK_SIZE(s) : 0 };
  }
  qsort(p, n, sizeof *p, cmp_part);
  for (size_t i = 0; i < n;) {
    struct hs_group_stacks *g = &out[p[i].group];
    size_t j = i;
    while (j < n && p[j].group == p[i].group) j++;
    g->v = hs_xcalloc(j - i, sizeof *g->v);
    for (size_t q = i; q < j; q++) {
      if (!p[q].stack) {
        g->unknown_blocks++;
        g->unknown_bytes += p[q].usable;
        continue;
      }
      if (!g->n || g->v[g->n - 1].stack != p[q].stack) g->v[g->n++].stack = p[q].stack;
      struct hs_stack_share *s = &g->v[g->n - 1];
      s->blocks++;
      s->bytes += p[q].usable;
      s->requested += p[q].requested;
    }
    qsort(g->v, g->n, sizeof *g->v, cmp_share);
    i = j;
  }
  free(p);
}

static void sort_once(struct hs_spy_blocks *b) {
  if (!b->sorted) b->n = b->v ? hsp_blocks_sort(b->v, b->n) : 0;
  b->sorted = 1;
}

size_t hs_spy_fronts_apply(struct hs_heap *h, struct hs_spy_blocks *b) {
  if (!b->front) return 0;
  sort_once(b);
  size_t j = 0, moved = 0;
  for (size_t i = 0; i < h->nblocks; i++) {
    struct hs_hblock *hb = &h->blocks[i];
    uint64_t user = hb->addr + b->front;
    while (j < b->n && !(b->v[j].ptr & HSP_PTR_CUSTOM) && b->v[j].ptr < user) j++;
    if (j < b->n && b->v[j].ptr == user && hb->usable >= b->front) {
      hb->addr = user;
      hb->usable -= b->front;
      moved++;
    }
  }
  h->spy_front_blocks = moved;
  h->spy_front_bytes = moved * b->front;
  return moved;
}

void hs_heap_stacks_make(const struct hs_heap *h, const struct hs_census *c,
                         const struct hs_leak_scan *k, struct hs_spy_blocks *b,
                         struct hs_heap_stacks *out) {
  memset(out, 0, sizeof *out);
  sort_once(b);
  out->spy = hs_xcalloc(h->nblocks ? h->nblocks : 1, sizeof *out->spy);
  /* both sorted by address: one pass */
  size_t j = 0;
  for (size_t i = 0; i < h->nblocks; i++) {
    const struct hs_hblock *hb = &h->blocks[i];
    while (j < b->n && !(b->v[j].ptr & HSP_PTR_CUSTOM) && b->v[j].ptr < hb->addr) j++;
    if (j < b->n && !(b->v[j].ptr & HSP_PTR_CUSTOM) && b->v[j].ptr < hb->addr + hb->usable) {
      out->spy[i] = (uint32_t)(j + 1);
      out->known_blocks++;
    } else {
      out->unknown_blocks++;
      out->unknown_bytes += hb->usable;
    }
  }
  out->ntypes = c->ntypes;
  out->types = hs_xcalloc(c->ntypes ? c->ntypes : 1, sizeof *out->types);
  attribute(BY_TYPE, h, k, b, out->spy, out->types, c->ntypes);
  attribute(BY_STRING, h, k, b, out->spy, &out->strings, 1);
  if (k) {
    out->nleaks = k->ngroups;
    out->leaks = hs_xcalloc(k->ngroups ? k->ngroups : 1, sizeof *out->leaks);
    attribute(BY_LEAK, h, k, b, out->spy, out->leaks, k->ngroups);
  }
}

static void free_groups(struct hs_group_stacks *g, size_t n) {
  for (size_t i = 0; g && i < n; i++) free(g[i].v);
  free(g);
}

void hs_heap_stacks_free(struct hs_heap_stacks *s) {
  free(s->spy);
  free_groups(s->leaks, s->nleaks);
  free_groups(s->types, s->ntypes);
  free(s->strings.v);
  memset(s, 0, sizeof *s);
}
