/*
 * hsp_read.h: a validating reader for .hsp profiles. It never trusts the
 * file: every offset and count is bounds-checked, so a truncated,
 * corrupted or future-version profile yields a one-line error naming what
 * is wrong, never a crash or a hang.
 */
#ifndef HSP_READ_H
#define HSP_READ_H

#include <stddef.h>
#include <stdint.h>
#include "profile/hsp_format.h"

struct hsp_profile {
  const uint8_t *data;
  size_t size;
  const struct hsp_header *hdr;
  int incomplete;           /* disk was full: some records are missing */
  char path[1024];
};

/* Opens and validates path. Returns 0, or -1 with a message in err. */
int hsp_open(struct hsp_profile *p, const char *path, char *err, size_t errlen);
void hsp_close(struct hsp_profile *p);

/* Pointer to len bytes at off, or NULL if any of it lies outside or off
 * is not 8-aligned (every record is). */
const void *hsp_at(const struct hsp_profile *p, uint64_t off, uint64_t len);

/* The stack with this id, or NULL if it is not a valid record. */
const struct hsp_stack *hsp_stack(const struct hsp_profile *p, uint32_t id);

/* The most frames a stack may have; deeper ones are corrupt. */
#define HSP_STACK_MAX_DEPTH 1024

/* The pcs of s's frames, innermost first, into pc[0..max): walks its frame
 * nodes from the leaf. Returns how many were written: s->depth (or max if
 * less), fewer if the walk meets a node that is not valid (out of the
 * file, or whose depth does not fit its place on the path). */
uint32_t hsp_stack_frames(const struct hsp_profile *p, const struct hsp_stack *s,
                          uint64_t *pc, uint32_t max);

/* Ids of every recorded stack (valid per hsp_stack), ascending, no
 * duplicates. Caller frees *out. Returns the count (0 and *out = NULL if
 * the stack table is missing or out of memory). */
size_t hsp_stack_ids(const struct hsp_profile *p, uint32_t **out);

/* Module records in recording order; returns count, fills up to max. */
size_t hsp_modules(const struct hsp_profile *p, const struct hsp_module **out,
                   size_t max);

/* Live blocks, deduplicated, sorted by address. Caller frees *out. */
size_t hsp_live_blocks(const struct hsp_profile *p, struct hsp_block **out);
/* ... in two steps: the copy of the table as the shards hold it (quick,
 * for a moment the process is held still), then hsp_blocks_sort (sorts by
 * key, drops duplicates; returns the count left). */
size_t hsp_live_blocks_copy(const struct hsp_profile *p, struct hsp_block **out);
size_t hsp_blocks_sort(struct hsp_block *v, size_t n);

/* Per-family counters summed over shards (HSP_MAX_FAMILIES entries). */
void hsp_family_totals(const struct hsp_profile *p,
                       struct hsp_family_counts out[HSP_MAX_FAMILIES]);
/* --sample's exact call totals (allocations, frees of non-null pointers,
 * bytes allocated): the threads' live counts summed, or, in a file that
 * has none, as of the spy's last flush. */
void hsp_sample_totals(const struct hsp_profile *p, uint64_t *allocs, uint64_t *frees,
                       uint64_t *bytes);

/* Leak kind of the block at ptr from the last scan (HSP_LEAK_*). */
unsigned hsp_verdict_for(const struct hsp_profile *p, uint64_t ptr);
/* The blocks from before `heapspy attach` (HSP_FLAG_ATTACHED): *n of
 * them, or NULL (*n = 0) if the profile has none or they do not fit. */
const struct hsp_before *hsp_before_blocks(const struct hsp_profile *p, uint64_t *n);

/* Checkpoints (marks) in order; returns count, fills up to max. */
size_t hsp_marks(const struct hsp_profile *p, const struct hsp_mark **out,
                 size_t max);

/* The live heap by site recorded at a mark; returns count (0 if none). */
size_t hsp_mark_sites(const struct hsp_profile *p, const struct hsp_mark *m,
                      const struct hsp_site **out);

/* How a scan went: the mark's leak check, or with m NULL the last scan
 * (the verdicts'). NULL if that scan did not run or is not in the file. */
const struct hsp_scan_info *hsp_scan_info(const struct hsp_profile *p, const struct hsp_mark *m);

/* Timeline points in time order; returns count (0 if none). */
size_t hsp_timeline(const struct hsp_profile *p, const struct hsp_tick **out);

/* --locks: the graph header and its node and edge tables, all bounds-
 * checked (NULL: --locks was off or the tables are not in the file). */
const struct hsp_locks *hsp_locks(const struct hsp_profile *p,
                                  const struct hsp_lock_node **nodes,
                                  const struct hsp_lock_edge **edges);

/* Errors found during the run, in order; returns count, fills up to max. */
/* --locks: deadlocks found in progress, in order (bounds-checked). */
size_t hsp_deadlocks(const struct hsp_profile *p, const struct hsp_locks *g,
                     const struct hsp_deadlock **out, size_t max);
size_t hsp_errors(const struct hsp_profile *p, const struct hsp_error **out, size_t max);

/* Threads still running when exit started; returns count (0 if none). */
size_t hsp_exit_threads(const struct hsp_profile *p, const struct hsp_exit_thread **out);

/* 1 if path is a regular file holding the profile of process pid (its
 * header's magic and pid; a --trace file or another run's profile is
 * not), else 0. Opens nothing but a regular file, reads only a header. */
int hsp_is_profile_of(const char *path, int32_t pid);

/* Record the program's exit status (heapspy run does, after waiting). */
int hsp_write_exit(const char *path, int code, int sig, uint64_t wall_ms);

#endif
