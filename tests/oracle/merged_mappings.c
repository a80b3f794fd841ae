/*
 * merged_mappings.c: blocks whose only pointers lie in the program's own
 * mmap, which the kernel merged with the pages glibc mmap'd for a large
 * malloc (same protection and flags: one line of /proc/self/maps), for
 * comparing heapspy's leak kinds with memcheck's (t2138). Python's object
 * arenas sit beside its large blocks the same way. Runs under valgrind as
 * it is: it must never depend on heapspy or print anything (its output is
 * compared between the two runs).
 *
 * The heap, natively (under valgrind the fixed mapping may land elsewhere;
 * memcheck's view of the pointers is the same):
 *   kept   1 MiB, held by a global; holds the only pointer to 500 bytes
 *   gone   1 MiB, pointer dropped (definitely lost); holds the only
 *          pointer to 100 bytes (indirectly lost: a lost chunk's contents
 *          are never a root, merged or not)
 *   4000 bytes held only from the merged mapping (still reachable)
 *   3000 bytes held only 16 bytes in, from the merged mapping (possibly)
 *   2000 bytes dropped (definitely lost)
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define BIG (1u << 20)          /* above glibc's mmap threshold: a chunk of its own */
#define MINE (64u << 10)

void *kept;
void *volatile sink;            /* makes each allocation escape: none optimized away */

/* 64 KiB right below the pages of the mmap'd chunk holding p. */
static void **map_below(const void *p) {
  uintptr_t at = ((uintptr_t)p & ~(uintptr_t)4095) - MINE;
  void *m = mmap((void *)at, MINE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (m == MAP_FAILED || m != (void *)at) {
    if (m != MAP_FAILED) munmap(m, MINE);   /* a kernel without NOREPLACE */
    m = mmap(NULL, MINE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  return m == MAP_FAILED ? NULL : m;
}

/* Everything but `kept`, in a frame of its own: no stale copy of a
 * pointer stays live in main's registers or stack. */
static __attribute__((noinline)) int build(void) {
  void **gone = malloc(BIG);
  if (!gone) return 1;
  gone[10] = malloc(100);
  void **mine = map_below(gone);
  if (!mine) return 1;
  mine[100] = malloc(4000);
  mine[200] = (char *)malloc(3000) + 16;
  sink = malloc(2000);
  for (int i = 0; i < 4; i++) {       /* the allocator's and the spy's notes of */
    void *p = malloc(BIG);             /* the latest large chunk: no longer gone */
    sink = p;
    free(p);
  }
  sink = NULL;
  return 0;
}

/* The dead frames build() left below the stack pointer, zeroed: exit's
 * own frames reuse that stack, and a slot they leave unset would still
 * hold a pointer to `gone`. */
static __attribute__((noinline)) void scrub(void) {
  volatile char frames[4096];
  for (unsigned i = 0; i < sizeof frames; i++) frames[i] = 0;
}

int main(void) {
  kept = malloc(BIG);
  if (!kept) return 1;
  ((void **)kept)[10] = malloc(500);
  int status = build();
  scrub();
  return status;
}
