/*
 * hst_codec.h: the event encoder of hst_format.h, shared by the spy (which
 * writes raw chunks) and `heapspy run` (which re-encodes them into packed
 * chunks). Static inline, no libc: it runs in the spy's hot path.
 * The caller guarantees HST_EVENT_MAX bytes of room at p.
 */
#ifndef HST_CODEC_H
#define HST_CODEC_H

#include <stdint.h>
#include "profile/hst_format.h"

/* What deltas are relative to; a chunk starts from t = t_first,
 * seq = seq_first - inc, addr = stack = 0. inc is what seq grows by
 * without a gap: 1 in raw chunks (sequence numbers), 0 in packed ones
 * (epochs, see HST_CHUNK_EPOCHS). */
struct hst_enc {
  uint64_t addr, seq;
  uint32_t stack, t;
  uint32_t inc;
};

/* The longest events, varint by varint (a uint32 takes 5 bytes, a uint64
 * 10, a family up to 0xffff 3): ALLOC/FREE/RESTORE tag, dt, gap, family,
 * address, size, stack delta (33 bits), age; MARK tag, dt, gap, cut, name
 * length, name. Both must fit the room the writers guarantee. */
_Static_assert(1 + 5 + 10 + 3 + 10 + 10 + 5 + 5 <= HST_EVENT_MAX, "a block event fits HST_EVENT_MAX");
_Static_assert(1 + 5 + 10 + 10 + 1 + HST_NAME_MAX <= HST_EVENT_MAX, "a mark fits HST_EVENT_MAX");

static inline uint8_t *hst_put(uint8_t *p, uint64_t v) {
  while (v >= 0x80) { *p++ = (uint8_t)(v | 0x80); v >>= 7; }
  *p++ = (uint8_t)v;
  return p;
}
/* Zigzag in unsigned arithmetic: no shift of a negative value. */
static inline uint64_t hst_zigzag(int64_t v) {
  return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

/* The tag and the common prefix (t >= s->t, seq > s->seq). */
static inline uint8_t *hst_enc_head(struct hst_enc *s, uint8_t *p, unsigned kind, unsigned family,
                                    int realloc, uint32_t t, uint64_t seq) {
  unsigned tag = kind | (realloc ? HST_TAG_REALLOC : 0) | (t != s->t ? HST_TAG_DT : 0) |
                 (seq != s->seq + s->inc ? HST_TAG_GAP : 0) |
                 (family < HST_TAG_FAM_VARINT ? family : HST_TAG_FAM_VARINT) << HST_TAG_FAM_SHIFT;
  *p++ = (uint8_t)tag;
  if (tag & HST_TAG_DT) p = hst_put(p, t - s->t);
  if (tag & HST_TAG_GAP) p = hst_put(p, seq - s->seq - s->inc);
  if (family >= HST_TAG_FAM_VARINT) p = hst_put(p, family);
  s->t = t;
  s->seq = seq;
  return p;
}

/* ALLOC, FREE, RESTORE: the block (with_addr: raw chunks); FREE and
 * RESTORE then hst_put(age). */
static inline uint8_t *hst_enc_block(struct hst_enc *s, uint8_t *p, int with_addr, uint64_t addr,
                                     uint64_t size, uint32_t stack) {
  if (with_addr) p = hst_put(p, hst_zigzag((int64_t)(addr - s->addr)));
  p = hst_put(p, size);
  p = hst_put(p, hst_zigzag((int64_t)stack - (int64_t)s->stack));
  s->addr = addr;
  s->stack = stack;
  return p;
}

#endif
