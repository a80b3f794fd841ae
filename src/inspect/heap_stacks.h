/*
 * heap_stacks.h: who allocated the blocks `heapspy heap` found, when the
 * process runs under heapspy (`run` or `attach`): the spy's live-block
 * table, read from its profile (profile/hsp_read.h) while the process is
 * stopped, is matched to the walk's blocks by address, and every leak
 * group and census group gets the allocation stacks of its blocks, most
 * bytes first, and the blocks the spy has no record of (allocated before
 * `heapspy attach`, left out by --sample, or by code the spy does not
 * see).
 *
 * Must never: write to the profile (the spy owns it), or give a block a
 * stack unless a live entry of the spy lies inside that block.
 */
#ifndef HS_HEAP_STACKS_H
#define HS_HEAP_STACKS_H

#include <sys/types.h>

#include "inspect/glibc_heap.h"
#include "inspect/heap_census.h"
#include "inspect/heap_scan.h"
#include "inspect/target.h"
#include "profile/hsp_format.h"

/* The spy's live blocks, as they were while the process was stopped. */
struct hs_spy_blocks {
  struct hsp_block *v;      /* as the shards hold them; once sorted, by key with
                             * pool blocks (HSP_PTR_CUSTOM) last */
  size_t n;
  int sorted;
  uint64_t sample_mean;     /* --sample: only sampled blocks are in the table */
  int attached;             /* `heapspy attach`: blocks from before are not */
  uint32_t front;           /* exact mode's records: each block's, before it */
};

/* The walk's blocks that hold a spy block b->front bytes in (exact mode's
 * record before it) made that block: address and usable size as the
 * program got them (glibc's totals stay glibc's). How many. */
size_t hs_spy_fronts_apply(struct hs_heap *h, struct hs_spy_blocks *b);

/* Blocks of one group that share an allocation stack. */
struct hs_stack_share {
  uint32_t stack;           /* the profile's stack id */
  uint64_t blocks, bytes;   /* bytes: usable, as the groups count them */
  uint64_t requested;       /* bytes the program asked for (the spy's sizes) */
};

struct hs_group_stacks {
  struct hs_stack_share *v; /* most bytes first */
  size_t n;
  uint64_t unknown_blocks, unknown_bytes;   /* blocks the spy has no record of */
};

struct hs_heap_stacks {
  uint32_t *spy;            /* per block of the walk: 1 + index in the spy's blocks, 0: none */
  uint64_t known_blocks, unknown_blocks, unknown_bytes;
  struct hs_group_stacks *leaks;   /* per leak group (NULL without a scan) */
  size_t nleaks;
  struct hs_group_stacks *types;   /* per census type */
  size_t ntypes;
  struct hs_group_stacks strings;  /* the census's strings */
};

/* Reads the live-block table of the profile at path, which must be the
 * profile of process pid (a forked child maps its parent's). Needs the
 * process stopped. 0, or -1 with one line in err. */
int hs_spy_blocks_read(const char *path, pid_t pid, struct hs_spy_blocks *b, char *err,
                       size_t errlen);
/* The same for a core file of such a process: the profile's table as
 * the file holds it now, the records from the core's memory. */
int hs_spy_blocks_read_core(const char *path, struct hs_target *t, struct hs_spy_blocks *b,
                            char *err, size_t errlen);
/* The profile of the process a core was taken from: a file the core
 * names (NT_FILE: the spy maps its profile) that is a heapspy profile
 * of the core's pid; NULL if none (not spied, or the file is gone).
 * Malloc'd. */
char *hs_core_profile(const struct hs_target *t);
void hs_spy_blocks_free(struct hs_spy_blocks *b);

/* Matches h's blocks to the spy's (sorting b first: the part of the
 * read that can wait until the process runs again) and makes the groups'
 * stacks; k may be NULL (no leak scan). */
void hs_heap_stacks_make(const struct hs_heap *h, const struct hs_census *c,
                         const struct hs_leak_scan *k, struct hs_spy_blocks *b,
                         struct hs_heap_stacks *out);
void hs_heap_stacks_free(struct hs_heap_stacks *s);

#endif
