/*
 * guard_sample.c: bugs for --guard-sample (t1840) at known lines, each
 * site run many times so that sampling decides which are caught.
 *   uaf M        M times: a 48-byte block, freed, then read (the bug)
 *   overflow K   K 32-byte blocks, each written one byte past its end;
 *                prints "edge=E": how many ended at a page end (the
 *                ones a guard page follows, the oracle of what is found)
 *   double-free  a block freed twice
 *   invalid-free a block freed by a pointer 8 bytes inside it
 *   leak         10 blocks of 40 bytes, 5 kept in a global, 5 dropped
 *   threads T M  T threads, each M random-size malloc/free (1 byte to 8 KiB:
 *                some over a page) on 64 live blocks, each block's bytes
 *                checked at free; prints "bad=" (no bug)
 *   mixed M      calloc, realloc, memalign and malloc_usable_size over
 *                M blocks, their contents checked (no bug)
 *   fork M       M blocks written, then a child rewrites them, churns
 *                M more and exits; prints "parent=P child=C": the
 *                parent's blocks that still hold what it wrote, and the
 *                child's exit status (a fork copies the slots: no bug)
 * Must never: let the compiler see the use after free (the pointer goes
 * through a volatile).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* invalid-free frees a pointer into a block on purpose */
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"

static char *volatile launder;
static volatile char sink;

static void uaf(long m) {
  for (long i = 0; i < m; i++) {
    char *p = malloc(48);                 /* mark: uaf-alloc */
    memset(p, 1, 48);
    launder = p;
    free(p);                              /* mark: uaf-free */
    sink = launder[8];                    /* mark: uaf-read */
  }
}

static void overflow(long k) {
  long edge = 0;
  for (long i = 0; i < k; i++) {
    char *p = malloc(32);                 /* mark: ow-alloc */
    edge += ((uintptr_t)(p + 32) & 4095) == 0;
    launder = p;
    launder[32] = 'x';                    /* mark: ow-write */
  }
  printf("edge=%ld\n", edge);
}

static void mixed(long m) {
  long bad = 0;
  for (long i = 0; i < m; i++) {
    size_t n = (size_t)(i % 200) + 1;
    unsigned char *c = calloc(n, 3);
    for (size_t j = 0; j < n * 3; j++) bad += c[j] != 0;
    memset(c, 7, n * 3);
    c = realloc(c, n * 5);
    for (size_t j = 0; j < n * 3; j++) bad += c[j] != 7;
    bad += malloc_usable_size(c) < n * 5;
    void *a = memalign(64, n);
    bad += ((uintptr_t)a & 63) != 0;
    free(a);
    free(c);
  }
  printf("bad=%ld\n", bad);
}

void *kept[5];                            /* a root: not static, read by no one */

static void leak(void) {
  for (int i = 0; i < 10; i++) {
    char *p = malloc(40);
    memset(p, 0, 40);
    if (i % 2) kept[i / 2] = p;
    else launder = p;                     /* dropped at the next one */
  }
  launder = NULL;
}

static long per_thread;
static long thread_bad;

static void *churn(void *arg) {
  unsigned r = (unsigned)(uintptr_t)arg * 2654435761u + 1;
  unsigned char *live[64] = { 0 };
  size_t len[64] = { 0 };
  long bad = 0;
  for (long i = 0; i < per_thread; i++) {
    r = r * 1103515245u + 12345u;
    unsigned k = (r >> 8) % 64;
    if (live[k]) {
      for (size_t j = 0; j < len[k]; j++) bad += live[k][j] != (unsigned char)(len[k] + k);
      free(live[k]);
    }
    len[k] = (r >> 16) % 8192 + 1;
    live[k] = malloc(len[k]);
    memset(live[k], (int)(unsigned char)(len[k] + k), len[k]);
  }
  for (unsigned k = 0; k < 64; k++) free(live[k]);
  __atomic_add_fetch(&thread_bad, bad, __ATOMIC_RELAXED);
  return NULL;
}

static void threads(long t, long m) {
  pthread_t th[64];
  per_thread = m;
  if (t > 64) t = 64;
  for (long i = 0; i < t; i++) pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)(i + 1));
  for (long i = 0; i < t; i++) pthread_join(th[i], NULL);
  printf("bad=%ld\n", thread_bad);
}

static void forked(long m) {
  char *b[256];
  if (m > 256) m = 256;
  for (long i = 0; i < m; i++) snprintf(b[i] = malloc(32), 32, "parent %ld", i);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    for (long i = 0; i < m; i++) snprintf(b[i], 32, "child %ld", i);
    for (long i = 0; i < m; i++) free(malloc(32 + (size_t)i));
    for (long i = 0; i < m; i++) free(b[i]);
    _exit(0);
  }
  int status = -1, kept = 0;
  waitpid(c, &status, 0);
  for (long i = 0; i < m; i++) {
    char want[32];
    snprintf(want, sizeof want, "parent %ld", i);
    kept += !strcmp(b[i], want);
    free(b[i]);
  }
  printf("parent=%d child=%d\n", kept, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "";
  long n = argc > 2 ? atol(argv[2]) : 1;
  if (!strcmp(what, "uaf")) uaf(n);
  else if (!strcmp(what, "overflow")) overflow(n);
  else if (!strcmp(what, "double-free")) {
    char *p = malloc(24);                 /* mark: df-alloc */
    launder = p;
    free(p);                              /* mark: df-free1 */
    free(launder);                        /* mark: df-free2 */
  } else if (!strcmp(what, "invalid-free")) {
    launder = malloc(24);                 /* mark: if-alloc */
    free(launder + 8);                    /* mark: if-free */
  } else if (!strcmp(what, "mixed")) mixed(n);
  else if (!strcmp(what, "leak")) leak();
  else if (!strcmp(what, "fork")) forked(n);
  else if (!strcmp(what, "threads")) threads(n, argc > 3 ? atol(argv[3]) : 1000);
  else return 2;
  return 0;
}
