/*
 * trace_tally.c: see trace_tally.h. An open-addressing table keyed by
 * (stack, family), doubled at half load.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/trace_tally.h"
#include "common/hs_assert.h"
#include "common/util.h"

static size_t home(uint32_t stack, unsigned family, size_t mask) {
  uint64_t k = ((uint64_t)family << 32 | stack) * 0x9e3779b97f4a7c15ull;
  return (size_t)(k >> 17) & mask;
}

void hs_tally_init(struct hs_tally *t) {
  t->cap = 256;
  t->count = 0;
  t->slot = hs_xcalloc(t->cap, sizeof *t->slot);
  t->used = hs_xcalloc(t->cap, 1);
}

void hs_tally_free(struct hs_tally *t) {
  free(t->slot);
  free(t->used);
  memset(t, 0, sizeof *t);
}

void hs_tally_clear(struct hs_tally *t) {
  memset(t->slot, 0, t->cap * sizeof *t->slot);
  memset(t->used, 0, t->cap);
  t->count = 0;
}

static struct hst_sum *find(struct hs_tally *t, uint32_t stack, unsigned family) {
  size_t mask = t->cap - 1, i = home(stack, family, mask);
  HS_DEBUG_ASSERT(t->count < t->cap && (t->cap & mask) == 0);   /* the probe ends */
  while (t->used[i] && (t->slot[i].stack != stack || t->slot[i].family != family))
    i = (i + 1) & mask;
  if (!t->used[i]) {
    t->used[i] = 1;
    t->slot[i].stack = stack;
    t->slot[i].family = (uint16_t)family;
    t->count++;
  }
  return &t->slot[i];
}

static void grow(struct hs_tally *t) {
  HS_ASSERT((t->cap & (t->cap - 1)) == 0 && t->count < t->cap);
  struct hs_tally n = { hs_xcalloc(t->cap * 2, sizeof *t->slot), hs_xcalloc(t->cap * 2, 1),
                        t->cap * 2, 0 };
  for (size_t i = 0; i < t->cap; i++)
    if (t->used[i]) *find(&n, t->slot[i].stack, t->slot[i].family) = t->slot[i];
  hs_tally_free(t);
  *t = n;
}

void hs_tally_add(struct hs_tally *t, uint32_t stack, unsigned family, int64_t bytes,
                  int64_t blocks) {
  if ((t->count + 1) * 2 > t->cap) grow(t);
  struct hst_sum *s = find(t, stack, family);
  s->bytes += bytes;
  s->blocks += blocks;
}

size_t hs_tally_pack(struct hs_tally *t) {
  size_t n = 0;
  for (size_t i = 0; i < t->cap; i++)
    if (t->used[i] && (t->slot[i].bytes || t->slot[i].blocks)) t->slot[n++] = t->slot[i];
  return n;
}
