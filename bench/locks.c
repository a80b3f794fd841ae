/* bench/locks.c: a lock-heavy workload for `heapspy run --locks` against
 * native and helgrind (bench/locks.sh). THREADS threads each run ITERS
 * iterations taking 2 or 3 of 4 mutexes, always in one consistent order
 * (no cycle to report), with a little work under the locks and an
 * allocation every 64 iterations.
 * usage: locks THREADS ITERS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lk[4] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                 PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER };
static long counter[4];
static long iters;

static void *worker(void *arg) {
  unsigned seed = (unsigned)(long)arg;
  for (long i = 0; i < iters; i++) {
    seed = seed * 1103515245u + 12345u;
    int a = (seed >> 16) & 1, b = 2 + ((seed >> 17) & 1);   /* a < b < c */
    pthread_mutex_lock(&lk[a]);
    pthread_mutex_lock(&lk[b]);
    counter[a]++;
    if (b == 2) {
      pthread_mutex_lock(&lk[3]);
      counter[3]++;
      pthread_mutex_unlock(&lk[3]);
    }
    counter[b]++;
    pthread_mutex_unlock(&lk[b]);
    pthread_mutex_unlock(&lk[a]);
    if ((i & 63) == 0) free(malloc(64 + (i & 255)));
  }
  return NULL;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4;
  iters = argc > 2 ? atol(argv[2]) : 1000000;
  pthread_t t[64];
  if (n < 1 || n > 64) return 2;
  for (long i = 0; i < n; i++) pthread_create(&t[i], NULL, worker, (void *)(i + 1));
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  printf("%ld %ld %ld %ld\n", counter[0], counter[1], counter[2], counter[3]);
  return 0;
}
