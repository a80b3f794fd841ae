/*
 * idle_server.c: a daemon between requests, for snapshots of an idle
 * process (t1092). It keeps a cache a global points to (20 blocks of 128
 * bytes, still reachable) and loses 30 blocks of 300 bytes, writes
 * "ready" to argv[2], then waits without allocating:
 *   read  FIFO   blocked in read(2) on the FIFO argv[3] (opened O_RDWR so
 *                the open does not block) until a line arrives; SA_RESTART
 *                must keep the read going across snapshot signals
 *   sleep SECS   in nanosleep(2) for SECS seconds, resuming with the time
 *                left after each EINTR (signal(7): nanosleep is never
 *                restarted)
 * Prints what the waiting call returned: "read 6 errno 0" or
 * "slept N.N s, K interruptions".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void *cache[20];                       /* global: still reachable */

static void lose(void) {
  void *volatile p = malloc(300);      /* lost at once */
  p = NULL;
  (void)p;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  for (int i = 0; i < 20; i++) cache[i] = calloc(1, 128);
  for (int i = 0; i < 30; i++) lose();
  int fd = -1;
  if (!strcmp(argv[1], "read") && (fd = open(argv[3], O_RDWR)) < 0) return 3;
  int rfd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (rfd < 0 || write(rfd, "ready\n", 6) != 6) return 4;
  close(rfd);
  if (fd >= 0) {
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    printf("read %zd errno %d\n", n, n < 0 ? errno : 0);
    return 0;
  }
  double secs = atof(argv[3]), t0 = now();
  struct timespec want = { (time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9) }, left;
  int interrupted = 0;
  while (nanosleep(&want, &left) < 0 && errno == EINTR) {
    interrupted++;
    want = left;
  }
  printf("slept %.1f s, %d interruptions\n", now() - t0, interrupted);
  return 0;
}
