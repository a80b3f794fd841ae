/*
 * sample_sizes.c: allocations of known sizes from four functions, for
 * --sample's estimator test (t1810): what each function allocated and
 * still holds is known exactly, so the sampled estimates can be checked
 * against it with a tolerance from the estimator's variance.
 *
 *   churn_small   32 B x 32 Mi, each freed at once      (1 GiB allocated)
 *   churn_medium  1000 B x 1 Mi, each freed at once     (1,048,576,000 B)
 *   hold_large    1 MiB x 64, held to exit              (64 MiB in use)
 *   hold_small    3000 B x 10,000, held to exit         (30,000,000 B in use)
 *
 * Must never: let the compiler drop a malloc/free pair (each block is
 * published through a volatile pointer first).
 */
#include <stdio.h>
#include <stdlib.h>

static void *volatile sink;
static void *held_large[64], *held_small[10000];

__attribute__((noinline)) static void churn_small(void) {
  for (long i = 0; i < 32L << 20; i++) {
    char *p = malloc(32);
    sink = p;
    free(p);
  }
}

__attribute__((noinline)) static void churn_medium(void) {
  for (long i = 0; i < 1L << 20; i++) {
    char *p = malloc(1000);
    sink = p;
    free(p);
  }
}

__attribute__((noinline)) static void hold_large(void) {
  for (int i = 0; i < 64; i++) held_large[i] = malloc(1u << 20);
}

__attribute__((noinline)) static void hold_small(void) {
  for (int i = 0; i < 10000; i++) held_small[i] = malloc(3000);
}

int main(void) {
  churn_small();
  churn_medium();
  hold_large();
  hold_small();
  printf("held %p %p\n", held_large[0], held_small[0]);
  return 0;
}
