/*
 * maps_prog.c: a process with one of each kind of memory, for `heapspy
 * maps` and `heapspy vtop`: a 64 MiB malloc'd block (touched), a small
 * heap block from a known function, a global variable, three page-aligned
 * pages of .data (one written, one only read, one untouched), an untouched
 * anonymous mapping, a touched shared anonymous mapping, and a sleeping
 * thread named "worker".
 *
 * usage: maps_prog READY_FILE
 * Writes NAME=ADDRESS lines to READY_FILE, then sleeps until killed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BIG (64u << 20)

long heapspy_test_marker = 0x5eed;
char data_pages[3][4096] __attribute__((aligned(4096))) = { { 1 }, { 1 }, { 1 } };

__attribute__((noinline)) char *make_small_block(void) {
  char *p = malloc(100);
  memset(p, 'x', 100);
  return p;
}

static void *worker_main(void *arg) {
  pthread_setname_np(pthread_self(), "worker");
  for (;;) sleep(1);
  return NULL;
}

int main(int argc, char **argv) {
  char *big = malloc(BIG);
  memset(big, 1, BIG);
  char *small = make_small_block();
  data_pages[0][100] = 2;                                  /* copy-on-write */
  volatile char r = data_pages[1][100];                    /* read only */
  (void)r;
  char *untouched = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *shm = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(shm, 3, 1 << 20);
  pthread_t t;
  pthread_create(&t, NULL, worker_main, NULL);
  usleep(50 * 1000);
  if (argc > 1) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    FILE *f = fopen(tmp, "w");
    if (!f) return 1;
    fprintf(f, "pid=%d\nmarker=%p\nbig=%p\nsmall=%p\nwritten=%p\nreadonly=%p\n"
               "untouched_data=%p\nuntouched_anon=%p\nshm=%p\nfunc=%p\n",
            (int)getpid(), (void *)&heapspy_test_marker, (void *)big, (void *)small,
            (void *)data_pages[0], (void *)data_pages[1], (void *)data_pages[2],
            (void *)untouched, (void *)shm, (void *)make_small_block);
    fclose(f);
    rename(tmp, argv[1]);
  }
  for (;;) pause();
}
