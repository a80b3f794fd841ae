/*
 * heap_census.h: the in-use blocks of a heap walk by C++ type and as
 * strings (like DebugDiag's top allocations by type or WinDbg's
 * !heap -stat): a block whose first word points into a module's vtable
 * (a `_ZTV...` object symbol, past its offset-to-top and typeinfo words)
 * is an object of that class; a block holding NUL-terminated printable
 * text is a string. Each group keeps a sample block's first bytes.
 *
 * Must never: read more than the first bytes of a block, on the page its
 * chunk header already made resident (no untouched page is read).
 */
#ifndef HS_HEAP_CENSUS_H
#define HS_HEAP_CENSUS_H

#include "inspect/glibc_heap.h"

#define HS_SAMPLE_BYTES 64
#define HS_STRING_SAMPLES 5

struct hs_type_group {
  char *name;               /* demangled class, "vtable for " removed */
  char *module;             /* basename of the module holding the vtable */
  uint64_t blocks, bytes;
  uint64_t sample_addr;
  uint8_t sample[HS_SAMPLE_BYTES];
  size_t sample_len;
};

struct hs_census {
  struct hs_type_group *types;   /* most bytes first */
  size_t ntypes;
  uint64_t string_blocks, string_bytes;
  uint64_t string_addr[HS_STRING_SAMPLES];
  char *string_text[HS_STRING_SAMPLES];
  size_t nstring_samples;
  size_t vtables;                /* vtable symbols known */
};

/* Classifies h's in-use blocks (sets each block's census: 0 none, 1
 * string, 2 + index of its type). Needs the target readable as walked. */
void hs_census_run(struct hs_target *t, struct hs_heap *h, struct hs_census *c);
void hs_census_free(struct hs_census *c);

#endif
