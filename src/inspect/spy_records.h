/*
 * spy_records.h: the live blocks a spied process records beside
 * themselves, read from its memory (see spy_records.c).
 */
#ifndef HS_SPY_RECORDS_H
#define HS_SPY_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile/hsp_format.h"

/* Appends to *v (n entries, grown with realloc) the blocks the spy of
 * process pid, whose profile header is h, keeps in records (none if it
 * keeps none, or its memory cannot be read); unsorted. The new count. */
size_t hs_spy_records_append(pid_t pid, const struct hsp_header *h, struct hsp_block **v, size_t n);
/* The same from memory read by read (a core file's: heap_stacks.c):
 * it fills buf with len bytes at addr and returns 0, or returns -1. */
typedef int (*hs_mem_read)(void *ctx, uint64_t addr, void *buf, size_t len);
size_t hs_spy_records_append_from(hs_mem_read read, void *ctx, const struct hsp_header *h,
                                  struct hsp_block **v, size_t n);

#endif
