/*
 * spy_lockgraph.c: the lock-order graph of --locks, kept in the profile
 * (struct hsp_locks): which locks were held when another was acquired,
 * with the stacks of the first sighting of each ordered pair and the set
 * of other locks held at every sighting (gate locks: an inversion always
 * taken under one common outer lock cannot deadlock).
 *
 * Lookups are lock-free: node and edge slots are published by a release
 * store of their key after the record is written, and never move (fixed
 * capacity; when a table fills, hsp_locks.full says so). Inserts and gate
 * updates take the graph lock, a leaf below which only the arena runs.
 * The steady state of a program that keeps taking the same locks in the
 * same order only reads.
 *
 * Must never: call the real pthread functions, unwind, or look up the
 * block table while holding the graph lock.
 */
#include "spy.h"
#include "spy_locks.h"

#define NODES_CAP SPY_LOCK_NODES_CAP
#define EDGES_CAP SPY_LOCK_EDGES_CAP
_Static_assert((NODES_CAP & (NODES_CAP - 1)) == 0 && (EDGES_CAP & (EDGES_CAP - 1)) == 0,
               "the node and edge tables mask their hashes with capacity - 1");

static struct hsp_locks *graph;
struct hsp_lock_node *spy_lock_nodes;
struct hsp_lock_edge *spy_lock_edges;
#define nodes spy_lock_nodes
#define edges spy_lock_edges
static uint32_t setup_lock;

#define mix spy_lockgraph_mix

/* The tables, allocated at the first acquisition. */
static int ready(void) {
  if (SPY_LIKELY(__atomic_load_n(&edges, __ATOMIC_ACQUIRE) != NULL)) return 1;
  spy_lock(&setup_lock);
  if (!edges) {
    uint64_t goff, noff, eoff;
    struct hsp_locks *g = spy_arena_alloc(sizeof *g, &goff);
    struct hsp_lock_node *n = g ? spy_arena_alloc(NODES_CAP * sizeof *n, &noff) : NULL;
    struct hsp_lock_edge *e = n ? spy_arena_alloc(EDGES_CAP * sizeof *e, &eoff) : NULL;
    if (e) {
      g->nodes_off = noff;
      g->nodes_cap = NODES_CAP;
      g->edges_off = eoff;
      g->edges_cap = EDGES_CAP;
      graph = g;
      nodes = n;
      __atomic_store_n(&spy_hdr->locks_off, goff, __ATOMIC_RELEASE);
      __atomic_store_n(&edges, e, __ATOMIC_RELEASE);
    }
  }
  spy_unlock(&setup_lock);
  return edges != NULL;
}

static uint32_t find_node(uint64_t addr) {
  uint64_t mask = NODES_CAP - 1;
  for (uint64_t i = mix(addr) & mask, k = 0; k < NODES_CAP; i = (i + 1) & mask, k++) {
    uint64_t a = __atomic_load_n(&nodes[i].addr, __ATOMIC_ACQUIRE);
    if (!a) return 0;
    if (a == addr && !__atomic_load_n(&nodes[i].dead, __ATOMIC_RELAXED)) return (uint32_t)i + 1;
  }
  return 0;
}

uint32_t spy_lockgraph_node(uint64_t addr, unsigned kind, uint32_t stack) {
  if (!ready()) return 0;
  uint32_t id = find_node(addr);
  if (SPY_LIKELY(id)) return id;
  struct hsp_block b;
  int in_heap = spy_block_containing(addr, &b);
  spy_lock(&graph->lock);
  id = find_node(addr);
  if (!id && (graph->nodes_count + 1) * 4 <= NODES_CAP * 3) {
    uint64_t mask = NODES_CAP - 1, i = mix(addr) & mask;
    while (nodes[i].addr) i = (i + 1) & mask;
    nodes[i].kind = kind;
    nodes[i].first_stack = stack;
    if (in_heap) {
      nodes[i].block_ptr = HSP_ADDR(b.ptr);
      nodes[i].block_size = HSP_BLOCK_SIZE(&b);
      nodes[i].block_stack = b.stack;
    }
    __atomic_store_n(&nodes[i].addr, addr, __ATOMIC_RELEASE);
    graph->nodes_count++;
    id = (uint32_t)i + 1;
  } else if (!id) {
    graph->full = 1;
  }
  spy_unlock(&graph->lock);
  return id;
}

/* A new lock at this address will be a new node: edges of the old one
 * must not join it into cycles it was never part of. */
void spy_lockgraph_destroyed(uint64_t addr) {
  if (!ready()) return;
  spy_lock(&graph->lock);
  uint32_t id = find_node(addr);
  if (id) __atomic_store_n(&nodes[id - 1].dead, 1, __ATOMIC_RELAXED);
  spy_unlock(&graph->lock);
}

static struct hsp_lock_edge *find_edge(uint64_t key, uint64_t *free_slot) {
  uint64_t mask = EDGES_CAP - 1;
  for (uint64_t i = mix(key) & mask, k = 0; k < EDGES_CAP; i = (i + 1) & mask, k++) {
    uint64_t kk = __atomic_load_n(&edges[i].key, __ATOMIC_ACQUIRE);
    if (kk == key) return &edges[i];
    if (!kk) { if (free_slot) *free_slot = i; return NULL; }
  }
  if (free_slot) *free_slot = EDGES_CAP;
  return NULL;
}

static int member(uint32_t x, const uint32_t *set, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    if (set[i] == x) return 1;
  return 0;
}

/* With the graph lock held: keep only the gates held now too. */
static void intersect(struct hsp_lock_edge *e, const uint32_t *gates, unsigned ngates) {
  unsigned w = 0;
  for (unsigned i = 0; i < e->ngates; i++)
    if (member(e->gates[i], gates, ngates)) e->gates[w++] = e->gates[i];
  __atomic_store_n(&e->ngates, w, __ATOMIC_RELEASE);
}

uint32_t spy_lockgraph_edge(uint32_t from, uint32_t to, uint32_t from_stack,
                            uint32_t to_stack, const uint32_t *gates, unsigned ngates) {
  if (!from || !to || from == to || !edges) return 0;
  uint64_t key = (uint64_t)from << 32 | to;
  struct hsp_lock_edge *e = find_edge(key, NULL);
  if (SPY_LIKELY(e != NULL)) {
    uint32_t ref = (uint32_t)(e - edges) + 1;
    spy_lockgraph_seen(ref);
    unsigned n = __atomic_load_n(&e->ngates, __ATOMIC_ACQUIRE);
    int stale = 0;
    for (unsigned i = 0; i < n && !stale; i++) stale = !member(e->gates[i], gates, ngates);
    if (SPY_UNLIKELY(stale)) {
      spy_lock(&graph->lock);
      intersect(e, gates, ngates);
      spy_unlock(&graph->lock);
    }
    return ref;
  }
  spy_lock(&graph->lock);
  uint64_t slot = EDGES_CAP;            /* none, unless find_edge met a free one */
  e = find_edge(key, &slot);
  if (e) {
    intersect(e, gates, ngates);
  } else if ((graph->edges_count + 1) * 4 <= EDGES_CAP * 3 && SPY_ALWAYS(slot < EDGES_CAP)) {
    /* (at most 3/4 full, so find_edge met a free slot) */
    e = &edges[slot];
    e->from_stack = from_stack;
    e->to_stack = to_stack;
    e->tid = spy_gettid();
    e->count = 1;
    unsigned w = 0;
    for (unsigned i = 0; i < ngates && w < HSP_GATES; i++) e->gates[w++] = gates[i];
    e->ngates = w;
    __atomic_store_n(&e->key, key, __ATOMIC_RELEASE);
    graph->edges_count++;
  } else {
    graph->full = 1;
    e = NULL;
  }
  spy_unlock(&graph->lock);
  return e ? (uint32_t)(e - edges) + 1 : 0;
}

/* Appended to the graph's list (offsets grow), published last. */
void spy_lockgraph_add_deadlock(const struct hsp_deadlock *d) {
  if (!ready()) return;
  uint64_t off;
  struct hsp_deadlock *rec = spy_arena_alloc(sizeof *rec, &off);
  if (!rec) return;
  *rec = *d;
  rec->next_off = 0;
  spy_lock(&graph->lock);
  uint64_t *link = &graph->deadlocks_off;
  while (*link) link = &((struct hsp_deadlock *)spy_arena_ptr(*link))->next_off;
  __atomic_store_n(link, off, __ATOMIC_RELEASE);
  graph->deadlocks_count++;
  spy_unlock(&graph->lock);
}

void spy_lockgraph_reset_lock(void) {
  setup_lock = 0;
  if (graph) graph->lock = 0;
}
