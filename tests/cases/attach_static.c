/*
 * attach_static.c: a statically linked program for t1760's refusal:
 * heapspy attach has no libc.so to load the spy with. Prints "ready",
 * then sleeps until killed.
 */
#include <stdio.h>
#include <unistd.h>

int main(void) {
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
