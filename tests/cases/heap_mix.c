/*
 * heap_mix.c: a known glibc heap for `heapspy heap` (t17xx-heap-*): in
 * the main thread small blocks, tcache-sized blocks freed (7 per size:
 * a full tcache bin), fastbin-sized blocks freed beyond the tcache (they
 * go to the fastbins), blocks freed between live ones (small bins after a
 * malloc sorts them), large blocks (below the mmap threshold) and a 1 MiB
 * block (mmapped); then 4 threads, each with its own arena, doing the
 * same on a smaller scale and staying alive. Then it prints glibc's
 * malloc_info(0, stdout) for this very moment, writes pid=PID to
 * READY_FILE with write(2) (nothing allocates after malloc_info) and
 * waits forever.
 *
 * usage: heap_mix READY_FILE [BLOCKS]
 *   BLOCKS: extra small blocks in the main arena (default 0), for a big heap.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4

static void *volatile keep[4096];
static int nkeep;
static pthread_barrier_t ready, done;

static void hold(void *p) {
  if (nkeep < 4096) keep[nkeep++] = p;
}

/* The mix, scaled by n (1 in threads, 4 in main). */
static void mix(int n) {
  void *t[64];
  for (int i = 0; i < 20 * n; i++) hold(memset(malloc(24 + 8 * (i % 10)), 'a', 16));
  /* tcache: 7 frees of 40-byte blocks fill a tcache bin */
  for (int i = 0; i < 7; i++) t[i] = malloc(40);
  for (int i = 0; i < 7; i++) free(t[i]);
  /* bins: 1500-byte blocks (beyond tcache's 1032) freed between live ones */
  for (int i = 0; i < 6; i++) {
    t[i] = malloc(1500);
    hold(malloc(100));
  }
  for (int i = 0; i < 6; i += 2) free(t[i]);
  hold(malloc(3000));        /* sorts the unsorted chunks into small bins */
  for (int i = 1; i < 6; i += 2) hold(t[i]);
  /* large: 64 KB and 100 KB, below the mmap threshold */
  hold(memset(malloc(64 << 10), 'L', 64 << 10));
  hold(malloc(100 << 10));
}

/* Fastbins: 12 frees of 56-byte blocks: 7 to tcache, 5 to fastbins (a
 * live block between each so nothing merges). Last: a later request of
 * 1 KiB or more would consolidate the fastbins. */
static void fast(void) {
  void *t[12];
  for (int i = 0; i < 12; i++) {
    t[i] = malloc(56);
    hold(malloc(16));
  }
  for (int i = 0; i < 12; i++) free(t[i]);
}

static void *thread_main(void *arg) {
  mix(1);
  fast();
  pthread_barrier_wait(&ready);
  pthread_barrier_wait(&done);     /* never passes: the process is killed */
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  long extra = argc > 2 ? atol(argv[2]) : 0;
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  printf("heap_mix\n");
  fflush(stdout);                  /* stdout's buffer exists before malloc_info */
  mix(4);
  void *big = malloc(1 << 20);     /* mmapped */
  memset(big, 'M', 4096);
  hold(big);
  for (long i = 0; i < extra; i++) {
    void *p = malloc(32 + (size_t)(i % 4) * 16);
    memset(p, 'x', 8);
    if (i % 1000 == 0) hold(p);    /* the rest stays live, unreferenced */
  }
  fast();
  pthread_barrier_init(&ready, NULL, NTHREADS + 1);
  pthread_barrier_init(&done, NULL, NTHREADS + 1);
  pthread_t th[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) pthread_create(&th[i], NULL, thread_main, NULL);
  pthread_barrier_wait(&ready);
  malloc_info(0, stdout);
  fflush(stdout);
  char buf[64], tmp[4096];
  int n = snprintf(buf, sizeof buf, "pid=%d\n", (int)getpid());
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, buf, (size_t)n) != n) return 1;
  close(fd);
  rename(tmp, argv[1]);
  for (;;) pause();
}
