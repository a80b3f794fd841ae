/*
 * heap_scan.h: the leak scan of `heapspy heap`: memcheck's reachability
 * rules over the in-use blocks of a heap walk (glibc_heap.h), from
 * outside: every aligned 8-byte word of the roots (each thread's general
 * registers, the live part of each thread's stack, every writable mapping
 * that is not glibc's heap: modules' data and bss, TLS, anonymous memory)
 * and of each reached block is a possible pointer.
 *
 *   still reachable  a chain of pointers to block starts from a root
 *                    (an interior pointer counts as a start when one of
 *                    memcheck's default heuristics says so: stdstring,
 *                    length64, newarray, multipleinheritance)
 *   possibly lost    only chains with an interior pointer reach it
 *   definitely lost  nothing reaches it
 *   indirectly lost  only lost blocks point to it
 *
 * Must never: write to the target, read a page the target never touched
 * (pagemap says which, live), recurse (a work list bounds the memory), or
 * treat glibc's own bookkeeping (main_arena, mp_, the heaps themselves)
 * as roots.
 */
#ifndef HS_HEAP_SCAN_H
#define HS_HEAP_SCAN_H

#include "inspect/glibc_heap.h"

enum hs_leak_kind {
  HS_LEAK_UNREACHED,        /* during the scan only */
  HS_LEAK_REACHABLE,
  HS_LEAK_POSSIBLE,
  HS_LEAK_INDIRECT,
  HS_LEAK_DEFINITE,
  HS_LEAK_NKINDS
};

enum hs_leak_heur {
  HS_HEUR_NONE,
  HS_HEUR_STDSTRING,
  HS_HEUR_LENGTH64,
  HS_HEUR_NEWARRAY,
  HS_HEUR_MULTIPLE_INHERITANCE,
  HS_HEUR_N
};

#define HS_LEAK_SAMPLE 64

/* Lost blocks (definitely, indirectly, possibly) of one kind and one C++
 * type (census >= 2) or, untyped, one usable size. */
struct hs_leak_group {
  enum hs_leak_kind kind;
  uint32_t census;          /* the blocks' census group (heap_census.h); < 2: by size */
  uint64_t size;            /* usable size, when grouped by size */
  uint64_t blocks, bytes;
  uint64_t sample_addr;
  uint8_t sample[HS_LEAK_SAMPLE];
  size_t sample_len;
  uint32_t made;            /* order made in, before groups were sorted (internal) */
};

struct hs_leak_scan {
  uint8_t *kind;            /* per block of the walk: enum hs_leak_kind */
  uint32_t *group;          /* per block: 1 + its index in groups; 0: still reachable */
  uint64_t bytes[HS_LEAK_NKINDS], blocks[HS_LEAK_NKINDS];
  uint64_t heur_bytes[HS_HEUR_N], heur_blocks[HS_HEUR_N];   /* still reachable via */
  uint64_t root_bytes;      /* bytes of roots scanned */
  uint64_t block_bytes;     /* bytes of blocks scanned */
  uint64_t unread_bytes;    /* of roots and blocks, not readable (counted as no pointers) */
  size_t root_regions;      /* mappings scanned as roots */
  size_t reg_threads;       /* threads whose registers were roots */
  size_t stack_threads;     /* threads whose stack was found from their sp */
  size_t tls_threads;       /* threads whose fs_base lies in a scanned root */
  int spied;                /* libheapspy.so is loaded in the target */
  double ms;                /* time the scan took */
  struct hs_leak_group *groups;   /* most bytes first */
  size_t ngroups;
};

/* Classifies every block of h (h->blocks[i].census set by hs_census_run
 * first, for the groups). Needs the target stopped (or a core). */
void hs_leak_scan(struct hs_target *t, const struct hs_libc *l, const struct hs_heap *h,
                  struct hs_leak_scan *s);
void hs_leak_scan_free(struct hs_leak_scan *s);

/* "definitely lost", ... */
const char *hs_leak_kind_name(enum hs_leak_kind k);
/* "stdstring", ... */
const char *hs_leak_heur_name(enum hs_leak_heur h);

#endif
