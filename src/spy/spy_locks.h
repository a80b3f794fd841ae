/*
 * spy_locks.h: --locks: the locks each thread holds (TLS), the lock graph
 * in the profile (spy_lockgraph.c), the lock interceptors (spy_locks.c),
 * deadlocks in progress (spy_deadlock.c) and other threads' lock state
 * (spy_threads.c). A lock interceptor must never block inside the spy
 * while holding a spy lock, and never allocate.
 */
#ifndef SPY_LOCKS_H
#define SPY_LOCKS_H

#include "spy.h"

/* ---- --locks and threads (spy_locks.c, spy_lockgraph.c, spy_threads.c,
 * spy_errors.c) ------------------------------------------------------ */

/* Locks this thread holds, innermost last. Lives in TLS; spy_threads.c
 * reads other threads' copies (under their registry slot lock) when exit
 * starts. */
#define SPY_HELD_MAX 64
struct spy_held_entry {
  uint64_t addr;
  uint32_t node;            /* lock-graph node (0: graph full) */
  uint32_t stack;           /* acquisition */
  uint16_t kind, mode;      /* HSP_LOCK_*, HSP_MODE_* */
  uint32_t count;           /* recursive acquisitions */
};
struct spy_held {
  unsigned n;
  unsigned overflow;        /* acquisitions not listed (set was full) */
  uint32_t last_stack;      /* last tracked acquisition */
  uint64_t sig;             /* sum of a hash of (node, mode) over e[] */
  /* Blocked in an acquisition for a while (spy_deadlock.c): the lock, the
   * wait's number (new at each wait), mode, and the stack (captured at the
   * first check). Published by the thread, read by others. */
  uint64_t waiting;
  uint32_t wait_seq, wait_mode, wait_stack;
  struct spy_held_entry e[SPY_HELD_MAX];
};
static inline struct spy_held *spy_held_mine(void) {   /* spy_thread_mem.held */
  return (struct spy_held *)spy_mem()->held;
}
extern __thread int spy_lock_busy;     /* inside a lock interceptor */
extern int spy_locks_on;               /* --locks and the spy is ready */

void spy_locks_init(void);             /* resolve the real functions */
void spy_locks_fork_child(void);

/* The graph lives in the profile. Nodes: 0 when the table is full. Node
 * and edge ids are slot + 1 in tables of fixed capacity (powers of two). */
#define SPY_LOCK_NODES_CAP 16384
#define SPY_LOCK_EDGES_CAP 16384
uint32_t spy_lockgraph_node(uint64_t addr, unsigned kind, uint32_t stack);
void spy_lockgraph_destroyed(uint64_t addr);
/* `to` acquired while holding `from`; gates: the other locks held
 * exclusively at this sighting. Returns the edge's reference for
 * spy_lockgraph_seen (0: none, the table is full). */
uint32_t spy_lockgraph_edge(uint32_t from, uint32_t to, uint32_t from_stack,
                            uint32_t to_stack, const uint32_t *gates, unsigned ngates);
static inline uint64_t spy_lockgraph_mix(uint64_t x) {   /* the tables' hash */
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}
extern struct hsp_lock_node *spy_lock_nodes;
extern struct hsp_lock_edge *spy_lock_edges;
/* Node `node` is still the lock at addr (not destroyed). */
static inline int spy_lockgraph_node_live(uint32_t node, uint64_t addr) {
  SPY_DEBUG_ASSERT(node <= SPY_LOCK_NODES_CAP);
  return node && spy_lock_nodes[node - 1].addr == addr &&
         !__atomic_load_n(&spy_lock_nodes[node - 1].dead, __ATOMIC_RELAXED);
}
/* One more sighting of an edge, with the same gates. Counted without a
 * lock (a lost increment only makes the count approximate) and only up
 * to SPY_EDGE_COUNT_MAX: a hot edge shared by threads is then only read,
 * its cache line never bounces. */
#define SPY_EDGE_COUNT_MAX 65535
static inline int spy_lockgraph_seen(uint32_t ref) {   /* 1: saturated */
  SPY_DEBUG_ASSERT(ref >= 1 && ref <= SPY_LOCK_EDGES_CAP);
  struct hsp_lock_edge *e = &spy_lock_edges[ref - 1];
  uint64_t c = __atomic_load_n(&e->count, __ATOMIC_RELAXED);
  if (c >= SPY_EDGE_COUNT_MAX) return 1;
  __atomic_store_n(&e->count, c + 1, __ATOMIC_RELAXED);
  return 0;
}
void spy_lockgraph_reset_lock(void);

/* spy_deadlock.c: a thread blocked in an acquisition calls this every
 * SPY_DEADLOCK_CHECK_MS (without spy_busy raised and no spy lock held):
 * a cycle of blocked threads seen twice with the same waits is reported
 * once (stderr, profile) by its lowest tid; with --halt-on-error the
 * program is then stopped (SIGABRT). */
#define SPY_DEADLOCK_CHECK_MS 200
void spy_deadlock_check(void);
void spy_lockgraph_add_deadlock(const struct hsp_deadlock *d);

/* A copy of another thread's lock state (spy_threads.c). */
#define SPY_VIEW_HELD 16
struct spy_thread_view {
  int tid;
  uint64_t waiting;
  uint32_t wait_seq, wait_mode, wait_stack;
  unsigned nheld;
  struct spy_held_entry held[SPY_VIEW_HELD];
};
/* Every registered thread's state, each copied under its slot lock. */
unsigned spy_threads_views(struct spy_thread_view *out, unsigned max);
void spy_thread_name(int tid, char name[16]);

#endif
