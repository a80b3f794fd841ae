/*
 * hotpath.c: the spy's cost per call, for `make bench-hotpath` (issue 17).
 * Descends DEPTH frames (real frames: each level is a call that cannot be
 * inlined or turned into a jump), then does N malloc+free pairs of small
 * sizes there, and prints the nanoseconds per pair. Run natively and under
 * heapspy at two depths, the difference per frame is what the unwinder
 * and the stack deduplication cost for each frame a capture walks.
 *
 * usage: hotpath DEPTH N    prints "DEPTH NS_PER_PAIR"
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile unsigned sink;

static __attribute__((noinline)) void pairs(long n) {
  unsigned x = 12345;
  for (long i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    char *p = malloc(16 + (x >> 24) % 112);   /* 16..127 bytes: tcache sizes */
    p[0] = (char)i;
    sink += (unsigned char)p[0];
    free(p);
  }
}

static __attribute__((noinline)) void descend(int depth, long n) {
  if (depth <= 1) pairs(n);
  else descend(depth - 1, n);
  sink++;                                     /* not a tail call: the frame stays */
}

int main(int argc, char **argv) {
  int depth = argc > 1 ? atoi(argv[1]) : 8;
  long n = argc > 2 ? atol(argv[2]) : 2000000;
  descend(depth, n / 10);                     /* warm: caches, the spy's stack table */
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  descend(depth, n);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
  printf("%d %.1f\n", depth, ns / (double)n);
  return 0;
}
