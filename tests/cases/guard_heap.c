/*
 * guard_heap.c: heap bugs for heapspy run --guard (t1430), one per mode.
 * Prints "block=ADDRESS" (the block the bug hits) before the bug;
 * `mark: NAME` comments give the tests their lines. Sizes are multiples
 * of 16 where the guard page must catch the very first bad byte.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wuse-after-free"
#pragma GCC diagnostic ignored "-Wfree-nonheap-object"
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

static void *volatile slot;
static __attribute__((noinline)) void *launder(void *p) { slot = p; return slot; }
static void show(const void *p) { printf("block=%p\n", p); fflush(stdout); }
static volatile char sink;

static __attribute__((noinline)) void overflow_write(void) {
  char *p = malloc(32);   /* mark: ow-alloc */
  show(p);
  ((char *)launder(p))[32] = 'x';   /* mark: ow-write */
  free(p);   /* mark: ow-free */
}

static __attribute__((noinline)) void overflow_read(void) {
  char *p = malloc(32);   /* mark: or-alloc */
  show(p);
  sink = ((char *)launder(p))[40];   /* mark: or-read */
  free(p);
}

/* 20 bytes: the block ends 12 bytes before the guard page (16-byte
 * alignment); the slack is checked at free. */
static __attribute__((noinline)) void overflow_slack(void) {
  char *p = malloc(20);   /* mark: os-alloc */
  show(p);
  ((char *)launder(p))[20] = 'x';   /* mark: os-write */
  free(p);   /* mark: os-free */
}

static __attribute__((noinline)) void underflow_write(void) {
  char *p = malloc(32);   /* mark: uw-alloc */
  show(p);
  ((char *)launder(p))[-1] = 'x';   /* mark: uw-write */
  free(p);   /* mark: uw-free */
}

/* Story 2: the creator frees the object, the holder's release() writes it. */
struct obj { int refs; int released; char name[40]; };
static __attribute__((noinline)) struct obj *obj_new(void) {
  struct obj *o = malloc(sizeof *o);   /* mark: obj-alloc */
  o->refs = 2;
  o->released = 0;
  strcpy(o->name, "shared");
  return o;
}
static __attribute__((noinline)) void obj_release(struct obj *o) {
  o->released = 1;   /* mark: obj-release-write */
}
static __attribute__((noinline)) int obj_peek(struct obj *o) {
  return o->refs;   /* mark: obj-peek-read */
}
static __attribute__((noinline)) void uaf(int write) {
  struct obj *o = obj_new();
  show(o);
  free(o);   /* mark: obj-creator-free */
  if (write) obj_release(launder(o));
  else sink = (char)obj_peek(launder(o));
}

static __attribute__((noinline)) void double_free(void) {
  char *p = malloc(32);   /* mark: df-alloc */
  show(p);
  free(p);   /* mark: df-first */
  free(launder(p));   /* mark: df-second */
}

static __attribute__((noinline)) void realloc_overflow(void) {
  char *p = malloc(16);
  memset(p, 7, 16);
  p = realloc(p, 64);   /* mark: ro-realloc */
  show(p);
  if (p[15] != 7) { puts("realloc lost the contents"); exit(3); }
  ((char *)launder(p))[64] = 'x';   /* mark: ro-write */
}

/* Access sizes (t1430): an 8-byte store, a 16-byte SSE store (gcc -O1:
 * movaps, checked with objdump -d), an x87 load, and glibc's memset and memcpy running
 * off the end (their instruction depends on the CPU: t1430 disassembles
 * the faulting one). Each block ends at the guard page (16-byte sizes). */
typedef float v4sf __attribute__((vector_size(16)));
static __attribute__((noinline)) void store8(void) {
  char *p = malloc(32);   /* mark: s8-alloc */
  show(p);
  *(volatile unsigned long *)((char *)launder(p) + 32) = 42;   /* mark: s8-write */
}
static __attribute__((noinline)) void store16(void) {
  char *p = malloc(32);   /* mark: s16-alloc */
  show(p);
  *(volatile v4sf *)((char *)launder(p) + 32) = (v4sf){ 1, 2, 3, 4 };   /* mark: s16-write */
}
/* An x87 load (fldl, DD /0) past the end: an encoding the decoder does
 * not cover, so the size is reported unknown rather than guessed. */
static __attribute__((noinline)) void x87_read(void) {
  char *p = malloc(32);   /* mark: x87-alloc */
  show(p);
  double *d = (double *)((char *)launder(p) + 32);
  __asm__ volatile("fldl %0\n\tfstp %%st(0)" : : "m"(*d));   /* mark: x87-read */
}
static volatile size_t n_copy = 64;   /* volatile: gcc must call glibc */
static __attribute__((noinline)) void overflow_memset(size_t size, size_t n) {
  char *p = malloc(size);   /* mark: ms-alloc */
  show(p);
  memset(launder(p), 'x', n);   /* mark: ms-call */
}
static __attribute__((noinline)) void overflow_memcpy(void) {
  static char src[64];
  char *p = malloc(32);   /* mark: mc-alloc */
  show(p);
  memcpy(launder(p), src, n_copy);   /* mark: mc-call */
}

/* Blocks freed in a forked child (spy off there) leave the parent's
 * guard intact. */
static __attribute__((noinline)) void forked(void) {
  char *p = malloc(32);   /* mark: fk-alloc */
  char *q = malloc(32);
  pid_t pid = fork();
  if (pid == 0) {
    free(q);
    free(malloc(100));
    p[0] = 'c';                          /* the child's copy of the page */
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  printf("child=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  show(p);
  ((char *)launder(p))[32] = 'x';   /* mark: fk-write */
}

/* More live blocks than the kernel gives mappings (vm.max_map_count):
 * later blocks fall back to red zones; once they are freed, guard pages
 * come back and catch the overflow. */
static __attribute__((noinline)) void many(long n) {
  char **v = malloc(sizeof *v * (size_t)n);
  for (long i = 0; i < n; i++) { v[i] = malloc(16); v[i][0] = (char)i; }
  long ok = 0;
  for (long i = 0; i < n; i++) ok += v[i][0] == (char)i;
  for (long i = 0; i < n; i++) free(v[i]);
  free(v);
  printf("many=%ld\n", ok);
  for (int i = 0; i < 3000; i++) free(launder(malloc(16)));
  overflow_write();
}

/* Recoverable mode: 100 overflows at one instruction, then one at
 * another, in two threads at once, then a use after free whose value the
 * program reads back: each site reported once, the guard page closed
 * again after every step (the second site still faults), the writes
 * land, and the program runs to its end. */
static char *rblock;
static __attribute__((noinline)) void *overflow_loop(void *arg) {
  (void)arg;
  for (int i = 0; i < 100; i++) ((char *)launder(rblock))[32 + i % 8] = 'y';   /* mark: rc-loop */
  return NULL;
}
static __attribute__((noinline)) void recover(void) {
  rblock = malloc(32);   /* mark: rc-alloc */
  show(rblock);
  pthread_t t;
  pthread_create(&t, NULL, overflow_loop, NULL);
  overflow_loop(NULL);
  pthread_join(t, NULL);
  ((char *)launder(rblock))[40] = 'z';   /* mark: rc-second */
  int *q = malloc(48);   /* mark: rc-uaf-alloc */
  free(q);   /* mark: rc-uaf-free */
  ((int *)launder(q))[2] = 7;   /* mark: rc-uaf-write */
  printf("read back %d, end\n", ((int *)launder(q))[2]);   /* mark: rc-uaf-read */
}

/* What a new block holds before the program writes it. */
static __attribute__((noinline)) void fill(void) {
  unsigned char *p = launder(malloc(16));
  printf("fill=%02x\n", p[5]);
  free(p);
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "overflow-write")) overflow_write();
  else if (!strcmp(m, "overflow-read")) overflow_read();
  else if (!strcmp(m, "overflow-slack")) overflow_slack();
  else if (!strcmp(m, "underflow-write")) underflow_write();
  else if (!strcmp(m, "uaf-write")) uaf(1);
  else if (!strcmp(m, "uaf-read")) uaf(0);
  else if (!strcmp(m, "double-free")) double_free();
  else if (!strcmp(m, "realloc-overflow")) realloc_overflow();
  else if (!strcmp(m, "fork")) forked();
  else if (!strcmp(m, "store8")) store8();
  else if (!strcmp(m, "store16")) store16();
  else if (!strcmp(m, "x87-read")) x87_read();
  else if (!strcmp(m, "memset")) overflow_memset(32, 48);
  else if (!strcmp(m, "memset-small")) overflow_memset(16, 24);
  else if (!strcmp(m, "memset-big")) overflow_memset(8192, 8192 + 64);
  else if (!strcmp(m, "memcpy")) overflow_memcpy();
  else if (!strcmp(m, "fill")) fill();
  else if (!strcmp(m, "recover")) recover();
  else if (!strcmp(m, "many")) many(argc > 2 ? atol(argv[2]) : 40000);
  else { fprintf(stderr, "unknown mode %s\n", m); return 2; }
  return 0;
}
