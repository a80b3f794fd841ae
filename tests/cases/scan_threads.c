/*
 * scan_threads.c: leak checks while other threads run (issue 4: "other
 * threads are held still during the scan"). While HEAPSPY_LEAK_CHECK()
 * runs CHECKS times in main:
 *   3 workers hold the only pointer to their block (1000, 1008, 1016
 *     bytes) in a register, spinning; nothing in memory points to it
 *     (the stack below them is zeroed, and their frames never store it);
 *   2 workers hold theirs (1200, 1208 bytes) in a stack slot, spinning;
 *   1 worker blocks every signal and holds its block (1400 bytes) in a
 *     stack slot: it cannot be held, its stack is read as it runs;
 *   1 mutator keeps a 64-node list (48-byte nodes) reachable from a
 *     global while it appends and frees nodes as fast as it can;
 *   IDLE more threads wait on a condition variable (for timing holds).
 * One more check runs from a signal handler (SIGUSR1 raised by main).
 * With SCAN_THREADS_CHURN=1 in the environment, one more thread starts
 * and joins short-lived threads (each allocates and frees a block) all
 * through the checks: threads are born and die during the holds.
 * Lost all along: a 777-byte block and a 555-byte block pointing to a
 * 333-byte one (definitely lost: 2 blocks, 1,332 bytes; indirectly: 1
 * block, 333 bytes). Afterwards every worker checks its block's contents,
 * frees it and says so: held threads carry on.
 *
 * usage: scan_threads CHECKS [IDLE [READY_FILE|-] [exit]]
 *   (CHECKS > 0: CHECKS checks, then the one from the handler)
 *   with READY_FILE: after the checks, create it and wait until it is
 *   removed (time for `heapspy snapshot --leak-check`) before stopping;
 *   with "exit": exit(0) right after, the workers still running and
 *   holding their blocks (the exit-time scan must hold them too).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heapspy.h"

#define NREG 3
#define NSTACK 2

static volatile int stop;
static int ready, done;
struct node { struct node *next; char pad[40]; };
struct node *volatile list_head;               /* the mutator's root */
static struct node *list_tail;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;

static void finish(char *p, size_t size, int fill, const char *who) {
  size_t ok = 0;
  for (size_t i = 0; i < size; i++) ok += p[i] == fill;
  free(p);
  printf("%s worker: %s\n", who, ok == size ? "block intact, freed" : "block CHANGED");
  fflush(stdout);
  __atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST);
}

/* The block's address lives in a register only: zero 8 KiB below the
 * stack pointer (the allocator's dead frames), then spin. */
static void *register_worker(void *arg) {
  size_t size = 1000 + 8 * (size_t)(long)arg;
  int fill = 'a' + (int)(long)arg;
  char *p = malloc(size);
  memset(p, fill, size);
  __asm__ volatile(
      "lea -8200(%%rsp), %%rdi\n\t"
      "mov $1025, %%ecx\n\t"
      "xor %%eax, %%eax\n\t"
      "rep stosq\n\t"
      "lock incl %[ready]\n"
      "1:\tpause\n\t"
      "cmpl $0, %[stop]\n\t"
      "je 1b"
      : "+r"(p), [ready] "+m"(ready)
      : [stop] "m"(stop)
      : "rdi", "rcx", "rax", "memory", "cc");
  finish(p, size, fill, "register");
  return NULL;
}

static void *stack_worker(void *arg) {
  int blocked = (long)arg >= NSTACK;
  if (blocked) {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
  }
  size_t size = (blocked ? 1400 : 1200) + 8 * (size_t)(long)arg * !blocked;
  int fill = 'A' + (int)(long)arg;
  char *volatile slot = malloc(size);
  memset(slot, fill, size);
  __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
  while (!stop) __builtin_ia32_pause();
  finish(slot, size, fill, blocked ? "signal-blocking" : "stack");
  return NULL;
}

static void *mutator(void *arg) {
  (void)arg;
  __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
  unsigned long turns = 0;
  while (!stop) {
    struct node *n = malloc(sizeof *n);
    n->next = NULL;
    list_tail->next = n;
    list_tail = n;
    struct node *old = list_head;
    list_head = old->next;
    free(old);
    turns++;
  }
  printf("mutator: %s\n", turns ? "ran during the checks" : "never ran");
  __atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

static void *short_lived(void *arg) {
  void *volatile p = malloc(24);
  free(p);
  return arg;
}

static void *churner(void *arg) {
  (void)arg;
  __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
  unsigned long born = 0;
  while (!stop) {
    pthread_t t;
    if (pthread_create(&t, NULL, short_lived, NULL) == 0) {
      pthread_join(t, NULL);
      born++;
    }
  }
  printf("churner: %s\n", born ? "threads came and went during the checks" : "no thread started");
  __atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

static void *idle(void *arg) {
  (void)arg;
  pthread_mutex_lock(&idle_lock);
  __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
  while (!stop) pthread_cond_wait(&idle_cond, &idle_lock);
  pthread_mutex_unlock(&idle_lock);
  return NULL;
}

static void check_from_handler(int sig) {
  (void)sig;
  HEAPSPY_LEAK_CHECK();
}

static void lose(void) {
  void *volatile lost = malloc(777);
  void *volatile *volatile head = malloc(555);
  head[0] = malloc(333);
  memset((char *)lost, 1, 777);
  lost = NULL;
  head = NULL;
}

int main(int argc, char **argv) {
  int checks = argc > 1 ? atoi(argv[1]) : 1;
  int nidle = argc > 2 ? atoi(argv[2]) : 0;
  const char *ready_file = argc > 3 && strcmp(argv[3], "-") ? argv[3] : NULL;
  int exit_early = argc > 4 && !strcmp(argv[4], "exit");
  list_head = list_tail = malloc(sizeof(struct node));
  list_tail->next = NULL;
  for (int i = 1; i < 64; i++) {
    struct node *n = malloc(sizeof *n);
    n->next = NULL;
    list_tail->next = n;
    list_tail = n;
  }
  lose();
  const char *churn_env = getenv("SCAN_THREADS_CHURN");
  int churn = churn_env && !strcmp(churn_env, "1");
  int nthreads = NREG + NSTACK + 1 + 1 + nidle + churn;
  pthread_t *t = calloc((size_t)nthreads, sizeof *t);
  int k = 0;
  for (long i = 0; i < NREG; i++) pthread_create(&t[k++], NULL, register_worker, (void *)i);
  for (long i = 0; i <= NSTACK; i++) pthread_create(&t[k++], NULL, stack_worker, (void *)i);
  pthread_create(&t[k++], NULL, mutator, NULL);
  for (int i = 0; i < nidle; i++) pthread_create(&t[k++], NULL, idle, NULL);
  if (churn) pthread_create(&t[k++], NULL, churner, NULL);
  while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < nthreads) usleep(1000);
  for (int i = 0; i < checks; i++) HEAPSPY_LEAK_CHECK();
  if (checks) {
    signal(SIGUSR1, check_from_handler);
    raise(SIGUSR1);
  }
  if (ready_file) {
    FILE *f = fopen(ready_file, "w");
    if (f) fclose(f);
    while (access(ready_file, F_OK) == 0) usleep(10000);
  }
  if (exit_early) {
    printf("exit with the workers running\n");
    exit(0);
  }
  stop = 1;
  pthread_mutex_lock(&idle_lock);
  pthread_cond_broadcast(&idle_cond);
  pthread_mutex_unlock(&idle_lock);
  for (int i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
  printf("%d of %d workers carried on\n", done, NREG + NSTACK + 2 + churn);
  while (list_head) {
    struct node *n = list_head;
    list_head = n->next;
    free(n);
  }
  free(t);
  return 0;
}
