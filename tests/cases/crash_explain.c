/*
 * crash_explain.c: programs that die of SIGSEGV at or near a heap block,
 * for heapspy run without --guard (t1440). Prints "block=ADDRESS" and
 * "fault=ADDRESS" (where the crash will be) before crashing; `mark: NAME`
 * comments give the tests their lines.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#pragma GCC diagnostic ignored "-Wuse-after-free"

#define BIG (1 << 20)             /* above glibc's mmap threshold */

static void *volatile slot;
static __attribute__((noinline)) void *launder(void *p) { slot = p; return slot; }
static volatile char sink;
static __attribute__((access(none, 1))) void show(const void *block, const void *fault) {
  printf("block=%p\nfault=%p\n", block, fault);
  fflush(stdout);
}

/* glibc unmaps a large block at free: the read faults. */
static __attribute__((noinline)) void read_freed(char *p) {
  sink = p[8];   /* mark: bu-read */
}
static __attribute__((noinline)) void big_uaf(void) {
  char *p = malloc(BIG);   /* mark: bu-alloc */
  memset(p, 1, 64);
  show(p, p + 8);
  free(p);   /* mark: bu-free */
  read_freed(launder(p));
}

/* glibc's memcpy reads the freed large block (its instruction depends on
 * the CPU: t1440 disassembles the faulting one). */
static volatile size_t n_copy = 64;   /* volatile: gcc must call glibc */
static __attribute__((noinline)) void big_uaf_memcpy(void) {
  static char dst[64];
  char *p = malloc(BIG);   /* mark: bm-alloc */
  memset(p, 1, 64);
  show(p, p);
  free(p);   /* mark: bm-free */
  memcpy(dst, launder(p), n_copy);   /* mark: bm-read */
  sink = dst[0];
}

/* A write runs off the end of a large block's mapping into the range of
 * a large block mapped just above it and freed (unmapped) since. */
static __attribute__((noinline)) void write_past(char *p, size_t at) {
  p[at] = 'x';   /* mark: bo-write */
}
static __attribute__((noinline)) void big_overflow(void) {
  char *b[8];
  for (int i = 0; i < 8; i++) b[i] = malloc(BIG);   /* mark: bo-alloc */
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++) {
      size_t usable = malloc_usable_size(b[j]);
      if (b[j] + usable != b[i] - 16) continue;     /* glibc: 16-byte chunk header */
      free(b[i]);
      show(b[j], b[j] + usable);
      write_past(launder(b[j]), usable);
    }
  puts("skip: the kernel mapped no two blocks side by side");
  exit(77);
}

/* The program itself made part of a live block read-only. */
static __attribute__((noinline)) void poke(char *p) {
  p[0] = 'x';   /* mark: ro-write */
}
static __attribute__((noinline)) void readonly_block(void) {
  char *p = malloc(BIG);   /* mark: ro-alloc */
  char *page = (char *)(((uintptr_t)p + 8191) & ~(uintptr_t)4095);
  mprotect(page, 4096, PROT_READ);
  show(p, page);
  poke(launder(page));
}

/* Under --check: a pointer loaded from a freed node (0xfd... bytes) or
 * from a node never written (0xbe...) faults when followed. */
struct node { struct node *next; int value; };
static __attribute__((noinline)) int follow(struct node *n) {
  return n->next->value;   /* mark: fill-follow */
}
static __attribute__((noinline)) void freed_node(void) {
  struct node *n = malloc(sizeof *n);   /* mark: fn-alloc */
  n->next = n;
  n->value = 1;
  show(n, NULL);
  free(n);   /* mark: fn-free */
  sink = (char)follow(launder(n));
}
static __attribute__((noinline)) void new_node(void) {
  struct node *n = malloc(sizeof *n);   /* mark: nn-alloc */
  show(launder(n), NULL);
  sink = (char)follow(launder(n));
}

static __attribute__((noinline)) void wild(void) {
  show(NULL, (void *)16);
  *(volatile int *)launder((void *)16) = 1;
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "";
  if (!strcmp(m, "big-uaf")) big_uaf();
  else if (!strcmp(m, "big-uaf-memcpy")) big_uaf_memcpy();
  else if (!strcmp(m, "big-overflow")) big_overflow();
  else if (!strcmp(m, "readonly")) readonly_block();
  else if (!strcmp(m, "wild")) wild();
  else if (!strcmp(m, "freed-node")) freed_node();
  else if (!strcmp(m, "new-node")) new_node();
  else { fprintf(stderr, "unknown mode %s\n", m); return 2; }
  return 0;
}
