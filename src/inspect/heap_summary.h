/*
 * heap_summary.h: what `heapspy heap` prints, computed from a heap walk
 * (glibc_heap.h) and the process's memory regions: RSS explained (live
 * heap, freed memory glibc holds, top chunks, glibc's overhead, and each
 * category of memory that is not heap), the in-use blocks by size, and a
 * one-sentence verdict chosen from those numbers.
 *
 * Must never: read the target (everything comes from the walk and the
 * regions), or print.
 */
#ifndef HS_HEAP_SUMMARY_H
#define HS_HEAP_SUMMARY_H

#include "inspect/glibc_heap.h"
#include "inspect/proc.h"

struct hs_nonheap {
  const char *category;     /* hs_kind_label's words */
  uint64_t bytes;           /* resident */
};

struct hs_size_row {
  uint64_t size, blocks, bytes;
};

struct hs_heap_summary {
  uint64_t rss;             /* every region's Rss (smaps), or the core's dumped bytes */
  struct hs_arena tot;      /* arenas and mmapped chunks summed */
  uint64_t heap_resident;   /* tot.resident[] summed */
  struct hs_nonheap nonheap[HS_R_NKINDS];
  size_t nnonheap;          /* sorted by bytes, largest first; zero rows left out */
  struct hs_size_row *sizes;/* distinct usable sizes, most bytes first */
  size_t nsizes;
  struct hs_size_row classes[64];  /* power-of-two classes: [2^k, 2^(k+1)) */
  char verdict[400];
};

/* rs may be NULL (a core: rss is the heap's and the dumped segments'). */
void hs_heap_summarize(const struct hs_heap *h, const struct hs_regions *rs,
                       struct hs_heap_summary *s);
void hs_heap_summary_free(struct hs_heap_summary *s);

#endif
