/*
 * export_grow.c: a program whose heap grows at a known rate, for the
 * continuous-export tests (t1850, t1851): STEPS blocks of SIZE bytes, one
 * every MS milliseconds, all held to exit, each allocated by grow_step.
 * After each allocation it appends "UNIX_NS IN_USE_BYTES" to LOG with
 * write(2) (no stdio: the program's only allocations are its blocks), so
 * the test knows what the program held at any moment. Writes "grew N
 * bytes" to stdout at the end (write(2) too) and exits 3, a status the
 * tests expect unchanged.
 *
 * usage: export_grow STEPS SIZE MS LOG
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *blocks[100000];

__attribute__((noinline)) static void *grow_step(size_t size) {
  void *p = malloc(size);
  if (p) memset(p, 0x5a, size);
  return p;
}

int main(int argc, char **argv) {
  if (argc != 5) return 2;
  int steps = atoi(argv[1]), ms = atoi(argv[3]);
  size_t size = (size_t)atol(argv[2]), held = 0;
  int log = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0 || steps > 100000) return 2;
  struct timespec nap = { ms / 1000, (ms % 1000) * 1000000L }, now;
  for (int i = 0; i < steps; i++) {
    blocks[i] = grow_step(size);
    held += size;
    clock_gettime(CLOCK_REALTIME, &now);
    char line[64];
    int n = snprintf(line, sizeof line, "%lld %zu\n",
                     (long long)now.tv_sec * 1000000000LL + now.tv_nsec, held);
    if (write(log, line, (size_t)n) != n) return 2;
    nanosleep(&nap, NULL);
  }
  close(log);
  char done[64];
  int n = snprintf(done, sizeof done, "grew %zu bytes\n", held);
  if (write(1, done, (size_t)n) != n) return 2;
  return 3;
}
