/*
 * heap_print.h: how `heapspy heap` shows what inspect/ found: the RSS
 * explained, arenas, the census, the leak scan and the verdict, as text
 * or as JSON with the SPEC's keys (heap_print.c). Prints only; never
 * reads the target.
 */
#ifndef HS_HEAP_PRINT_H
#define HS_HEAP_PRINT_H

#include "analyze/model.h"
#include "inspect/glibc_heap.h"
#include "inspect/heap_census.h"
#include "inspect/heap_scan.h"
#include "inspect/heap_stacks.h"
#include "inspect/heap_summary.h"
#include "inspect/target.h"

/* What one `heapspy heap` found, for the printers. */
struct heap_view {
  unsigned long long top;             /* rows per table */
  const struct hs_target *t;
  const struct hs_libc *l;
  const struct hs_heap *h;
  const struct hs_heap_summary *s;
  const struct hs_census *c;
  const struct hs_leak_scan *leaks;   /* NULL: not scanned */
  const char *no_scan_why;
  /* a spied process: the allocation stacks of the groups (heap_stacks.h),
   * symbolized through the model of its profile; NULL when not spied or
   * the profile could not be read (stacks_why says why) */
  const struct hs_heap_stacks *stacks;
  const struct hs_spy_blocks *spy;
  struct hs_model *model;
  const char *profile;
  const char *stacks_why;
  double stop_ms;
  int stopped;
  char comm[64];
};

void hs_heap_print_text(const struct heap_view *x);
void hs_heap_print_json(const struct heap_view *x);

#endif
