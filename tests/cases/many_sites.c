/*
 * many_sites.c: COUNT distinct allocation stacks (default 4000), for the
 * HTML report's table and flame graphs at scale. walk() recurses DEPTH
 * levels through one of two call sites per level, so each path is its own
 * stack; path p ends in leaf_(p % 10), which allocates 1 + p bytes and
 * keeps the block (still reachable at exit). So the sites' sizes are
 * 1..COUNT, each once, and leaf_k holds the paths p with p % 10 == k.
 */
#include <stdlib.h>

void *keep[1 << 16];     /* global: the blocks stay reachable, and allocated */
static int nkeep;

#define LEAF(k) \
  __attribute__((noinline)) static void leaf_##k(size_t n) { keep[nkeep++] = malloc(n); }
LEAF(0) LEAF(1) LEAF(2) LEAF(3) LEAF(4) LEAF(5) LEAF(6) LEAF(7) LEAF(8) LEAF(9)
static void (*const leaves[10])(size_t) = { leaf_0, leaf_1, leaf_2, leaf_3, leaf_4,
                                            leaf_5, leaf_6, leaf_7, leaf_8, leaf_9 };

__attribute__((noinline)) static void walk(unsigned path, int level, int depth) {
  if (level == depth) {
    leaves[path % 10](1 + path);
    return;
  }
  if (path >> (depth - 1 - level) & 1)   /* one call site per bit value */
    walk(path, level + 1, depth);
  else
    walk(path, level + 1, depth);
  __asm__ volatile("");                  /* no tail calls: both sites stay */
}

int main(int argc, char **argv) {
  unsigned count = argc > 1 ? (unsigned)atoi(argv[1]) : 4000, depth = 0;
  if (count > (1u << 16)) count = 1u << 16;
  while ((1u << depth) < count) depth++;
  for (unsigned p = 0; p < count; p++) walk(p, 0, (int)depth);
  return 0;
}
