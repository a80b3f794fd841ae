/*
 * model_locks.h: what the report says about locks and threads, computed
 * from a profile: lock-order cycles (potential deadlocks, gated ones
 * flagged safe), lock names (allocation site of a heap lock, symbol of a
 * global), errors found during the run, threads still running at exit.
 * The renderers (report_locks.c) only format this.
 */
#ifndef HS_MODEL_LOCKS_H
#define HS_MODEL_LOCKS_H

#include "analyze/model.h"

#define HS_CYCLE_MAX 8        /* longest cycle searched */
#define HS_CYCLES_MAX 200     /* cycles reported */
#define HS_DEADLOCKS_MAX 16   /* deadlocks in progress reported */

struct hs_cycle {
  unsigned n;                                   /* locks (= edges) */
  uint32_t nodes[HS_CYCLE_MAX];                 /* node ids, smallest first */
  const struct hsp_lock_edge *edges[HS_CYCLE_MAX]; /* nodes[i] -> nodes[i+1 mod n] */
  uint32_t gate;                                /* node held around every edge; 0: none */
};

struct hs_locks {
  const struct hsp_locks *graph;               /* NULL: --locks was off */
  const struct hsp_lock_node *nodes;
  const struct hsp_lock_edge *edges;
  struct hs_cycle *cycles;                      /* unsafe first, then gated */
  size_t ncycles, nunsafe;
  int truncated;                                /* search bounds were hit */
  const struct hsp_deadlock *deadlocks[HS_DEADLOCKS_MAX]; /* in progress, found by the spy */
  size_t ndeadlocks;
  struct hsp_block *live;                       /* blocks in use at exit, by address */
  size_t nlive;
};

/* A lock as the report names it. */
struct hs_lock_desc {
  char name[384];      /* "global `lock_a` (prog)", "heap lock in a 64-byte block ..." */
  const char *kind;    /* "mutex", "rwlock", "spinlock", "lock" */
  uint32_t alloc_stack;/* heap lock: its block's allocation stack, else 0 */
};

void hs_locks_load(struct hs_model *m, struct hs_locks *l);
void hs_locks_free(struct hs_locks *l);

/* Node by id (NULL if invalid). */
const struct hsp_lock_node *hs_lock_node(const struct hs_locks *l, uint32_t id);
/* Describe the lock at addr (node id if known, else 0). */
void hs_lock_describe(struct hs_model *m, const struct hs_locks *l, uint64_t addr,
                      uint32_t node, struct hs_lock_desc *d);

/* SPEC name of an error kind ("lock_relock_deadlock"...). */
const char *hs_error_kind_name(unsigned kind);

#endif
