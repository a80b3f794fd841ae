/*
 * hsp_pending.h: the live-block table operations a single-threaded
 * process has left pending (struct hsp_pending_ring, hsp_format.h),
 * replayed over the table as the spy will apply them. Shared by the
 * profile reader (hsp_read.c: live blocks and family totals, also of a
 * process killed by SIGKILL) and the spy's crash path, which must not
 * change the table from a signal handler (spy_blocks_best), so both see
 * the same blocks.
 *
 * Each address the queue names gets a state: where it stands in the
 * table at the start (hsp_pending_note, over every table entry), then
 * after each operation in order (hsp_pending_run). Replaying is
 * idempotent for the blocks (an add replaces the address's entry, a free
 * removes it), so the operation at head, which the table may have
 * already (the spy was applying it), needs care only for the counters:
 * it counts where the table does not have it yet.
 *
 * Must never: allocate, lock, or trust the ring (a dead or corrupt
 * process wrote it): bounded by HSP_PENDING_MAX whatever head and tail say.
 */
#ifndef HSP_PENDING_H
#define HSP_PENDING_H

#include <stdint.h>
#include <string.h>
#include "profile/hsp_format.h"

struct hsp_pending_replay {
  unsigned n;
  struct hsp_pending op[HSP_PENDING_MAX];
  uint8_t home[HSP_PENDING_MAX];         /* first op on the same address */
  uint8_t live[HSP_PENDING_MAX];         /* at home: the address's block exists */
  struct hsp_block blk[HSP_PENDING_MAX]; /* ... and is this */
  uint64_t bloom;                        /* bit (ptr >> 4) % 64 of each address */
};

static inline uint64_t hsp_pending_bloom_bit(uint64_t ptr) { return 1ull << ((ptr >> 4) & 63); }

/* Read as the spy writes: tail, then the operations, then head again; an
 * operation the spy applied meanwhile is left out (the table has it).
 * A ring that cannot be (tail before head, more than it holds) is none. */
static inline void hsp_pending_read(const struct hsp_pending_ring *ring,
                                    struct hsp_pending_replay *r) {
  memset(r, 0, sizeof *r);
  uint64_t tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
  uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
  if (tail - head > HSP_PENDING_MAX) return;
  unsigned m = 0;
  for (uint64_t i = head; i < tail; i++) r->op[m++] = ring->op[i % HSP_PENDING_MAX];
  uint64_t now = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
  if (now - head > tail - head) return;
  for (unsigned j = (unsigned)(now - head); j < m; j++) {   /* kept ones move down */
    struct hsp_pending op = r->op[j];
    if (!op.block.ptr || (op.kind != HSP_PENDING_ADD && op.kind != HSP_PENDING_FREE)) continue;
    unsigned k = r->n++, h = k;
    r->op[k] = op;
    for (unsigned i = 0; i < k; i++)
      if (r->op[i].block.ptr == op.block.ptr) { h = r->home[i]; break; }
    r->home[k] = (uint8_t)h;
    r->bloom |= hsp_pending_bloom_bit(op.block.ptr);
  }
}

/* A table entry: 1 if the queue names its address (its final state then
 * comes from hsp_pending_run, not from the table). */
static inline int hsp_pending_note(struct hsp_pending_replay *r, const struct hsp_block *b) {
  if (!(r->bloom & hsp_pending_bloom_bit(b->ptr))) return 0;
  for (unsigned k = 0; k < r->n; k++)
    if (r->home[k] == k && r->op[k].block.ptr == b->ptr) {
      r->live[k] = 1;
      r->blk[k] = *b;
      return 1;
    }
  return 0;
}

/* The operations in order, each address's state after them; the
 * counters (if given) as the spy's add and take change them. Then, for
 * each k with home[k] == k and live[k], blk[k] is a live block. */
static inline void hsp_pending_run(struct hsp_pending_replay *r, struct hsp_family_counts *fam) {
  for (unsigned k = 0; k < r->n; k++) {
    const struct hsp_pending *op = &r->op[k];
    unsigned h = r->home[k];
    int add = op->kind == HSP_PENDING_ADD;
    int done = k == 0 && r->live[h] == add;    /* the table has it already */
    if (fam && !done) {
      if (r->live[h]) {                          /* a free, or an add over a missed free */
        struct hsp_family_counts *c = &fam[HSP_BLOCK_FAMILY(&r->blk[h]) % HSP_MAX_FAMILIES];
        c->frees += !add;
        c->in_use_bytes -= HSP_BLOCK_SIZE(&r->blk[h]);
        c->in_use_blocks--;
      }
      if (add) {
        struct hsp_family_counts *c = &fam[HSP_BLOCK_FAMILY(&op->block) % HSP_MAX_FAMILIES];
        c->allocs++;
        c->bytes_allocated += HSP_BLOCK_SIZE(&op->block);
        c->in_use_bytes += HSP_BLOCK_SIZE(&op->block);
        c->in_use_blocks++;
      }
    }
    r->live[h] = (uint8_t)add;
    if (add) r->blk[h] = op->block;
  }
}

#endif
