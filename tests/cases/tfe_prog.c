/*
 * tfe_prog.c: test program for t1030-threads-fork-exec.sh: threads, fork,
 * exec, dlopen and signal handlers under heapspy. No stdio (write(2)
 * only) so every count is the one written here.
 *
 *   threads        4 threads; each does 1000 malloc(16 + i % 200)/free
 *                  pairs and loses 3 blocks of 100 + 8*tid bytes
 *                  (lose_three); main joins them and returns 0.
 *   fork           parent loses 2 blocks of 64 (parent_loses), forks; the
 *                  child does 50 malloc(32)/free pairs, loses 1 block of
 *                  999 bytes and exit(0)s; the parent waits, then
 *                  mallocs/frees 300 bytes once and returns 0.
 *                  => parent: allocs 3, frees 1, bytes 428, 2 blocks lost
 *                  => child (if followed): the parent's 2 blocks + 51
 *                     allocs, 50 frees, 1600 + 999 bytes
 *   exec PROG ARGS fork + execv(PROG, ARGS) in the child; the parent waits
 *                  and returns the child's exit status.
 *   dlopen LIB     dlopen(LIB), call its leaky_make(3) (loses 3 blocks),
 *                  dlclose, return 0.
 *   raise          SIGUSR1 raised 100 times; the handler mallocs and frees
 *                  200 bytes. => allocs 100, frees 100, bytes 20000.
 *   alarm          SIGALRM every millisecond for ~300 ms (at least 50
 *                  alarms) while main mallocs and frees 24-byte blocks;
 *                  the handler mallocs/frees 200 bytes (another size class,
 *                  so glibc's tcache bins are never shared between the
 *                  two: glibc itself is not async-signal-safe). Loses
 *                  nothing. Prints "iterations=I alarms=A": allocs and
 *                  frees are I + A each, bytes 24*I + 200*A.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void say(const char *s) {
  ssize_t w = write(1, s, strlen(s));
  (void)w;
}

void *volatile sink;

/* ---- threads ---- */
__attribute__((noinline)) void lose_three(int tid) {
  for (int i = 0; i < 3; i++) {
    char *volatile p = malloc(100 + 8 * tid); /* THREAD-LEAK */
    memset(p, 'a' + tid, 100 + 8 * tid);
    p = NULL;
  }
}

static void *worker(void *arg) {
  int tid = (int)(long)arg;
  for (int i = 0; i < 1000; i++) {
    void *volatile p = malloc(16 + i % 200);   /* its own: a shared pointer raced to double frees */
    free(p);
  }
  lose_three(tid);
  return NULL;
}

/* ---- fork ---- */
__attribute__((noinline)) void parent_loses(void) {
  for (int i = 0; i < 2; i++) {
    char *volatile p = malloc(64); /* PARENT-LEAK */
    memset(p, 'P', 64);
    p = NULL;
  }
}

__attribute__((noinline)) void child_loses(void) {
  char *volatile p = malloc(999); /* CHILD-LEAK */
  memset(p, 'C', 999);
  p = NULL;
}

/* ---- signal ---- */
static volatile sig_atomic_t alarms;

static void say_num(const char *name, unsigned long v) {
  char num[32], *d = num + sizeof num;
  *--d = 0;
  do *--d = (char)('0' + v % 10); while (v /= 10);
  say(name);
  say(d);
}
static void on_signal(int sig) {
  void *volatile p = malloc(200);
  free(p);
  if (sig == SIGALRM) alarms++;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Zero the 16 KiB of dead stack below the caller's stack pointer, so no
 * stale copy of a lost block's address survives where a conservative
 * scan (valgrind's or heapspy's) would later read it. Inline asm: a
 * function's own frame would leave a gap right below the caller. */
#define SCRUB_DEAD_STACK()                                              \
  __asm__ volatile("lea -16384(%%rsp), %%rdi\n\tmov $2048, %%ecx\n\t" \
                   "xor %%eax, %%eax\n\trep stosq"                     \
                   ::: "rdi", "rcx", "rax", "memory", "cc")

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "threads")) {
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    say("threads done\n");
    return 0;
  }
  if (!strcmp(mode, "fork")) {
    parent_loses();
    SCRUB_DEAD_STACK();
    pid_t pid = fork();
    if (pid == 0) {
      for (int i = 0; i < 50; i++) {
        sink = malloc(32);
        free(sink);
      }
      sink = NULL;
      child_loses();
      SCRUB_DEAD_STACK();
      say("child done\n");
      exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    sink = malloc(300);
    free(sink);
    sink = NULL;
    say(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "parent done\n" : "child failed\n");
    return 0;
  }
  if (!strcmp(mode, "exec") && argc > 2) {
    pid_t pid = fork();
    if (pid == 0) {
      execv(argv[2], argv + 2);
      _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  if (!strcmp(mode, "dlopen") && argc > 2) {
    void *h = dlopen(argv[2], RTLD_NOW);
    if (!h) { say("dlopen failed\n"); return 1; }
    void (*make)(int) = (void (*)(int))dlsym(h, "leaky_make");
    if (!make) { say("dlsym failed\n"); return 1; }
    make(3);
    dlclose(h);
    SCRUB_DEAD_STACK();
    say("dlclose done\n");
    return 0;
  }
  if (!strcmp(mode, "raise") || !strcmp(mode, "alarm")) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    if (!strcmp(mode, "raise")) {
      for (int i = 0; i < 100; i++) raise(SIGUSR1);
      say("raised 100\n");
      return 0;
    }
    unsigned long iterations = 0;
    struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    double end = now() + 0.3;
    while (now() < end || alarms < 50) {
      sink = malloc(24);
      free(sink);
      iterations++;
    }
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_IGN);          /* a last alarm may be pending */
    sink = NULL;
    say_num("iterations=", iterations);
    say_num(" alarms=", (unsigned long)alarms);
    say("\n");
    return 0;
  }
  say("usage: tfe_prog threads|fork|exec PROG ARGS|dlopen LIB|raise|alarm\n");
  return 2;
}
