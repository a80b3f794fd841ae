/* trace_churn N: N malloc/free pairs from 64 call stacks (recursion depth
 * i % 64), a handful of blocks live at any time: many events, few stacks.
 * t1520 checks that reports on its trace use memory by stacks, not events. */
#include <stdlib.h>

static void *volatile hold[64];

__attribute__((noinline)) static void dive(int depth, long i) {
  if (depth > 0) {
    dive(depth - 1, i);
    __asm__ volatile("" ::: "memory");   /* no tail call: one frame per level */
    return;
  }
  long slot = i % 64;
  free(hold[slot]);
  hold[slot] = malloc(24 + (size_t)(i % 7) * 8);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  for (long i = 0; i < n; i++) dive((int)(i % 64), i);
  return 0;
}
