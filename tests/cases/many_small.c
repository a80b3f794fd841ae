/*
 * many_small.c N: allocates N blocks of 100 bytes, touches them, and
 * keeps them until exit (freed then), 1,000 at a time every 5 ms so the
 * timeline has points. Under --guard each block costs a page of RSS and
 * two mappings the program never asked for: t1436 checks that the
 * timeline counts those as heapspy's, not the program's.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20000;
  char **v = calloc((size_t)n, sizeof *v);
  struct timespec nap = { 0, 5 * 1000 * 1000 };
  for (int i = 0; i < n; i++) {
    v[i] = malloc(100);
    memset(v[i], 'a', 100);
    if (i % 1000 == 999) nanosleep(&nap, NULL);
  }
  for (int i = 0; i < n; i++) free(v[i]);
  free(v);
  return 0;
}
