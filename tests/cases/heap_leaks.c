/*
 * heap_leaks.c: one heap block of each of memcheck's leak kinds, for
 * `heapspy heap`'s leak scan (t1750-heap-leaks), with known sizes. Every
 * size is 16k + 8, so glibc's usable size equals the size asked for and
 * heapspy's bytes (usable) can equal memcheck's (requested). Every block
 * is written in full (memset), so no stale word of glibc's is in it
 * (memcheck ignores undefined words; a scan from outside cannot).
 *
 *   still reachable  200   from a global
 *                    104   from a local variable of thread "stack"
 *                    120   only in register r12 of thread "reg" (blocked
 *                          in read(2) inside an asm block that holds it)
 *                    232 -> 248  a chain from a global (2 blocks)
 *                    40    stdstring heuristic: only ptr+24 kept
 *                    56    length64: only ptr+8 kept, first word 48
 *                    72    newarray: only ptr+8 kept, first word 4
 *                    168   multipleinheritance: only ptr+16 kept, the
 *                          words at 0 and 16 point to two fake vtables
 *                          (const tables of function pointers)
 *   possibly lost    136   only ptr+40 kept
 *   definitely lost  88    its pointer overwritten
 *                    152   root of a lost tree
 *                    312   a lost cycle with 328 (the lower address heads it)
 *   indirectly lost  24, 184, 264   the tree's children and grandchild
 *                    328   the cycle's other block
 *
 * Then, natively: writes pid=PID to READY_FILE and waits forever. Under
 * valgrind (RUNNING_ON_VALGRIND): asks memcheck for a leak check at this
 * very point (VALGRIND_DO_LEAK_CHECK) and exits with _exit, freeing
 * nothing. Nothing allocates after the build but glibc's pthread_create
 * (each thread's DTV: one calloc, kept by an interior pointer, so
 * possibly lost for memcheck and heapspy alike).
 *
 * usage: heap_leaks READY_FILE
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <valgrind/memcheck.h>

static void *volatile g_reach, *volatile g_chain, *volatile g_interior;
static volatile uintptr_t g_heur[4];
static int ready_pipe[2], block_pipe[2];

static void fn_a(void) {}
static void fn_b(void) {}
static void fn_c(void) {}
/* two "vtables": read-only tables whose entries point into the code */
static void (*const vt_one[])(void) = { fn_a, fn_b, fn_c };
static void (*const vt_two[])(void) = { fn_c, fn_a, fn_b };

static void *block(size_t n) {
  void *p = malloc(n);
  if (!p) _exit(3);
  return memset(p, 0x11, n);
}

static void *stack_thread(void *arg) {
  (void)arg;
  void *volatile local = block(104);
  char c = 1;
  if (write(ready_pipe[1], &c, 1) != 1) _exit(4);
  while (read(block_pipe[0], &c, 1) != 0) {}
  return local;
}

/* The pointer lives only in r12 (and whatever register the compiler used
 * to carry it there): the asm signals ready and blocks in read(2)
 * without ever storing it. */
static void *reg_thread(void *arg) {
  (void)arg;
  static char byte = 1;
  register uintptr_t held __asm__("r12") = (uintptr_t)block(120);
  __asm__ volatile("mov $1, %%eax\n\t"
                   "mov %[w], %%edi\n\t"
                   "lea %[b], %%rsi\n\t"
                   "mov $1, %%edx\n\t"
                   "syscall\n"
                   "1:\n\t"
                   "mov $0, %%eax\n\t"
                   "mov %[r], %%edi\n\t"
                   "lea %[b], %%rsi\n\t"
                   "mov $1, %%edx\n\t"
                   "syscall\n\t"
                   "jmp 1b"
                   :
                   : "r"(held), [w] "r"(ready_pipe[1]), [r] "r"(block_pipe[0]), [b] "m"(byte)
                   : "rax", "rdi", "rsi", "rdx", "rcx", "r11", "memory");
  __builtin_unreachable();
}

__attribute__((noinline)) static void build(void) {
  g_reach = block(200);
  void **a = block(232);
  a[0] = block(248);
  g_chain = a;
  /* heuristics: each block's only pointer is an interior one */
  uint64_t *s = block(40);            /* std::string: length, capacity, refcount, chars */
  s[0] = 5, s[1] = 15, s[2] = 0;
  g_heur[0] = (uintptr_t)s + 24;
  uint64_t *l = block(56);            /* length64 */
  l[0] = 48;
  g_heur[1] = (uintptr_t)l + 8;
  uint64_t *na = block(72);           /* new[]: element count first */
  na[0] = 4;
  g_heur[2] = (uintptr_t)na + 8;
  uintptr_t *mi = block(168);         /* multiple inheritance */
  mi[0] = (uintptr_t)vt_one;
  mi[2] = (uintptr_t)vt_two;
  g_heur[3] = (uintptr_t)mi + 16;
  g_interior = (char *)block(136) + 40;
  /* definitely lost */
  void *volatile lost = block(88);
  lost = NULL;
  (void)lost;
  void **root = block(152);
  root[0] = block(24);
  void **kid = block(184);
  root[1] = kid;
  kid[0] = block(264);
  void **c1 = block(312), **c2 = block(328);
  c1[0] = c2;
  c2[0] = c1;
}

/* Wipes the dead part of the stack the build used, so no stale copy of a
 * pointer lies where a later frame might leave it uncovered. */
__attribute__((noinline)) static void wipe(void) {
  volatile char junk[16384];
  memset((char *)junk, 0, sizeof junk);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (pipe(ready_pipe) || pipe(block_pipe)) return 1;
  build();
  wipe();
  pthread_t t1, t2;
  if (pthread_create(&t1, NULL, stack_thread, NULL) || pthread_create(&t2, NULL, reg_thread, NULL))
    return 1;
  char c;
  for (int i = 0; i < 2; i++)
    if (read(ready_pipe[0], &c, 1) != 1) return 1;
  if (RUNNING_ON_VALGRIND) {
    VALGRIND_DO_LEAK_CHECK;
    _exit(0);
  }
  char buf[64], tmp[4096];
  int n = snprintf(buf, sizeof buf, "pid=%d\n", (int)getpid());
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, buf, (size_t)n) != n) return 1;
  close(fd);
  rename(tmp, argv[1]);
  for (;;) pause();
}
