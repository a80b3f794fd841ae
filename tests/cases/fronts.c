/*
 * fronts.c: every way a block can meet exact mode's fronts (the record
 * the spy keeps in front of each block, src/spy/spy_fronts.c), checked by
 * the program itself: contents kept by realloc, calloc's zeros,
 * malloc_usable_size, over-aligned blocks (no front) freed and realloc'd,
 * a block listed in the table by a checkpoint's leak check then freed and
 * realloc'd, blocks freed by a forked child the spy does not follow, and
 * a block freed from another thread. Exits 0 when all held, else the
 * number of the first broken check. t1026.
 *
 * Counts (valgrind's HEAP SUMMARY agrees, t1026): see the comments.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heapspy.h"

static int failed;
#define CHECK(n, cond) do { if (!(cond) && !failed) failed = (n); } while (0)

static void *free_there(void *p) {
  free(p);
  return NULL;
}

int main(void) {
  /* malloc and its usable size (1 alloc) */
  unsigned char *a = malloc(40);
  CHECK(1, a && malloc_usable_size(a) >= 40);
  memset(a, 0x5a, 40);
  /* calloc's zeros, kept by a growing realloc (1 + 1) */
  unsigned char *z = calloc(10, 10);
  int zeros = 1;
  for (int i = 0; i < 100; i++) zeros &= z[i] == 0;
  CHECK(2, zeros);
  z[99] = 7;
  unsigned char *big = realloc(z, 100000);   /* glibc mmaps it: a fronted mmapped chunk */
  CHECK(3, big && big[99] == 7 && big[0] == 0 && malloc_usable_size(big) >= 100000);
  if (!big) return 3;
  z = realloc(big, 10);                      /* shrinks back into the arena (1) */
  CHECK(4, z && z[0] == 0);
  if (!z) return 4;
  /* realloc(NULL, n) and realloc(p, 0) (1 alloc, 1 free) */
  char *r = realloc(NULL, 50);
  strcpy(r, "fifty");
  void *gone = realloc(r, 0);
  CHECK(5, gone == NULL);
  /* over-aligned: no front, in the table (3 allocs, 2 reallocs, 3 frees) */
  void *m = memalign(64, 100);
  CHECK(6, m && ((uintptr_t)m & 63) == 0);
  void *pm = NULL;
  CHECK(7, posix_memalign(&pm, 4096, 3000) == 0 && ((uintptr_t)pm & 4095) == 0);
  memset(pm, 1, 3000);
  void *pm2 = realloc(pm, 5000);           /* a table block becomes a plain one */
  CHECK(8, pm2 && ((unsigned char *)pm2)[2999] == 1);
  if (!pm2) return 8;
  pm = pm2;
  void *al = aligned_alloc(32, 64);
  free(m);
  free(al);
  /* a checkpoint's leak check lists the records in the table; the blocks
   * then freed or moved are found there (1 alloc, then 1 realloc, 1 free) */
  char *kept = malloc(24);
  strcpy(kept, "kept across");
  HEAPSPY_LEAK_CHECK();
  char *moved = realloc(kept, 4000);
  CHECK(9, moved && strcmp(moved, "kept across") == 0);
  if (!moved) return 9;
  kept = moved;
  free(a);
  /* a block freed by another thread (1 alloc, 1 free) */
  pthread_t t;
  void *other = malloc(333);
  CHECK(10, pthread_create(&t, NULL, free_there, other) == 0 && pthread_join(t, NULL) == 0);
  /* a forked child, which the spy does not follow, frees and reallocs the
   * parent's fronted blocks with glibc's own layout (nothing counted) */
  pid_t c = fork();
  if (c == 0) {
    char *grown = realloc(kept, 9000);
    int ok = grown && strcmp(grown, "kept across") == 0;
    free(grown);
    free(z);
    void *fresh = malloc(70);
    free(fresh);
    _exit(ok ? 0 : 1);
  }
  int st = 0;
  CHECK(11, c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  free(kept);
  free(pm);
  /* left in use at exit: z (10 bytes) */
  if (failed) fprintf(stderr, "fronts: check %d failed\n", failed);
  return failed;
}
