/*
 * trace_walk.h: reading a profile's --trace file chunk by chunk
 * (report_at.c): open it and check it belongs to the profile's run, then
 * decode one chunk at a time and hand each event to a callback. Holds one
 * chunk's buffer, never the events of the whole trace.
 */
#ifndef HS_TRACE_WALK_H
#define HS_TRACE_WALK_H

#include "analyze/model.h"
#include "profile/hst_read.h"

struct hs_walk {
  struct hst_trace tr;
  uint8_t *buf;
  struct hst_sum *sum;      /* one chunk's index */
  size_t sum_cap;
  uint64_t chunks, decoded;
  char err[1200];
};

/* PROFILE.trace of m's run; warns when it was cut short. 0, or -1 after
 * a message. */
int hs_walk_open(struct hs_walk *w, struct hs_model *m);
void hs_walk_close(struct hs_walk *w);
/* Decode the chunk at off and call fn on every event until fn returns
 * non-zero (then 1); 0 at the chunk's end; -1 (after a message) on
 * corruption. */
int hs_walk_events(struct hs_walk *w, uint64_t off, const struct hst_chunk *c,
                   int (*fn)(void *, const struct hst_event *), void *arg);

#endif
