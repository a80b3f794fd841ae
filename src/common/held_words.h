/*
 * held_words.h: the one sentence for "freed memory glibc holds", shared by
 * `heapspy heap`'s verdict (inspect/heap_summary.c) and the timeline's
 * (analyze/verdict.c), so the two commands name retention alike.
 *
 * Must never: compute a figure (the callers give them), or print.
 */
#ifndef HS_HELD_WORDS_H
#define HS_HELD_WORDS_H

#include <stddef.h>
#include <stdint.h>

/* "<subject> is freed memory held by glibc <where>, not live data" into
 * buf; <where> names thread_arenas (fragmentation) when nonzero, else
 * the bytes held (left out when 0) and what malloc_trim could do.
 * Returns the length written. */
size_t hs_held_words(char *buf, size_t len, const char *subject, size_t thread_arenas,
                     uint64_t held);

#endif
