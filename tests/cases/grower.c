/* grower MB MS: a program whose heap grows by 1 MiB (touched, so RSS
 * grows too) every MS milliseconds up to MB MiB, then frees it all and
 * prints "done" (t1270: --snapshot-on thresholds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIB (1 << 20)

__attribute__((noinline)) static char *grow_one(void) {
  char *p = malloc(MIB);
  memset(p, 1, MIB);
  return p;
}

int main(int argc, char **argv) {
  int mb = argc > 1 ? atoi(argv[1]) : 16, ms = argc > 2 ? atoi(argv[2]) : 60;
  char **v = calloc((size_t)mb, sizeof *v);
  struct timespec nap = { 0, (long)ms * 1000000L };
  for (int i = 0; i < mb; i++) {
    v[i] = grow_one();
    nanosleep(&nap, NULL);
  }
  for (int i = 0; i < mb; i++) free(v[i]);
  free(v);
  puts("done");
  return 0;
}
