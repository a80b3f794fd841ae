/*
 * trace_merge.h: every event of a profile's --trace in time order, all
 * threads merged: what an export replaying the run (heaptrack's +/-
 * stream, massif's snapshots) walks through.
 *
 * Order: by (ms, sequence number); in packed chunks the sequence number
 * is a checkpoint epoch (hst_format.h), so events of two threads within
 * one millisecond and one epoch come thread after thread. Each thread's
 * own events keep their order.
 *
 * Memory: one decoded chunk per thread whose chunk spans the current
 * moment, never the events of the whole trace. Must never hand out an
 * event of a trace that belongs to another run.
 */
#ifndef HS_TRACE_MERGE_H
#define HS_TRACE_MERGE_H

#include "analyze/model.h"
#include "profile/hst_read.h"

/* Opens m's PROFILE.trace after checking it belongs to m's run, warning
 * when it is incomplete (capped, disk full). 0, or -1 after a message. */
int hs_trace_open(struct hst_trace *tr, const struct hs_model *m);

struct hs_merge;
/* NULL after a message when there is no usable trace. */
struct hs_merge *hs_merge_open(const struct hs_model *m);
/* 1 with *e filled, 0 at the end, -1 after a message (corrupt chunk). */
int hs_merge_next(struct hs_merge *g, struct hst_event *e);
void hs_merge_close(struct hs_merge *g);

#endif
