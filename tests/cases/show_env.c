/*
 * show_env.c: test program for t1030-threads-fork-exec.sh, exec'd by
 * tfe_prog. Prints what the spy would leave in a child's environment and
 * whether it is spied, then mallocs and frees one 10-byte block and loses
 * one 20-byte block (allocs 2, frees 1, bytes 30). No stdio.
 *
 *   LD_PRELOAD=<value or (unset)>
 *   HEAPSPY_OPTIONS=<set|(unset)>
 *   running=<HEAPSPY_RUNNING()>
 *   pid=<its pid>
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heapspy.h"

static void say(const char *a, const char *b) {
  ssize_t w = write(1, a, strlen(a));
  w = write(1, b, strlen(b));
  w = write(1, "\n", 1);
  (void)w;
}

void *volatile sink;

int main(void) {
  const char *lp = getenv("LD_PRELOAD");
  say("LD_PRELOAD=", lp ? lp : "(unset)");
  say("HEAPSPY_OPTIONS=", getenv("HEAPSPY_OPTIONS") ? "set" : "(unset)");
  say("running=", HEAPSPY_RUNNING() ? "1" : "0");
  char num[16], *d = num + sizeof num;
  *--d = 0;
  for (unsigned v = (unsigned)getpid(); v || d == num + sizeof num - 1; v /= 10) *--d = (char)('0' + v % 10);
  say("pid=", d);
  sink = malloc(10);
  free(sink);
  char *volatile p = malloc(20); /* SHOW-ENV-LEAK */
  memset(p, 'E', 20);
  p = NULL;
  sink = NULL;
  return 0;
}
