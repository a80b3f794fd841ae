/*
 * attach_prog.c: the patient of the attach tests (t1760). NTHREADS
 * workers allocate and free only in rounds, each round started by
 * SIGUSR2 and counted by the program itself (printed when the round
 * ends), so a window of recording is delimited exactly; SIGUSR1 leaks
 * three blocks from leak_now(); SIGTERM prints the totals and exits 0.
 * Usage: attach_prog NTHREADS ITERATIONS_PER_ROUND
 * ATTACH_PROG_DLOPEN=LIB: dlopen LIB first (libtls_filler.so, t1760).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static unsigned round_no, finished, iterations;
static unsigned long allocs, frees;        /* under mu */
static char *volatile keep;                 /* the compiler may not drop a malloc/free pair */

static void *worker(void *arg) {
  unsigned seen = 0;
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (round_no == seen) pthread_cond_wait(&go, &mu);
    seen = round_no;
    pthread_mutex_unlock(&mu);
    unsigned long a = 0, f = 0;
    for (unsigned i = 0; i < iterations; i++) {
      char *p = malloc(16 + i % 64);
      char *q = calloc(2, 8 + i % 32);
      char *s = strdup("attach");          /* libc's own malloc call */
      a += 3;
      keep = p;
      keep = q;
      keep = s;
      free(p);
      free(q);
      free(s);
      f += 3;
    }
    pthread_mutex_lock(&mu);
    allocs += a;
    frees += f;
    finished++;
    pthread_cond_signal(&done);
    pthread_mutex_unlock(&mu);
  }
  return NULL;
}

static void *sink;
static __attribute__((noinline)) void leak_now(void) {
  for (int i = 0; i < 3; i++) {
    sink = malloc(4242);                    /* LEAK HERE */
    memset(sink, 0, 16);
  }
  sink = NULL;
}

int main(int argc, char **argv) {
  unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
  iterations = argc > 2 ? (unsigned)atoi(argv[2]) : 1000;
  const char *lib = getenv("ATTACH_PROG_DLOPEN");
  if (lib && !dlopen(lib, RTLD_NOW)) {
    fprintf(stderr, "attach_prog: %s\n", dlerror());
    return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  pthread_t t;
  for (unsigned i = 0; i < n; i++) pthread_create(&t, NULL, worker, NULL);
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  for (;;) {
    int sig;
    if (sigwait(&set, &sig)) continue;
    if (sig == SIGUSR1) {
      leak_now();
      printf("leaked 3 blocks of 4242 bytes\n");
    } else if (sig == SIGUSR2) {
      pthread_mutex_lock(&mu);
      unsigned long a0 = allocs, f0 = frees;
      finished = 0;
      round_no++;
      pthread_cond_broadcast(&go);
      while (finished < n) pthread_cond_wait(&done, &mu);
      printf("round %u: allocs %lu frees %lu\n", round_no, allocs - a0, frees - f0);
      pthread_mutex_unlock(&mu);
    } else {
      printf("total: allocs %lu frees %lu\n", allocs, frees);
      return 0;
    }
  }
}
