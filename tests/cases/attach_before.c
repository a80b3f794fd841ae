/*
 * attach_before.c: the patient of t1765 (blocks from before attach in
 * the leak scan). Leaks a known set of blocks, says "ready", waits for a
 * line on stdin (heapspy attaches meanwhile), leaks a second known set,
 * says "after", waits for another line and exits 0. Each set has blocks
 * definitely lost, indirectly lost (held only by a lost block), possibly
 * lost (only an interior pointer in a global) and still reachable (a
 * global). With an argument it exits after the first set. Only read/write: no stdio buffer joins the heap.
 * The sizes of the first set are glibc usable sizes (16n + 8): what a
 * heap walk knows of a block is its usable size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *volatile reachable[8];
char *volatile interior[2];

/* Allocates one set; nothing of it stays in a register or on the stack
 * once it returns but what the globals hold. */
__attribute__((noinline)) static void leak_set(int k, size_t lost, int nlost, size_t held,
                                               int nheld, size_t head, size_t child, size_t poss) {
  for (int i = 0; i < nlost; i++) memset(malloc(lost), 1, lost);
  for (int i = 0; i < nheld; i++) memset(reachable[k * 4 + i] = malloc(held), 2, held);
  void **h = malloc(head);             /* lost; the child is lost only through it */
  memset(h, 0, head);
  h[0] = malloc(child);
  memset(h[0], 3, child);
  char *p = malloc(poss);              /* first word 0: no memcheck heuristic applies */
  memset(p, 0, poss);
  interior[k] = p + 16;
}

/* Clears the stack below main's frame, where the callees of leak_set
 * (the spy's interceptors when attached) left copies of its pointers:
 * volatile stores, which the compiler may not drop. */
__attribute__((noinline)) static void scrub(void) {
  volatile char junk[16384];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = 0;
}

static void say(const char *s) { (void)!write(1, s, strlen(s)); }

static void wait_line(void) {
  char c;
  while (read(0, &c, 1) == 1 && c != '\n') {}
}

int main(int argc, char **argv) {
  (void)argv;
  leak_set(0, 40, 5, 56, 3, 24, 72, 104);    /* 5 x 40 lost, 3 x 56 held, 24 -> 72, 104 */
  scrub();
  if (argc > 1) return 0;              /* the first set alone (valgrind's figures for it) */
  say("ready\n");
  wait_line();
  leak_set(1, 88, 4, 120, 2, 136, 152, 168); /* 4 x 88 lost, 2 x 120 held, 136 -> 152, 168 */
  scrub();
  say("after\n");
  wait_line();
  return 0;
}
