/*
 * hold.c: what holding the other threads still costs a leak check
 * (issue 4). Starts THREADS threads that wait on a condition variable, as
 * idle workers do, then runs HEAPSPY_LEAK_CHECK() CHECKS times; each check
 * holds them all still and releases them (its times are in the profile:
 * bench/hold.sh prints them). Without heapspy the checks are no-ops.
 *
 * usage: hold THREADS [CHECKS]
 */
#include <pthread.h>
#include <stdlib.h>

#include "heapspy.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int started, stop;

static void *idle(void *arg) {
  void *volatile mine = malloc(64);               /* one block each, on its stack */
  pthread_mutex_lock(&lock);
  started++;
  pthread_cond_broadcast(&cond);
  while (!stop) pthread_cond_wait(&cond, &lock);
  pthread_mutex_unlock(&lock);
  free(mine);
  return arg;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2, checks = argc > 2 ? atoi(argv[2]) : 21;
  pthread_t *t = calloc((size_t)n, sizeof *t);
  for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, idle, NULL);
  pthread_mutex_lock(&lock);
  while (started < n) pthread_cond_wait(&cond, &lock);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < checks; i++) HEAPSPY_LEAK_CHECK();
  pthread_mutex_lock(&lock);
  stop = 1;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&lock);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  free(t);
  return 0;
}
