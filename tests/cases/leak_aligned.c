/*
 * leak_aligned.c: for t1420. Loses one over-aligned block (memalign 64,
 * 100 bytes), one plain one (malloc, 100 bytes) and one posix_memalign'd
 * 4 KiB-aligned one (200 bytes): valgrind calls all three definitely
 * lost. Under --check the first and last have a longer front and an
 * entry in --check's side table, which must not count as a pointer to
 * them.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;

/* The pointers live in this frame only, and each escapes (no call is
 * elided). */
static __attribute__((noinline)) int lose(void) {
  void *p = memalign(64, 100), *q = malloc(100), *r = NULL;
  if (posix_memalign(&r, 4096, 200)) return 1;
  memset(p, 1, 100);
  memset(q, 1, 100);
  memset(r, 1, 200);
  sink = p;
  sink = q;
  sink = r;
  sink = NULL;
  return 0;
}

/* Overwrites the dead frame lose() left, as a later call would. */
static __attribute__((noinline)) void scrub(void) {
  volatile char pad[4096];
  for (size_t i = 0; i < sizeof pad; i++) pad[i] = 0;
}

int main(void) {
  int failed = lose();
  scrub();
  return failed;
}
