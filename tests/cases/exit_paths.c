/*
 * exit_paths.c: test program for t1020-exit-paths.sh (story 4, "the
 * report that vanished at exit"). Every mode first loses five blocks of
 * 10, 20, 30, 40 and 50 bytes (150 bytes, definitely lost: no pointer to
 * them survives), allocated in lose_five(), then leaves the process its
 * own way. No stdio: write(2) only, so the counts are the ones below.
 *
 *   return   keeps one 1000-byte block in a global; an atexit handler frees
 *            it and loses a 77-byte block; main returns 7.
 *            => allocs 7, frees 1, bytes 1227, in use 227 bytes / 6 blocks
 *   thread   a second thread calls exit(5) while main waits in
 *            pthread_join. (pthread_create's own allocation is counted by
 *            the test, see there.)
 *   _exit    _exit(4): no exit handlers, no scan
 *   segv     writes through a null pointer: dies of SIGSEGV
 *   abort    abort(): dies of SIGABRT
 *   sigkill  kill(getpid(), SIGKILL); sigkill-free: malloc(60), free, SIGKILL
 *   sigkill-burst  40 x malloc(100), the 40 freed, 3 x malloc(100), the
 *            third freed and allocated again (the same address, back from
 *            glibc's tcache), the first freed, SIGKILL: more table
 *            operations than the spy leaves pending, three on one address
 *            => allocs 49, frees 42, bytes 4550, in use 350 bytes / 7 blocks
 *   sigkill-big  300 x 1000 bytes kept from keep_a(), then 100 x 1000
 *            from keep_b(), SIGKILL
 *            => in use 400,150 bytes / 405 blocks
 * Other than "return" and sigkill-big, in use at the end: 150 bytes in 5
 * blocks.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void say(const char *s) {
  ssize_t w = write(1, s, strlen(s));
  (void)w;
}

__attribute__((noinline)) void lose_five(void) {
  for (int i = 1; i <= 5; i++) {
    char *volatile p = malloc(10 * i); /* LOST-FIVE */
    memset(p, 'A' + i, 10 * i);
    p = NULL;
  }
}

/* Zero the 16 KiB of dead stack below the caller's stack pointer, so no
 * stale copy of a lost block's address survives where a conservative
 * scan (valgrind's or heapspy's) would later read it. Inline asm: a
 * function's own frame would leave a gap right below the caller. */
#define SCRUB_DEAD_STACK()                                              \
  __asm__ volatile("lea -16384(%%rsp), %%rdi\n\tmov $2048, %%ecx\n\t" \
                   "xor %%eax, %%eax\n\trep stosq"                     \
                   ::: "rdi", "rcx", "rax", "memory", "cc")

void *kept;

/* sigkill-big: two sites holding more than a thread's 64 KiB batch of
 * in-use counts each */
static void *volatile big[400];   /* volatile: the mallocs stay */
__attribute__((noinline)) void keep_a(void) {
  for (int i = 0; i < 300; i++) big[i] = malloc(1000);
}
__attribute__((noinline)) void keep_b(void) {
  for (int i = 300; i < 400; i++) big[i] = malloc(1000);
}

static void at_exit_handler(void) {
  free(kept);
  kept = NULL;
  char *volatile p = malloc(77); /* LOST-IN-ATEXIT */
  memset(p, 'Z', 77);
  p = NULL;
  say("atexit handler ran\n");
}

/* Wait until main really sleeps in pthread_join: a stack that is running
 * has no known stack pointer, and its dead frames (pthread_create's) would
 * be scanned as roots. valgrind always knows every thread's SP. */
static void wait_main_asleep(void) {
  for (int i = 0; i < 400; i++) {
    char buf[256];
    int fd = open("/proc/self/stat", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0) close(fd);
    if (n > 0) {
      buf[n] = 0;
      const char *p = strrchr(buf, ')');
      if (p && p[1] == ' ' && p[2] == 'S') return;
    }
    usleep(5000);
  }
}

static void *exiting_thread(void *arg) {
  wait_main_asleep();
  (void)arg;
  say("thread calls exit(5)\n");
  exit(5);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "return";
  lose_five();
  SCRUB_DEAD_STACK();
  say("five blocks lost\n");
  if (!strcmp(mode, "return")) {
    kept = malloc(1000);
    atexit(at_exit_handler);
    return 7;
  }
  if (!strcmp(mode, "thread")) {
    pthread_t t;
    pthread_create(&t, NULL, exiting_thread, NULL);
    pthread_join(t, NULL);
    say("not reached: pthread_join returned\n");
    return 1;
  }
  if (!strcmp(mode, "_exit")) _exit(4);
  if (!strcmp(mode, "segv")) {
    *(volatile int *)0 = 1;
    return 1;
  }
  if (!strcmp(mode, "abort")) abort();
  if (!strcmp(mode, "sigkill")) {
    kill(getpid(), SIGKILL);
    pause();
  }
  if (!strcmp(mode, "sigkill-free")) {
    void *volatile q = malloc(60);
    free(q);
    kill(getpid(), SIGKILL);
    pause();
  }
  if (!strcmp(mode, "sigkill-big")) {
    keep_a();
    keep_b();
    kill(getpid(), SIGKILL);
    pause();
  }
  if (!strcmp(mode, "sigkill-burst")) {
    static void *volatile burst[40];   /* volatile: no malloc+free pair elided */
    for (int i = 0; i < 40; i++) burst[i] = malloc(100);
    for (int i = 0; i < 40; i++) free(burst[i]);
    for (int i = 0; i < 3; i++) burst[i] = malloc(100);
    free(burst[2]);
    burst[2] = malloc(100);
    free(burst[0]);
    burst[0] = NULL;
    kill(getpid(), SIGKILL);
    pause();
  }
  say("unknown mode\n");
  return 2;
}
