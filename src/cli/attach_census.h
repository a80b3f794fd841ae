/*
 * attach_census.h: the blocks glibc holds in a process at `heapspy
 * attach`, from the outside heap walk (inspect/glibc_heap.c) done while
 * the process is stopped at the safe point of an injected call; handed to
 * the spy as a file of struct hsp_before records (spy/spy_before.c).
 *
 * Must never: walk a process that is not stopped, or fail the attach: a
 * heap that cannot be read only means no census (the report says so).
 */
#ifndef HS_ATTACH_CENSUS_H
#define HS_ATTACH_CENSUS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inspect/glibc_heap.h"

struct hs_attach_census {
  struct hs_libc libc;
  int usable;               /* libc located (its arena maybe only once stopped) */
  int arena_later;          /* main_arena to be searched for while stopped */
  int taken;                /* the walk ran and validated */
  uint64_t *addr, *size;    /* in-use blocks, sorted by address */
  size_t n;
  double walk_ms;
  char why[300];            /* no census: why */
  /* the second walk: written out for the spy before the process resumes */
  const struct hs_attach_census *base;   /* the walk before the spy was loaded */
  int fd;
  long written;             /* records written, -1 if none */
  uint64_t left_blocks, left_bytes;      /* in this walk only: the spy's loading */
};

/* Finds the process's libc (outside any stop). base: NULL for the first
 * walk; for the second, the first, and fd the file to write. */
void hs_attach_census_init(struct hs_attach_census *c, pid_t pid,
                           const struct hs_attach_census *base, int fd);
/* hs_inject_stopped_fn: the walk (and the write), ctx a struct
 * hs_attach_census. */
void hs_attach_census_take(struct hs_target *t, void *ctx);
void hs_attach_census_free(struct hs_attach_census *c);

#endif
