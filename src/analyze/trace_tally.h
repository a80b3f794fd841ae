/*
 * trace_tally.h: the heap by (stack, family) as signed sums of trace
 * events: what a time-travel report and a chunk's index hold. Memory is
 * proportional to the distinct (stack, family) pairs seen, never to the
 * number of events added.
 */
#ifndef HS_TRACE_TALLY_H
#define HS_TRACE_TALLY_H

#include <stddef.h>
#include <stdint.h>
#include "common/hashmap.h"
#include "profile/hst_read.h"

struct hs_tally {
  struct hst_sum *slot;     /* [count], in the order first seen */
  size_t cap, count;
  struct hs_map index;      /* family << 32 | stack -> index + 1 into slot */
};

void hs_tally_init(struct hs_tally *t);
void hs_tally_free(struct hs_tally *t);
void hs_tally_clear(struct hs_tally *t);
void hs_tally_add(struct hs_tally *t, uint32_t stack, unsigned family, int64_t bytes,
                  int64_t blocks);
/* The non-zero entries, packed at the front of t->slot; returns their count.
 * The tally is unusable afterwards except for hs_tally_clear/free. */
size_t hs_tally_pack(struct hs_tally *t);

/* What one event does to the heap in use. */
static inline void hs_tally_event(struct hs_tally *t, const struct hst_event *e) {
  if (e->kind == HST_EV_MARK) return;
  int sign = e->kind == HST_EV_FREE ? -1 : 1;
  hs_tally_add(t, e->stack, e->family, sign * (int64_t)e->size, sign);
}

#endif
