/*
 * scan1m.c: the reachability scan at scale (issue 4's target: under one
 * second for a million live blocks). Builds 1,000,000 live blocks: a
 * linked list of 500,000 nodes reachable from a global, and 500,000
 * blocks dropped on the floor; then times HEAPSPY_LEAK_CHECK() from
 * inside the program, twice. Without heapspy the check is a no-op.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "heapspy.h"

struct node { struct node *next; char pad[24]; };
struct node *head;                       /* keeps half of them reachable */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(void) {
  for (int i = 0; i < 500000; i++) {
    struct node *n = malloc(sizeof *n);
    n->next = head;
    head = n;
    void *volatile lost = malloc(32);
    lost = NULL;
  }
  for (int round = 1; round <= 2; round++) {
    double t0 = now_ms();
    HEAPSPY_LEAK_CHECK();
    printf("leak check %d of 1,000,000 live blocks: %.0f ms%s\n", round, now_ms() - t0,
           HEAPSPY_RUNNING() ? "" : " (not under heapspy)");
  }
  return 0;
}
