/*
 * stacktree.c: allocations from N distinct deep stacks that share long
 * prefixes (test program of t1232 and of the stack-tree measurements).
 *
 * usage: stacktree N [KEEP [ROUNDS]]
 * Leaf i (0 <= i < N) is reached by a recursion DEPTH calls deep; the call
 * at level d (DEPTH-1 at the top, 0 innermost) is right() when bit d of i
 * is set, else left(). At level 0 the leaf makes 1 + i % 3 allocations of
 * 16 + 8 * (i % 4) bytes and frees them all, except that when KEEP > 0 and
 * i % KEEP == 0 it keeps its last block to the end (in use at exit, reachable
 * from the global `kept`).
 * ROUNDS (default 1) repeats the walk over the N leaves: from the second
 * round on every stack is one already seen (the spy's lookup, timed).
 * So stack i's frames, innermost first, are: level 0's function, level
 * 1's, ..., level DEPTH-1's, then main.
 *
 * Must never: let the compiler merge, inline or tail-call the levels (each
 * must keep its own frame), or allocate from any other stack in the loop.
 */
#include <stdint.h>
#include <stdlib.h>

#define DEPTH 24

static unsigned keep_every;
static void *kept;                 /* the kept blocks, chained through their first word */

static uintptr_t left(int d, unsigned i);
static uintptr_t right(int d, unsigned i);

static inline __attribute__((always_inline)) uintptr_t leaf(unsigned i) {
  unsigned n = 1 + i % 3;
  size_t size = 16 + 8 * (i % 4);
  uintptr_t sum = 0;
  for (unsigned k = 0; k < n; k++) {
    void **p = malloc(size);
    if (!p) abort();
    sum += (uintptr_t)p;
    if (k + 1 == n && keep_every && i % keep_every == 0) { *p = kept; kept = p; }
    else free(p);
  }
  return sum;
}

static inline __attribute__((always_inline)) uintptr_t next(int d, unsigned i) {
  return (i >> (d - 1)) & 1 ? right(d - 1, i) : left(d - 1, i);
}

__attribute__((noinline)) static uintptr_t left(int d, unsigned i) {
  uintptr_t r = d ? next(d, i) : leaf(i);
  __asm__ volatile("" : "+r"(r) :: "memory");
  return r + 1;
}

__attribute__((noinline)) static uintptr_t right(int d, unsigned i) {
  uintptr_t r = d ? next(d, i) : leaf(i);
  __asm__ volatile("" : "+r"(r) :: "memory");
  return r + 3;
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 1000;
  keep_every = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 0;
  unsigned rounds = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 1;
  volatile uintptr_t sink = 0;
  for (unsigned r = 0; r < rounds; r++) {
    if (r) keep_every = 0;             /* the blocks kept are the first round's */
    for (unsigned i = 0; i < n; i++)
      sink += (i >> (DEPTH - 1)) & 1 ? right(DEPTH - 1, i) : left(DEPTH - 1, i);
  }

  return (int)(sink & 0);
}
