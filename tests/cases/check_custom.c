/*
 * check_custom.c: custom allocator families under --check (t1460). A
 * pool and an arena carve blocks from one malloc'd slab and tell the spy
 * with HEAPSPY_ALLOC_LIKE / HEAPSPY_FREE_LIKE. Modes:
 *   clean          every block released by the family that made it
 *   wrong-family   a 48-byte "pool" block released by "arena"
 *   twice          a "pool" block released twice
 *   never          "pool" releases a pointer it never handed out
 * Prints "block=ADDR" of the block the bug is about; exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapspy.h"

static char *slab;

static void *get(const char *family, int i, size_t n) {
  void *p = slab + 64 * i;
  HEAPSPY_ALLOC_LIKE(family, p, n);
  return p;
}

static __attribute__((noinline)) void put(const char *family, void *p) {
  HEAPSPY_FREE_LIKE(family, p);   /* mark: put */
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "clean";
  slab = malloc(4096);
  void *a = get("pool", 0, 48), *b = get("arena", 1, 32);
  printf("block=%p\n", strcmp(m, "never") ? a : (void *)(slab + 64 * 5));
  fflush(stdout);
  if (!strcmp(m, "wrong-family")) put("arena", a);
  else put("pool", a);
  if (!strcmp(m, "twice")) put("pool", a);
  if (!strcmp(m, "never")) put("pool", slab + 64 * 5);
  put("arena", b);
  free(slab);
  return 0;
}
