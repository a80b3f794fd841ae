/*
 * attach_guard.c: a program heapspy attaches to with --guard-sample (t1776).
 * Prints "ready" and waits for signals (taken synchronously by sigwait):
 * SIGUSR1 keeps 20 blocks of 96 bytes and reads one freed block once
 * (a use after free, every allocation guarded with --guard-sample=1);
 * SIGTERM frees the 20 kept blocks (after detach: they are still in the
 * spy's guard slots), reallocs and sizes one first, and exits 0.
 * Usage: attach_guard [segv]   (segv: it catches SIGSEGV itself)
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *kept[20];
static volatile char sink;

static __attribute__((noinline)) char *make_block(void) {
  return malloc(96);                           /* ALLOC HERE */
}

static __attribute__((noinline)) void use_after_free(void) {
  char *p = make_block();
  memset(p, 1, 96);
  free(p);                                     /* FREE HERE */
  sink = p[10];                                /* UAF HERE */
}

static void on_segv(int sig) { _exit(sig); }

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "segv")) signal(SIGSEGV, on_segv);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, NULL);
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  for (;;) {
    int sig;
    sigwait(&set, &sig);
    if (sig == SIGUSR1) {
      for (int i = 0; i < 20; i++) {
        kept[i] = make_block();
        memset(kept[i], i, 96);
      }
      use_after_free();
      printf("kept 20 blocks, read a freed one\n");
    } else {
      kept[0] = realloc(kept[0], 200);
      size_t total = malloc_usable_size(kept[1]) >= 96;
      for (int i = 0; i < 20; i++) {
        total += kept[i][0] == (char)i;
        free(kept[i]);
      }
      printf("freed 20 blocks, %zu checks good\n", total);
      return 0;
    }
  }
}
