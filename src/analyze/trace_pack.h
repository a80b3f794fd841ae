/*
 * trace_pack.h: turn the raw trace the spy wrote into the packed one
 * (hst_format.h): chunks compressed with zstd and indexed. Run by
 * `heapspy run` after the program has ended, so no compression ever runs
 * in the program's threads.
 */
#ifndef HS_TRACE_PACK_H
#define HS_TRACE_PACK_H

#include <stddef.h>
#include <stdint.h>

struct hs_pack_stats {
  uint64_t events, chunks;
  uint64_t raw_bytes;       /* event bytes before compression */
  uint64_t packed_bytes;    /* after packing */
  double seconds;
};

/* Packs path in place (through path.tmp and a rename). An already packed
 * trace is left alone. Returns 0, or -1 with err set (path untouched). */
int hs_trace_pack(const char *path, struct hs_pack_stats *st, char *err, size_t errlen);

#endif
