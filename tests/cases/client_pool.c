/*
 * client_pool.c: test program for t1040-cxx-and-client.sh: the client
 * header heapspy.h. A tiny pool allocator carves 64-byte blocks out of
 * one malloc'd 4096-byte slab and tells the spy with HEAPSPY_ALLOC_LIKE /
 * HEAPSPY_FREE_LIKE, so its blocks get a family "pool" of their own.
 *
 *   malloc   1 slab of 4096 bytes, freed at the end  => allocs 1, frees 1
 *   pool     6 blocks of 64 handed out, 4 given back  => allocs 6,
 *            frees 4, bytes 384, in use 128 bytes in 2 blocks
 *   HEAPSPY_CHECKPOINT("halfway") right after the 6 pool allocations:
 *            in use then: the slab + 6 pool blocks = 4096 + 384 bytes in
 *            7 blocks
 * Prints "running=<HEAPSPY_RUNNING()>" and exits 0. No stdio.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heapspy.h"

static char *slab;
static int used;

static void *pool_get(void) {
  void *p = slab + 64 * used++;
  HEAPSPY_ALLOC_LIKE("pool", p, 64); /* POOL-SITE */
  return p;
}

static void pool_put(void *p) { HEAPSPY_FREE_LIKE("pool", p); }

/* The pool's whole life, in a frame of its own that main then scrubs, so
 * no stale copy of a block address survives on the stack (a conservative
 * scan, valgrind's included, would count such a copy as a reference). */
__attribute__((noinline)) void use_pool(void) {
  slab = malloc(4096);
  if (!slab) abort();
  void *b[6];
  for (int i = 0; i < 6; i++) b[i] = pool_get();
  HEAPSPY_CHECKPOINT("halfway");
  for (int i = 0; i < 4; i++) pool_put(b[i]);
  free(slab);
  slab = NULL;
}

/* Zero the 16 KiB of dead stack below the caller's stack pointer, so no
 * stale copy of a lost block's address survives where a conservative
 * scan (valgrind's or heapspy's) would later read it. Inline asm: a
 * function's own frame would leave a gap right below the caller. */
#define SCRUB_DEAD_STACK()                                              \
  __asm__ volatile("lea -16384(%%rsp), %%rdi\n\tmov $2048, %%ecx\n\t" \
                   "xor %%eax, %%eax\n\trep stosq"                     \
                   ::: "rdi", "rcx", "rax", "memory", "cc")

int main(void) {
  const char *r = HEAPSPY_RUNNING() ? "running=1\n" : "running=0\n";
  ssize_t w = write(1, r, strlen(r));
  use_pool();
  SCRUB_DEAD_STACK();
  w = write(1, "pool done\n", 10);
  (void)w;
  return 0;
}
