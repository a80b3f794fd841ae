/*
 * spin_free_list.c: story 6, "100% CPU at shutdown". A pool keeps its
 * free nodes in a singly linked list; a double release has made the list
 * circular. At shutdown the thread "spinner" looks for a free node big
 * enough for one last request and walks the circle forever, while
 * "idler" sleeps and the main thread waits to join them.
 *
 * usage: spin_free_list READY_FILE
 * Writes "pid=PID" to READY_FILE once both threads run, then never ends
 * (the test kills it).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct node {
  struct node *next;
  size_t size;
};

static struct node *free_list;

/* Builds a free list of n small nodes whose last node points back to the
 * first: the corruption a double release leaves behind. */
static void build_corrupt_list(int n) {
  struct node *first = NULL, *prev = NULL;
  for (int i = 0; i < n; i++) {
    struct node *x = malloc(sizeof *x);
    x->size = 16 + (size_t)i;
    x->next = NULL;
    if (prev) prev->next = x;
    else first = x;
    prev = x;
  }
  prev->next = first;
  free_list = first;
}

/* The loop: no node is ever big enough, and the list never ends. */
__attribute__((noinline)) static struct node *find_free_node(size_t want) {
  struct node *x = free_list;
  while (x && x->size < want) {
    x = x->next;
    __asm__ volatile("" : : "r"(x) : "memory");
  }
  return x;
}

__attribute__((noinline)) static void *spinner_main(void *arg) {
  pthread_setname_np(pthread_self(), "spinner");
  struct node *n = find_free_node(4096);
  return n;
}

__attribute__((noinline)) static void *idler_main(void *arg) {
  pthread_setname_np(pthread_self(), "idler");
  for (;;) sleep(1);
  return NULL;
}

int main(int argc, char **argv) {
  build_corrupt_list(1000);
  pthread_t spin, idle;
  pthread_create(&idle, NULL, idler_main, NULL);
  pthread_create(&spin, NULL, spinner_main, NULL);
  usleep(100 * 1000);
  if (argc > 1) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
    FILE *f = fopen(tmp, "w");
    if (!f) return 1;
    fprintf(f, "pid=%d\n", (int)getpid());
    fclose(f);
    rename(tmp, argv[1]);
  }
  pthread_join(spin, NULL);
  pthread_join(idle, NULL);
  return 0;
}
