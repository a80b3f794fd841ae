/*
 * disk_fill.c: test program for t1060-disk-full.sh: makes the profile big.
 * 2^14 = 16384 distinct call stacks (a walk of depth 14 through two
 * functions, left() and right(), picks one path per allocation: every path
 * is a different stack), each allocating one 16-byte block, plus 100000
 * more 16-byte blocks kept alive at once; then frees everything.
 * => with the calloc of the array that keeps them (116384 * 8 bytes):
 *    allocs 116385, frees 116385, bytes 1862144 + 931072, nothing in use.
 * Prints "done: 116384 blocks" and exits 0. No stdio.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEPTH 14
#define PATHS (1u << DEPTH)
#define EXTRA 100000

static void **keep;
static unsigned nkeep;

__attribute__((noinline)) void walk(unsigned bits, int depth);

__attribute__((noinline)) void left(unsigned bits, int depth) {
  walk(bits >> 1, depth - 1);
  __asm__ volatile("" ::: "memory");   /* no tail call: keep the frame */
}

__attribute__((noinline)) void right(unsigned bits, int depth) {
  walk(bits >> 1, depth - 1);
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void walk(unsigned bits, int depth) {
  if (depth == 0) {
    keep[nkeep++] = malloc(16);
  } else if (bits & 1) {
    left(bits, depth);
  } else {
    right(bits, depth);
  }
  __asm__ volatile("" ::: "memory");
}

int main(void) {
  keep = calloc(PATHS + EXTRA, sizeof *keep);   /* + 1 alloc, 1 free */
  for (unsigned p = 0; p < PATHS; p++) walk(p, DEPTH);
  for (unsigned i = 0; i < EXTRA; i++) keep[nkeep++] = malloc(16);
  for (unsigned i = 0; i < nkeep; i++) free(keep[i]);
  free(keep);
  const char msg[] = "done: 116384 blocks\n";
  ssize_t w = write(1, msg, sizeof msg - 1);
  (void)w;
  return 0;
}
