/* trace_cuts: a run for --trace's time travel (t1500). Checkpoints are
 * taken before, while and after four threads churn the heap, so a report
 * --at a checkpoint must cut the trace exactly where the checkpoint did.
 *   phase A (main, line "site A"): 50 blocks of 100 bytes, then checkpoint "a"
 *   40 ms of quiet
 *   4 workers: 20,000 malloc/free pairs each, keeping 10 blocks of 32 bytes
 *     (line "site W"); main takes checkpoints "busy1", "busy2" meanwhile
 *   40 ms of quiet, checkpoint "b"; 20 of the 50 A blocks freed;
 *   checkpoint "c"; with argument "kill": SIGKILL itself here. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "heapspy.h"

static void *volatile kept[4][10];

static void *worker(void *arg) {
  long w = (long)arg;
  for (int i = 0; i < 20000; i++) {
    char *volatile p = malloc(16 + (size_t)(i % 64));
    p[0] = 1;
    free(p);
    if (i % 2000 == 0) kept[w][i / 2000] = malloc(32);   /* site W */
  }
  return NULL;
}

int main(int argc, char **argv) {
  static void *volatile a[50];
  for (int i = 0; i < 50; i++) a[i] = malloc(100);       /* site A */
  HEAPSPY_CHECKPOINT("a");
  usleep(40000);
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  HEAPSPY_CHECKPOINT("busy1");
  usleep(2000);
  HEAPSPY_CHECKPOINT("busy2");
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  usleep(40000);
  HEAPSPY_CHECKPOINT("b");
  for (int i = 0; i < 20; i++) free(a[i]);
  HEAPSPY_CHECKPOINT("c");
  if (argc > 1 && !strcmp(argv[1], "kill")) raise(SIGKILL);
  return 0;
}
