/*
 * vg_leaks.c: one leak of each memcheck kind from known lines, the oracle
 * program of the memcheck-shaped text and XML (t1028, t1029) and the CMake
 * and meson clients (tests/clients): run under valgrind and under heapspy,
 * the loss records must agree. Mode "clean" frees everything; "leak" loses
 * blocks (definite, possible, reachable); "list" a lost list too (its
 * head definite, its next indirect: memcheck counts the next's bytes in
 * the head's record, heapspy does not); "double-free" frees one block
 * twice. Never prints a pointer.
 */
#include <stdlib.h>
#include <string.h>

struct node { struct node *next; char pad[24]; };

static void *volatile keep;          /* still reachable: a global points at it */
static char *volatile inside;        /* possibly lost: only an interior pointer */
static struct node *volatile sink;   /* keeps the compiler from dropping the list */

static __attribute__((noinline)) void lose_list(void) {
  struct node *head = malloc(sizeof *head);   /* mark: definite-head */
  head->next = malloc(sizeof *head->next);    /* mark: indirect-next */
  head->next->next = NULL;
  sink = head;
  sink = NULL;
}

static __attribute__((noinline)) void lose_strings(int n) {
  for (int i = 0; i < n; i++) {
    char *s = malloc(100);                    /* mark: definite-strings */
    memset(s, 'a', 99);
    s[99] = 0;
  }
}

static __attribute__((noinline)) void hold(void) {
  keep = calloc(1, 64);                       /* mark: reachable */
  char *p = malloc(256);                      /* mark: possible */
  inside = p + 16;
}

static void *volatile slot;          /* hides the double free from the optimiser */

static __attribute__((noinline)) void free_twice(void) {
  slot = malloc(40);                          /* mark: double-free-alloc */
  free(slot);                                 /* mark: double-free-first */
  free(slot);                                 /* mark: double-free-second */
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "leak";
  if (!strcmp(m, "clean")) {
    slot = malloc(10);
    free(slot);
    return 0;
  }
  if (!strcmp(m, "double-free")) {
    free_twice();
    return 0;
  }
  if (!strcmp(m, "list")) lose_list();
  lose_strings(3);
  hold();
  return 0;
}
