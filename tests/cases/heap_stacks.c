/*
 * heap_stacks.c: two leak sites of one size and one reachable site, for
 * the allocation stacks `heapspy heap` gives the groups of a spied
 * process (t1780-heap-stacks). Every block is a 40-byte string (40 =
 * 16k + 8: glibc's usable size is the size asked for), so the lost ones
 * make one leak group (definitely lost, 40-byte blocks) and all of them
 * fall in the census's strings: only their stacks tell them apart.
 *
 *   leak_five   5 blocks, pointers dropped         at start
 *   keep_four   4 blocks, kept in a global array   at start
 *   leak_three  3 blocks, pointers dropped         when FIFO says "three"
 *
 * Natively: builds the first two, writes pid=PID to READY_FILE, then
 * reads commands from FIFO, one open each: "three" (then READY_FILE.three
 * appears), "exit" (returns from main, freeing nothing). Under valgrind
 * (RUNNING_ON_VALGRIND): builds all three and returns at once.
 *
 * usage: heap_stacks READY_FILE FIFO
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#define SIZE 40

static char *volatile g_kept[4], *volatile g_sink;
static volatile int g_five = 5, g_three = 3, g_four = 4;   /* loops not unrolled: one stack a site */

#define TEXT(c) ({                        \
  char *p_ = malloc(SIZE);                \
  memset(p_, (c), SIZE - 1);              \
  p_[SIZE - 1] = 0;                       \
  g_sink = p_;                            \
  p_;                                     \
})

/* No copy of a dropped pointer may stay where a scan looks: the last
 * allocation's (in the spy's records too: a block of another size
 * follows, freed), the stack below here, the callee-saved registers. */
__attribute__((noinline)) static void scrub(void) {
  g_sink = NULL;
  for (int i = 0; i < 4; i++) free(malloc(200));
  char junk[65536];
  memset(junk, 0, sizeof junk);
  __asm__ volatile("" : : "r"(junk) : "memory");     /* the memset is not dead */
  __asm__ volatile("xor %%ebx, %%ebx; xor %%r12d, %%r12d; xor %%r13d, %%r13d;"
                   "xor %%r14d, %%r14d; xor %%r15d, %%r15d" ::: "rbx", "r12", "r13", "r14", "r15");
}

__attribute__((noinline)) static void leak_five(void) {
  for (int i = 0; i < g_five; i++) (void)TEXT('a');
}

__attribute__((noinline)) static void leak_three(void) {
  for (int i = 0; i < g_three; i++) (void)TEXT('b');
}

__attribute__((noinline)) static void keep_four(void) {
  for (int i = 0; i < g_four; i++) g_kept[i] = TEXT('k');
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: heap_stacks READY_FILE FIFO\n");
    return 2;
  }
  leak_five();
  keep_four();
  scrub();
  if (RUNNING_ON_VALGRIND) {
    leak_three();
    scrub();
    return 0;
  }
  char ready[4096], tmp[4200], line[64];
  snprintf(ready, sizeof ready, "%s", argv[1]);
  snprintf(tmp, sizeof tmp, "%s.tmp", ready);
  FILE *f = fopen(tmp, "w");
  if (!f) return 1;
  fprintf(f, "pid=%d\n", (int)getpid());
  fclose(f);
  rename(tmp, ready);
  for (;;) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) return 1;
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    line[n > 0 ? n : 0] = 0;
    if (!strncmp(line, "exit", 4)) return 0;
    if (!strncmp(line, "three", 5)) {
      leak_three();
      scrub();
      snprintf(tmp, sizeof tmp, "%s.three", ready);
      close(open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600));
    }
  }
}
