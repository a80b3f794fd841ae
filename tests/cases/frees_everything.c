/*
 * frees_everything.c: a program that frees every block it allocates, in
 * 20 bursts of 64 blocks of 16 KiB (a 1 MiB peak between the spy's
 * timeline samples), and exits with 0: the reports must say nothing was
 * lost and show the peak (t1235).
 */
#include <stdlib.h>
#include <string.h>
int main(void) {
  void *p[64];
  for (int r = 0; r < 20; r++) {
    for (int i = 0; i < 64; i++) { p[i] = malloc(16384); memset(p[i], 1, 16384); }
    for (int i = 0; i < 64; i++) free(p[i]);
  }
  return 0;
}
