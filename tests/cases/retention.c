/*
 * retention.c: a leak and a retention problem, for t1245.
 *
 *   retention READY leak    keeps every block: 16 MiB of 256-byte blocks
 *                           allocated over ~0.3 s (the heap in use grows)
 *   retention READY retain  4 threads, each in its own arena, allocate
 *                           25 MiB of 256-byte blocks and free all but
 *                           every 50th: glibc keeps ~98 MB it cannot give
 *                           back (the survivors pin it), the heap in use
 *                           grows by 2%
 *
 * Then it reads mallinfo2() itself, asks for a checkpoint ("measured")
 * with no allocation in between, writes READY (pid and glibc's figures,
 * name=value lines, with write(2): no stdio buffer is allocated) and
 * waits for SIGUSR1 before it exits normally, its blocks still held.
 * Must never: allocate between its mallinfo2() and the checkpoint.
 */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heapspy.h"

#define BLOCK 256
#define THREADS 4
#define PER_THREAD (25u << 20)

static pthread_barrier_t started, finished;
static void **kept[THREADS];

static void *churn(void *arg) {
  size_t id = (size_t)arg, n = PER_THREAD / BLOCK;
  void **v = malloc(n * sizeof *v);          /* first malloc: this thread's arena */
  pthread_barrier_wait(&started);            /* all alive: four arenas */
  for (size_t i = 0; i < n; i++) v[i] = malloc(BLOCK);
  for (size_t i = 0; i < n; i++)
    if (i % 50) free(v[i]), v[i] = NULL;
  kept[id] = v;
  pthread_barrier_wait(&finished);           /* none exits before all are done */
  return NULL;
}

static void leak(void) {
  struct timespec ms = { 0, 1000000 };
  for (size_t i = 0; i < (16u << 20) / BLOCK; i++) {
    void *volatile p = malloc(BLOCK);
    memset(p, 1, 16);
    if (i % 2048 == 0) nanosleep(&ms, NULL);   /* ~0.3 s: a curve */
  }
}

static void retain(void) {
  pthread_t th[THREADS];
  pthread_barrier_init(&started, NULL, THREADS);
  pthread_barrier_init(&finished, NULL, THREADS);
  for (size_t i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, churn, (void *)i);
  for (size_t i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  (void)HEAPSPY_RUNNING();                   /* heapspy.h's dlsym, before measuring */
  struct timespec settle = { 0, 50000000 };
  nanosleep(&settle, NULL);                  /* a timeline point before the growth */
  free(malloc(16));
  if (!strcmp(argv[2], "leak")) leak();
  else retain();
  nanosleep(&settle, NULL);
  char out[512];
  struct mallinfo2 mi = mallinfo2();
  HEAPSPY_CHECKPOINT("measured");
  int n = snprintf(out, sizeof out, "pid=%d\nfordblks=%zu\nkeepcost=%zu\narena=%zu\nhblkhd=%zu\n"
                   "uordblks=%zu\nfsmblks=%zu\n", (int)getpid(), mi.fordblks, mi.keepcost,
                   mi.arena, mi.hblkhd, mi.uordblks, mi.fsmblks);
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || write(fd, out, (size_t)n) != n) return 1;
  close(fd);
  rename(tmp, argv[1]);
  int sig;
  sigwait(&usr1, &sig);
  return 0;
}
