/*
 * glibc_heap.h: glibc 2.36's malloc heap (x86-64), read from outside
 * through target memory (target.h): where libc and its main_arena are
 * (glibc_libc.c), every arena, heap and chunk with what is in use and
 * what glibc holds freed (glibc_heap.c), and the census of in-use blocks
 * (heap_census.c).
 *
 * Must never: guess. An unsupported glibc, another allocator or a heap
 * that does not validate is said so in one line or one problem record;
 * every list walk and chunk walk is bounded.
 */
#ifndef HS_GLIBC_HEAP_H
#define HS_GLIBC_HEAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inspect/target.h"

/* ---- libc and main_arena (glibc_libc.c) -------------------------------- */

/* An ELF file's first PT_LOAD vaddr, page-aligned: a module mapped at
 * start has its link-time addresses at start - this. */
typedef struct Elf Elf;
uint64_t hs_elf_first_load(Elf *elf);

enum hs_libc_status {
  HS_LIBC_OK,
  HS_LIBC_NONE,            /* no libc.so.6 mapped: static, or musl */
  HS_LIBC_OTHER_ALLOC,     /* jemalloc, tcmalloc, mimalloc... mapped */
  HS_LIBC_VERSION,         /* a glibc this heapspy does not read */
  HS_LIBC_NO_ARENA,        /* main_arena not found */
};

struct hs_libc {
  char path[1024];         /* libc.so.6 as mapped */
  uint64_t bias;           /* load bias */
  char version[32];        /* "2.36" */
  char banner[160];        /* "GNU C Library (Debian GLIBC 2.36-9...) ..." */
  uint64_t main_arena, mp; /* addresses in the target (mp 0 if unknown) */
  int from_debuginfo;      /* 1: symbols of libc's debug file; 0: search */
  char debugfile[1024];
  /* libc's initial-exec TLS slots (TPOFF64 relocations): GOT slot and
   * offset in libc's TLS block; the walker reads the slot's value (the
   * offset from fs_base) to find each thread's tcache and arena. */
#define HS_LIBC_MAX_TLS 64
  struct { uint64_t got, addend; } tls[HS_LIBC_MAX_TLS];
  size_t ntls;
  uint64_t tcache_sym, arena_sym;       /* debug file: TLS offsets of tcache, thread_arena */
  int have_tcache_sym, have_arena_sym;
};

/* Finds libc, checks its version and the allocator, locates main_arena
 * (debug info first unless no_debuginfo, then the structural search).
 * On failure returns the status with one line (without "heapspy: heap: ")
 * in msg. The target may be running (the search is retried by the
 * caller once stopped). */
enum hs_libc_status hs_libc_locate(struct hs_target *t, int no_debuginfo, struct hs_libc *l,
                                   char *msg, size_t len);
/* The structural search for main_arena in libc's writable data; needs
 * a stopped (or still) target. 0 if found. */
int hs_libc_search_arena(struct hs_target *t, struct hs_libc *l);

/* ---- the heap (glibc_heap.c) --------------------------------------------- */

/* Byte categories of heap memory. */
enum hs_hcat { HS_H_INUSE, HS_H_FREE, HS_H_TOP, HS_H_OVERHEAD, HS_H_NCATS };

struct hs_arena {
  uint64_t addr;
  int is_main;
  uint64_t system_mem, attached_threads;
  size_t nheaps;
  uint64_t in_use_bytes, in_use_blocks;    /* usable sizes */
  uint64_t tcache_bytes, tcache_blocks;    /* freed into a thread's tcache */
  uint64_t fast_bytes, fast_blocks;        /* fastbins */
  uint64_t bin_bytes, bin_blocks;          /* unsorted, small and large bins */
  uint64_t top_bytes, overhead_bytes;
  uint64_t bin_size_fields;                /* bin chunks' size fields with their flag
                                            * bits, as malloc_info sums them */
  uint64_t bytes[HS_H_NCATS];              /* virtual bytes by category */
  uint64_t resident[HS_H_NCATS];           /* of those, resident */
  pid_t *tids;                             /* threads whose thread_arena is this one */
  size_t ntids;
};

struct hs_hblock {
  uint64_t addr;           /* what malloc returned (chunk + 16) */
  uint64_t usable;         /* malloc_usable_size */
  int32_t arena;           /* index in arenas, -1 for mmapped chunks */
  uint32_t census;         /* heap_census.c: its group, 0 = none */
};

/* A heap range (main heap, a thread arena's heap, an mmapped chunk). */
struct hs_hrange {
  uint64_t start, end;     /* what glibc uses (the RSS owned by the heap) */
  uint8_t *res;            /* one byte per page: 1 if resident */
};

struct hs_heap {
  struct hs_arena *arenas;
  size_t narenas;
  struct hs_arena mmapped; /* mmapped chunks, as one pseudo arena */
  struct hs_hblock *blocks;/* in-use blocks, sorted by address */
  size_t nblocks, capblocks;
  struct hs_hrange *ranges;
  size_t nranges;
  uint64_t tcache_structs, tcache_struct_bytes;
  char **problems;         /* "corrupt heap at 0x... (reason)" */
  size_t nproblems;
  uint64_t tolerated;      /* --no-stop: inconsistencies met */
  int no_stop;
  int have_residency;      /* resident[] is from pagemap or the core */
  int tcache_found;        /* the threads' tcache structs were found */
  /* under heapspy: blocks shown past the record the spy keeps in front of
   * them (hs_spy_fronts_apply), and those records' bytes, which glibc's
   * in-use counts hold and the blocks' usable sizes do not */
  uint64_t spy_front_blocks, spy_front_bytes;
};

/* Walks every arena, heap and mmapped chunk of the target. Never fails:
 * what does not validate becomes a problem and the walk goes on with the
 * next heap or arena. pagemap_pid: a live process whose pagemap gives
 * residency (0: none, everything counts as resident). */
void hs_heap_walk(struct hs_target *t, const struct hs_libc *l, int no_stop, struct hs_heap *h);
void hs_heap_free(struct hs_heap *h);

/* 1 if the page holding addr, in a heap range, is resident. */
int hs_heap_page_resident(const struct hs_heap *h, uint64_t addr);

/* Resident bytes of the heap ranges inside [start, end). */
uint64_t hs_heap_resident_in(const struct hs_heap *h, uint64_t start, uint64_t end);

/* Sums over arenas and mmapped chunks. */
void hs_heap_totals(const struct hs_heap *h, struct hs_arena *sum);

#endif
