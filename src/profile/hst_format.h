/*
 * hst_format.h: the layout of a full event trace (`heapspy run --trace`),
 * shared by the spy that writes it and the analyzer that reads it.
 *
 * The trace is a companion file next to the profile, PROFILE.trace, not
 * a section of the profile: the profile stays small (every other report
 * maps it whole), the trace may grow to many GB without competing for the
 * profile's address reservation, and `heapspy run` can rewrite it
 * (compress, index) after the program ends without touching the profile.
 * The trace names the profile's pid and start time, so a stale trace
 * next to a newer profile is recognised.
 *
 * Layout: a header page, then chunks, each a fixed header followed by its
 * payload. Each thread fills chunks of its own (no lock per event) and
 * takes a new one when its chunk is full (a leaf lock per 64 KiB).
 * The file is MAP_SHARED and every event is published by a release store
 * of the chunk's `used` after its bytes: whatever kills the program, the
 * trace holds every event completed before death (at most the event in
 * flight per thread is lost).
 *
 * `heapspy run` then packs the file: each thread's raw chunks, in order,
 * are re-encoded into packed chunks of up to
 * HST_PACK_MAX event bytes, without block addresses (they are most of
 * the entropy: 0.6 of 1 MB for python3), compressed (zstd) and followed
 * by its index, the per-(stack, family) change of the
 * heap in use over the chunk. A report at any point sums the index of the
 * chunks wholly before it and decodes only the chunks that straddle it
 * (at most one per thread, as each thread's chunks follow its time line):
 * memory proportional to stacks, not to events.
 *
 * Events (payload) are variable length, self-describing:
 *   tag byte: bits 0-1 kind (HST_EV_*), bit 2 part of a realloc call,
 *             bit 3 a time delta follows, bit 4 a sequence gap follows,
 *             bits 5-7 family (7: a varint family follows).
 *   [dt ms varint] [seq gap - 1 varint] [family varint]
 *   ALLOC:   [addr (zigzag delta from the thread's last address): raw
 *            chunks only], size,
 *            stack (zigzag delta from the thread's last stack id)
 *   FREE, RESTORE: as ALLOC, then age = t - the block's allocation time
 *   MARK:    the cut (absolute sequence number: events before it are in
 *            the checkpoint), name length, name bytes
 * Frees carry the block's size, stack and age, so a report needs no map
 * from addresses to blocks: the heap by stack at any cut is a sum, and
 * the order of events from different threads does not matter for it.
 * Every table operation takes a global sequence number under its shard
 * lock; a checkpoint holds all shard locks, so its cut is exact.
 *
 * Plain C, <stdint.h> only. Bump HST_VERSION on any change.
 */
#ifndef HST_FORMAT_H
#define HST_FORMAT_H

#include <stdint.h>

#define HST_MAGIC        "HSTRACE\x1a"
#define HST_VERSION      1
#define HST_HEADER_SIZE  4096
#define HST_CHUNK_SIZE   65536          /* raw chunks: header + payload */
#define HST_PACK_MAX     (1u << 20)     /* packed chunks: events before compression */
#define HST_CHUNK_MAGIC  0x43545348u    /* "HSTC" */
#define HST_EVENT_MAX    128            /* longest encoded event */
#define HST_NAME_MAX     63             /* mark names, as hsp_mark */

enum hst_kind { HST_EV_ALLOC = 0, HST_EV_FREE = 1, HST_EV_MARK = 2, HST_EV_RESTORE = 3 };
#define HST_TAG_REALLOC 0x04
#define HST_TAG_DT      0x08
#define HST_TAG_GAP     0x10
#define HST_TAG_FAM_SHIFT 5
#define HST_TAG_FAM_VARINT 7

enum hst_flags {
  HST_FLAG_PACKED = 1u << 0,      /* chunks compressed and indexed */
  HST_FLAG_INCOMPLETE = 1u << 1,  /* the spy could not extend the file */
  HST_FLAG_CAPPED = 1u << 2,      /* ... because it reached --trace-cap, at capped_ms */
};

struct hst_header {
  char magic[8];
  uint32_t version;
  uint32_t header_size;     /* HST_HEADER_SIZE */
  int32_t pid;              /* of the profile this trace belongs to */
  uint32_t flags;           /* HST_FLAG_* */
  uint64_t start_unix_ns;   /* == the profile's */
  uint64_t file_size;       /* bytes reserved on disk */
  uint64_t used;            /* chunks lie in [header_size, used) */
  uint64_t chunks;          /* chunks handed out */
  uint64_t events;          /* packed: events in all chunks */
  uint64_t raw_bytes;       /* packed: payload bytes before compression */
  /* Added in the header page's zero tail without a version bump: a trace
   * written before it reads as 0, "not capped", which it was not. */
  uint32_t capped_ms;       /* with HST_FLAG_CAPPED: when recording stopped */
  uint32_t pad;
};

enum hst_codec { HST_RAW = 0, HST_ZSTD = 1 };

/* One chunk. Raw: payload capacity `cap` bytes, `used` of them valid
 * (release-stored after each event; t_last/seq_last/nevents are written
 * before it, so they may run one event ahead, never behind). Packed:
 * `used` compressed bytes decoding to raw_len bytes, then the index:
 * sum_len bytes of zstd decoding to nsummary entries of struct hst_sum,
 * each as varints (stack delta from the previous entry's, family, zigzag
 * bytes, zigzag blocks; entries sorted by stack); cap = used + sum_len. */
struct hst_chunk {
  uint32_t magic;           /* HST_CHUNK_MAGIC */
  int32_t tid;
  uint32_t cap;
  uint32_t used;
  uint32_t raw_len;
  uint16_t codec;           /* HST_RAW, HST_ZSTD */
  uint16_t marks;           /* mark events in the chunk */
  uint32_t nevents;
  uint32_t nsummary;
  uint32_t t_first, t_last; /* ms since start */
  uint64_t seq_first, seq_last;
  uint32_t flags;           /* HST_CHUNK_* */
  uint32_t sum_len;         /* packed: bytes of the compressed index */
};
/* Packed chunks keep no block addresses (the reports need none; like
 * heaptrack's file): ALLOC, FREE and RESTORE start at the size. */
#define HST_CHUNK_NOADDR 1u
/* Packed chunks replace sequence numbers by epochs: an event's epoch is
 * the number of checkpoint cuts at or below its sequence number, a mark's
 * cut becomes the epoch of the cut, so "seq < cut" keeps its meaning while
 * seq rarely changes (with threads, raw sequence numbers jump at nearly
 * every event). In such chunks seq grows by 0, not 1, without a gap. */
#define HST_CHUNK_EPOCHS 2u

/* The change of the heap in use over one chunk, per stack and family
 * (in memory; on disk as varints, see above). */
#define HST_SUM_MAX_BYTES 28      /* one entry as varints, at most */
struct hst_sum {
  uint32_t stack;
  uint16_t family;
  uint16_t pad;
  int64_t bytes;
  int64_t blocks;
};

#endif
