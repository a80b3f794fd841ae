/* tests/cases/lock_yield.c: a race window right after an unlock, for
 * --yield-after-unlock (t1370). Both threads are pinned to one CPU. The
 * checker publishes i under the lock, unlocks, then reads the value back
 * without the lock: another value there means the meddler ran inside the
 * window. Without yields the meddler gets the CPU only when the checker's
 * time slice ends (a handful of times at most, the loop takes well under
 * a slice); with a yield after each unlock it runs in nearly every window.
 * Prints "windows W interleaved I".
 * usage: lock_yield [ITERS] */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long shared;
static volatile int stop;
static pthread_barrier_t start;

static void *meddler(void *arg) {
  (void)arg;
  pthread_barrier_wait(&start);
  while (!stop) {
    pthread_mutex_lock(&lock);
    shared = -1;
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

int main(int argc, char **argv) {
  long iters = argc > 1 ? atol(argv[1]) : 2000, interleaved = 0;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  if (sched_setaffinity(0, sizeof one, &one)) { perror("sched_setaffinity"); return 1; }
  pthread_barrier_init(&start, NULL, 2);
  pthread_t t;
  pthread_create(&t, NULL, meddler, NULL);   /* inherits the affinity */
  pthread_barrier_wait(&start);
  for (long i = 0; i < iters; i++) {
    pthread_mutex_lock(&lock);
    shared = i;
    pthread_mutex_unlock(&lock);
    if (shared != i) interleaved++;          /* mark: window */
  }
  stop = 1;
  pthread_join(t, NULL);
  printf("windows %ld interleaved %ld\n", iters, interleaved);
  return 0;
}
