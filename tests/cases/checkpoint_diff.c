/*
 * checkpoint_diff.c: three checkpoints around known allocations, for
 * `heapspy report --diff` (what UMDH does on Windows).
 *   start -> middle: 50 blocks of 100 bytes        (+5000 bytes, +50 blocks)
 *   middle -> end:   50 blocks of 30 bytes, and 10 of the first 50 freed
 *                    (+1500 - 1000 = +500 bytes, +40 blocks)
 */
#include <stdlib.h>

#include "heapspy.h"

static void *keep[100];

int main(void) {
  HEAPSPY_CHECKPOINT("start");
  for (int i = 0; i < 50; i++) keep[i] = malloc(100);     /* site A */
  HEAPSPY_CHECKPOINT("middle");
  for (int i = 50; i < 100; i++) keep[i] = malloc(30);    /* site B */
  for (int i = 0; i < 10; i++) free(keep[i]);
  HEAPSPY_CHECKPOINT("end");
  return 0;
}
