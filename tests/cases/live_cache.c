/*
 * live_cache.c: story 3 of SPEC, live: a "library" keeps a cache it
 * frees only at exit, and a loop loses a buffer now and then. Runs until
 * killed, allocating all the time so a snapshot request is served
 * promptly. Writes "ready" to argv[1] once both are in place.
 *   cache: 20 blocks of 128 bytes, still reachable from a global
 *   lost:  30 blocks of 300 bytes, then no more
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

void *cache[20];                                 /* global: the compiler must keep it */

static void lose(void) {
  void *volatile p = malloc(300);                  /* the lost buffer */
  p = NULL; (void)p;                              /* volatile: the store stays */
}

int main(int argc, char **argv) {
  for (int i = 0; i < 20; i++) cache[i] = malloc(128);
  for (int i = 0; i < 30; i++) lose();
  int fd = argc > 1 ? open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
  if (fd >= 0) { (void)!write(fd, "ready\n", 6); close(fd); }
  for (;;) {                                       /* churn until killed */
    void *volatile q = malloc(40);
    free(q);
    usleep(2000);
  }
}
