/*
 * held_words.c: the sentence for freed memory glibc holds (see
 * held_words.h). Must never: print.
 */
#include <stdio.h>

#include "common/held_words.h"
#include "common/util.h"

size_t hs_held_words(char *buf, size_t len, const char *subject, size_t thread_arenas,
                     uint64_t held) {
  char a[32], b[48] = "";
  int k;
  if (thread_arenas)
    k = snprintf(buf, len, "%s is freed memory held by glibc in %zu thread arena%s "
                 "(fragmentation), not live data", subject, thread_arenas,
                 thread_arenas == 1 ? "" : "s");
  else {
    if (held) snprintf(b, sizeof b, "%s: ", hs_human_bytes((double)held, a));
    k = snprintf(buf, len, "%s is freed memory held by glibc (%sfree chunks and top; "
                 "malloc_trim could return part of it), not live data", subject, b);
  }
  return k < 0 ? 0 : (size_t)k < len ? (size_t)k : len - 1;
}
