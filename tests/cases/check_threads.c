/*
 * check_threads.c: --check when the first free of a block was made by
 * another thread (t1470). Each thread holds its freed blocks in a
 * quarantine ring of its own, which joins the shared ring when the thread
 * ends; these modes put a freed block in a thread's ring and then touch
 * it from elsewhere:
 *   cross-double   a live thread frees, main frees again
 *   exit-double    a thread frees and ends, main frees again
 *   live-uaf       a live thread frees, main writes into the block, exits
 *   leak-check     as live-uaf, HEAPSPY_LEAK_CHECK() finds it at once
 *   fork-double    a live thread frees, main forks, the child frees again
 *                  (prints child=STATUS: 0 when it ran to its end)
 *   many-threads   300 threads one after the other, each frees 40 blocks;
 *                  main then writes into one of them
 *   churn-other    a live thread frees (and 40 more), main frees 1 MiB of its own
 *                  blocks (run with a small --quarantine), then writes
 *                  into the thread's block
 * Prints "block=ADDRESS" (the block the bug hits); `mark: NAME` comments
 * give the tests their lines.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heapspy.h"

#pragma GCC diagnostic ignored "-Wuse-after-free"

static __thread void *volatile launder_slot;   /* per thread: threads launder at once */
static __attribute__((noinline)) void *launder(void *p) { launder_slot = p; return launder_slot; }
static void show(const void *p) { printf("block=%p\n", p); fflush(stdout); }

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int freed, done;
static char *victim;

static __attribute__((noinline)) void *freer(void *arg) {
  char *p = malloc(40);   /* mark: thread-alloc */
  show(p);
  free(p);   /* mark: thread-free */
  if (arg == (void *)2)   /* 40 frees more: a batch of 32 would have left for a shared ring */
    for (int i = 0; i < 40; i++) free(launder(malloc(24)));
  pthread_mutex_lock(&mu);
  victim = p;
  freed = 1;
  pthread_cond_broadcast(&cv);
  while (arg && !done) pthread_cond_wait(&cv, &mu);   /* arg: stay alive until told */
  pthread_mutex_unlock(&mu);
  return NULL;
}

/* Starts the freer, waits for its free; stay: it lives on until finish()
 * (2: and frees 40 more blocks first). */
static pthread_t start(int stay) {
  pthread_t t;
  pthread_create(&t, NULL, freer, (void *)(long)stay);
  pthread_mutex_lock(&mu);
  while (!freed) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  if (!stay) pthread_join(t, NULL);
  return t;
}

static void finish(pthread_t t) {
  pthread_mutex_lock(&mu);
  done = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  pthread_join(t, NULL);
}

static void *churn(void *arg) {
  for (int i = 0; i < 40; i++) {
    char *volatile p = malloc(24 + (size_t)i);   /* mark: many-alloc */
    if ((long)arg == 123 && i == 7) { victim = p; show(p); }
    free(p);   /* mark: many-free */
  }
  return NULL;
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "cross-double")) {
    pthread_t t = start(1);
    free(launder(victim));   /* mark: cross-second */
    finish(t);
  } else if (!strcmp(m, "exit-double")) {
    start(0);
    free(launder(victim));   /* mark: exit-second */
  } else if (!strcmp(m, "live-uaf") || !strcmp(m, "leak-check")) {
    pthread_t t = start(1);
    ((char *)launder(victim))[3] = 'x';   /* mark: uaf-write */
    if (!strcmp(m, "leak-check")) {
      HEAPSPY_LEAK_CHECK();   /* mark: uaf-leak-check */
      printf("after-leak-check\n");
      fflush(stdout);
    }
    finish(t);
  } else if (!strcmp(m, "fork-double")) {
    pthread_t t = start(1);
    pid_t pid = fork();
    if (!pid) {
      free(launder(victim));   /* the child is not spied: nothing said, nothing freed */
      _exit(0);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    printf("child=%d\n", st);
    finish(t);
  } else if (!strcmp(m, "churn-other")) {
    pthread_t t = start(2);
    for (int i = 0; i < 1024; i++) free(launder(malloc(1024)));
    ((char *)launder(victim))[3] = 'x';   /* mark: churn-write */
    finish(t);
  } else if (!strcmp(m, "many-threads")) {
    for (long i = 0; i < 300; i++) {
      pthread_t t;
      pthread_create(&t, NULL, churn, (void *)i);
      pthread_join(t, NULL);
    }
    ((char *)launder(victim))[5] = 'y';   /* mark: many-write */
  } else {
    fprintf(stderr, "unknown mode %s\n", m);
    return 2;
  }
  return 0;
}
