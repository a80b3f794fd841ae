/*
 * run_basics.c: test program for t1000-run-basics.sh (heapspy run basics).
 *
 * Known allocation pattern, no stdio (write(2) only) so the counts are
 * exactly the ones in this file:
 *   malloc(100)            alloc 1                 100 bytes
 *   calloc(10, 20)         alloc 2                 200 bytes
 *   realloc(NULL, 50)      alloc 3                  50 bytes
 *   realloc(c, 500)        alloc 4 + free 1        500 bytes
 *   realloc(c, 0)          free 2 (glibc frees, returns NULL)
 *   free(NULL)             nothing
 *   free(a), free(b)       frees 3, 4
 *   make_label()           alloc 5, leaked          48 bytes  <- LEAK-SITE
 * => allocs 5, frees 4, bytes allocated 898, in use 48 bytes in 1 block,
 *    definitely lost (nothing points to it).
 *
 * usage: run_basics [MODE]
 *   (none)    the above, exit status 3
 *   stdio     also prints its last line with printf (buffered, flushed by
 *             exit) to check the report comes after it; counts not exact
 *   reachable keeps its only block in a global: still reachable, no leak
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say(int fd, const char *s) {
  ssize_t w = write(fd, s, strlen(s));
  (void)w;
}

__attribute__((noinline)) char *make_label(void) {
  char *p = malloc(48); /* LEAK-SITE */
  if (p) {
    memset(p, 0, 48);
    strcpy(p, "HEAPSPY-LEAK-MARKER-0123456789");
  }
  return p;
}

/* Dropping the pointer in a separate frame, then overwriting the stack,
 * leaves no copy of it behind: valgrind calls it definitely lost. */
__attribute__((noinline)) void lose_label(void) {
  char *volatile p = make_label();
  p = NULL;
  (void)p;
}

/* Zero the 16 KiB of dead stack below the caller's stack pointer, so no
 * stale copy of a lost block's address survives where a conservative
 * scan (valgrind's or heapspy's) would later read it. Inline asm: a
 * function's own frame would leave a gap right below the caller. */
#define SCRUB_DEAD_STACK()                                              \
  __asm__ volatile("lea -16384(%%rsp), %%rdi\n\tmov $2048, %%ecx\n\t" \
                   "xor %%eax, %%eax\n\trep stosq"                     \
                   ::: "rdi", "rcx", "rax", "memory", "cc")

void *keeper;
/* Every pointer passes through here so the compiler cannot elide a
 * malloc/free pair (gcc -O1 deletes allocations it can prove unused). */
void *volatile sink;
#define USE(p) (sink = (p))

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "reachable")) {
    keeper = malloc(64);
    say(1, "kept one block\n");
    return 0;
  }
  say(1, "program output on stdout\n");
  void *a = USE(malloc(100));
  void *b = USE(calloc(10, 20));
  void *c = USE(realloc(NULL, 50));
  c = USE(realloc(c, 500));
  c = USE(realloc(c, 0));
  sink = NULL;
  free(NULL);
  free(a);
  free(b);
  lose_label();
  SCRUB_DEAD_STACK();
  say(2, "program output on stderr\n");
  if (c) say(2, "unexpected: realloc(p, 0) returned a block\n");
  if (!strcmp(mode, "stdio")) printf("last line, printed by stdio\n");
  else say(1, "last line of program output\n");
  return 3;
}
