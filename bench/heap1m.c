/*
 * heap1m.c: a heap for `make bench-heap` (issue 13's target): 1,000,000
 * live blocks in 4 arenas (4 threads, 250,000 blocks each, 16-200 bytes;
 * in each, half linked from a global list, a quarter linked from blocks
 * of the first half, a quarter dropped), then waits. Prints "pid=PID" and
 * the heap's size in use once the blocks are all there.
 *
 * usage: heap1m
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define THREADS 4
#define PER 250000

struct node { struct node *next; void *child; };
static struct node *heads[THREADS];
static pthread_barrier_t built;
static size_t bytes[THREADS];

static void *build(void *arg) {
  long t = (long)arg;
  unsigned x = 12345u + (unsigned)t;
  for (long i = 0; i < PER; i++) {
    x = x * 1103515245u + 12345u;
    size_t n = 16 + (x >> 20) % 185;
    bytes[t] += n;
    if (i % 4 < 2) {                      /* linked from the thread's list */
      struct node *nd = malloc(n < sizeof *nd ? sizeof *nd : n);
      nd->next = heads[t];
      nd->child = NULL;
      heads[t] = nd;
    } else if (i % 4 == 2) {              /* linked from a list node */
      if (heads[t]) heads[t]->child = malloc(n);
    } else {
      void *volatile lost = malloc(n);    /* dropped */
      lost = NULL;
    }
  }
  pthread_barrier_wait(&built);
  for (;;) pause();
  return NULL;
}

int main(void) {
  pthread_t th[THREADS];
  pthread_barrier_init(&built, NULL, THREADS + 1);
  for (long t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, build, (void *)t);
  pthread_barrier_wait(&built);
  size_t total = 0;
  for (int t = 0; t < THREADS; t++) total += bytes[t];
  printf("pid=%d requested=%zu\n", (int)getpid(), total);
  fflush(stdout);
  for (;;) pause();
}
