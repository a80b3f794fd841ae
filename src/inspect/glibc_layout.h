/*
 * glibc_layout.h: the byte layout of glibc 2.36's malloc structures on
 * x86-64 (LP64, MALLOC_ALIGNMENT 16), as this heapspy reads them. The
 * offsets were checked against libc6-dbg's DWARF (gdb: ptype struct
 * malloc_state, malloc_par, _heap_info, tcache_perthread_struct).
 *
 * Must never: be used for another glibc version or architecture
 * (glibc_libc.c refuses those before anything here is read).
 */
#ifndef HS_GLIBC_LAYOUT_H
#define HS_GLIBC_LAYOUT_H

#define HS_GLIBC_VERSION "2.36"

/* struct malloc_state (sizeof 2200) */
#define HS_MS_MUTEX 0x0
#define HS_MS_FLAGS 0x4
#define HS_MS_FASTBINS 0x10          /* mfastbinptr fastbinsY[10] */
#define HS_NFASTBINS 10
#define HS_MS_TOP 0x60
#define HS_MS_LAST_REMAINDER 0x68
#define HS_MS_BINS 0x70              /* mchunkptr bins[254]: fd, bk of bins 1..127 */
#define HS_NBINS 127                 /* bin 1 unsorted, 2..63 small, 64..126 large */
#define HS_MS_BINMAP 0x860
#define HS_MS_NEXT 0x870
#define HS_MS_NEXT_FREE 0x878
#define HS_MS_ATTACHED 0x880
#define HS_MS_SYSTEM_MEM 0x888
#define HS_MS_MAX_SYSTEM_MEM 0x890
#define HS_MSTATE_SIZE 2200

/* struct malloc_par mp_ (sizeof 136) */
#define HS_MP_N_MMAPS 60             /* int */
#define HS_MP_MMAPPED_MEM 80
#define HS_MP_SBRK_BASE 96
#define HS_MP_TCACHE_BINS 104
#define HS_MP_TCACHE_COUNT 120
#define HS_MP_SIZE 136

/* heap_info (sizeof 48): ar_ptr, prev, size, mprotect_size, pagesize, pad */
#define HS_HI_AR_PTR 0
#define HS_HI_PREV 8
#define HS_HI_SIZE 16
#define HS_HI_MPROTECT 24
#define HS_HEAP_INFO_SIZE 48
#define HS_HEAP_MAX (64ull << 20)    /* HEAP_MAX_SIZE without hugetlb heaps */

/* malloc_chunk: prev_size, size, fd, bk, fd_nextsize, bk_nextsize */
#define HS_CH_SIZE 8
#define HS_CH_FD 16
#define HS_CH_BK 24
#define HS_PREV_INUSE 1ull
#define HS_IS_MMAPPED 2ull
#define HS_NON_MAIN_ARENA 4ull
#define HS_SIZE_BITS 7ull
#define HS_MINSIZE 32ull

/* tcache_perthread_struct (sizeof 640): uint16 counts[64], entries[64] */
#define HS_TCACHE_BINS 64
#define HS_TCACHE_STRUCT 640
#define HS_TCACHE_CHUNK 656          /* its chunk: 640 + 16, the size field 0x290 */
#define HS_TC_ENTRIES 128

/* Safe-linking (tcache and fastbin next pointers): stored = next ^ (where >> 12),
 * where is the address of the field holding it. */
#define HS_REVEAL(where, stored) ((stored) ^ ((where) >> 12))

#endif
