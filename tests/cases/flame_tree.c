/*
 * flame_tree.c: memory held at exit by a small tree of call stacks with
 * known bytes, in phases between checkpoints, for the viewers' tests
 * (t1226: speedscope reads the pprof, folded and chrome-trace outputs).
 *   main > build > leaf_small     3 x 1000 bytes   (kept)
 *   main > build > leaf_big       1 x 3000 bytes   (kept)
 *   main > grow                   1 x 5000 bytes   (kept, calloc)
 *   main > churn                  200 x 64 bytes   (freed at once)
 * Checkpoints "built" (after build), "grown" (after grow), "churned";
 * each phase sleeps so that it lasts a measurable time.
 */
#include <stdlib.h>
#include <time.h>

#include "heapspy.h"

#define NOINLINE __attribute__((noinline))

void *keep[8];   /* global: the compiler may not drop the allocations */
static int nkeep;

static void nap(int ms) {
  struct timespec ts = { 0, ms * 1000000L };
  nanosleep(&ts, NULL);
}

NOINLINE static void leaf_small(void) { keep[nkeep++] = malloc(1000); }
NOINLINE static void leaf_big(void) { keep[nkeep++] = malloc(3000); }

NOINLINE static void build(void) {
  for (int i = 0; i < 3; i++) leaf_small();
  leaf_big();
}

NOINLINE static void grow(void) { keep[nkeep++] = calloc(1, 5000); }

NOINLINE static void churn(void) {
  for (int i = 0; i < 200; i++) {
    void *volatile p = malloc(64);
    free(p);
  }
}

int main(void) {
  nap(30);
  build();
  HEAPSPY_CHECKPOINT("built");
  nap(30);
  grow();
  HEAPSPY_CHECKPOINT("grown");
  nap(30);
  churn();
  HEAPSPY_CHECKPOINT("churned");
  nap(30);
  return 0;
}
