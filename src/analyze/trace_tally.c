/*
 * trace_tally.c: see trace_tally.h. The sums live densely in t->slot, in
 * the order their (stack, family) was first seen; common/hashmap finds
 * a pair's sum.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/trace_tally.h"
#include "common/util.h"

void hs_tally_init(struct hs_tally *t) {
  memset(t, 0, sizeof *t);
}

void hs_tally_free(struct hs_tally *t) {
  free(t->slot);
  hs_map_free(&t->index);
  memset(t, 0, sizeof *t);
}

void hs_tally_clear(struct hs_tally *t) {
  hs_map_clear(&t->index);
  t->count = 0;
}

void hs_tally_add(struct hs_tally *t, uint32_t stack, unsigned family, int64_t bytes,
                  int64_t blocks) {
  uint64_t *v = hs_map_slot(&t->index, (uint64_t)family << 32 | stack);
  if (!v) hs_die(1, "out of memory");
  if (!*v) {
    if (t->count == t->cap) {
      t->cap = t->cap ? t->cap * 2 : 256;
      t->slot = hs_xrealloc(t->slot, t->cap * sizeof *t->slot);
    }
    t->slot[t->count] = (struct hst_sum){ .stack = stack, .family = (uint16_t)family };
    *v = ++t->count;
  }
  struct hst_sum *s = &t->slot[*v - 1];
  s->bytes += bytes;
  s->blocks += blocks;
}

size_t hs_tally_pack(struct hs_tally *t) {
  size_t n = 0;
  for (size_t i = 0; i < t->count; i++)
    if (t->slot[i].bytes || t->slot[i].blocks) t->slot[n++] = t->slot[i];
  return n;
}
