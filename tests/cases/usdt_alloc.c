/*
 * usdt_alloc.c: one allocation of a known size at a moment the test
 * chooses, for the otel_memory USDT test (t1852): waits until the file
 * GO exists, then mallocs 12345 bytes in alloc_known, writes "ptr 0x..."
 * to stdout, frees the block and exits 0.
 *
 * usage: usdt_alloc GO
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) static void *alloc_known(void) { return malloc(12345); }

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  struct timespec nap = { 0, 20 * 1000 * 1000 };
  for (int i = 0; i < 3000 && access(argv[1], F_OK) != 0; i++) nanosleep(&nap, NULL);
  void *p = alloc_known();
  char line[64];
  int n = snprintf(line, sizeof line, "ptr %p\n", p);
  if (write(1, line, (size_t)n) != n) return 2;
  free(p);
  return 0;
}
