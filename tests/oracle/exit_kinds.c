/*
 * exit_kinds.c: one heap of every leak kind, then an end chosen by argv[1]
 * (return, _exit, exit-thread, segv, abort), for comparing heapspy's leak
 * classification on every exit path with memcheck's (t1022, t1027). Runs
 * under valgrind as it is: it must never touch memory below the stack
 * pointer or depend on heapspy.
 *
 * The heap: 3 blocks of 40 bytes definitely lost; a 16-byte list head
 * lost with 2 nodes of 24 bytes reached only through it (indirectly
 * lost); 1 block of 64 bytes held by a global (still reachable); 1 block
 * of 100 bytes held by a global pointing 10 bytes into it (possibly lost).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct node { struct node *next; char pad[16]; };

void *reachable;
char *interior;
void *volatile sink;            /* makes each allocation escape: none optimized away */

static __attribute__((noinline)) void lose_definite(void) {
  for (int i = 0; i < 3; i++) {
    volatile char *p = malloc(40);
    p[0] = 1;
  }
}

static __attribute__((noinline)) void lose_list(void) {
  struct node **head = malloc(16);
  struct node *a = malloc(sizeof *a), *b = malloc(sizeof *b);
  a->next = b;
  b->next = NULL;
  *head = a;
  head[1] = NULL;
  sink = head;
  sink = NULL;
}

static __attribute__((noinline)) void keep(void) {
  reachable = malloc(64);
  interior = (char *)malloc(100) + 10;
}

/* Overwrite the dead stack the allocators used, from above the stack
 * pointer (a callee's frame), so no stale pointer keeps a lost block. */
static __attribute__((noinline)) void scrub(void) {
  volatile char junk[16384];
  memset((char *)junk, 0, sizeof junk);
}

static void *exit_thread(void *arg) {
  (void)arg;
  exit(5);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "return";
  lose_definite();
  lose_list();
  keep();
  scrub();
  if (!strcmp(mode, "_exit")) _exit(4);
  if (!strcmp(mode, "exit-thread")) {
    pthread_t t;
    pthread_create(&t, NULL, exit_thread, NULL);
    pthread_join(t, NULL);
  }
  if (!strcmp(mode, "segv")) {
    volatile int *bad = (int *)16;
    *bad = 1;
  }
  if (!strcmp(mode, "abort")) abort();
  return 3;
}
