/*
 * check_heap.c: one heap bug per mode, for heapspy run --check (t14NN),
 * valgrind memcheck and the who-catches-what suite (tests/truth, also
 * built with AddressSanitizer). Prints "block=ADDRESS" (the block the bug hits,
 * as the program sees it) before the bug; `mark: NAME` comments give the
 * tests their lines. Mode "clean" exercises every allocator call and
 * checks the guarantees (alignment, usable size, realloc's copy, calloc's
 * zeros): it must run with zero errors.
 */
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the bugs are deliberate */
#pragma GCC diagnostic ignored "-Wuse-after-free"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

static volatile size_t past = 10;   /* opaque to the compiler */
static void *volatile launder_slot;
static __attribute__((noinline)) void *launder(void *p) { launder_slot = p; return launder_slot; }
static void show(const void *p) { printf("block=%p\n", p); fflush(stdout); }

static __attribute__((noinline)) void overflow1(void) {
  char *p = malloc(24);   /* mark: overflow1-alloc */
  show(p);
  ((char *)launder(p))[24] = 'x';   /* mark: overflow1-bug */
  free(p);   /* mark: overflow1-free */
}

/* realloc moves every block under --check: it checks the old one's zones. */
static __attribute__((noinline)) void realloc_overflow(void) {
  char *p = malloc(24);   /* mark: realloc-overflow-alloc */
  show(p);
  ((char *)launder(p))[25] = 'x';   /* mark: realloc-overflow-bug */
  p = realloc(p, 100);   /* mark: realloc-overflow-realloc */
  free(p);
}

static __attribute__((noinline)) void overflow_many(void) {
  char *p = malloc(24);   /* mark: overflow-many-alloc */
  show(p);
  memset(launder(p), 'x', 24 + past);   /* mark: overflow-many-bug */
  free(p);   /* mark: overflow-many-free */
}

static __attribute__((noinline)) void underflow(void) {
  char *p = malloc(24);   /* mark: underflow-alloc */
  show(p);
  ((char *)launder(p))[-1] = 'x';   /* mark: underflow-bug */
  free(p);   /* mark: underflow-free */
}

/* Past the 16-byte red zone: into the record --check keeps before it
 * (spy_records.c), through the zone or over it alone. */
static __attribute__((noinline)) void underflow_deep(void) {
  char *p = malloc(24);   /* mark: underflow-deep-alloc */
  show(p);
  memset((char *)launder(p) - 20, 'x', 20);   /* mark: underflow-deep-bug */
  free(p);   /* mark: underflow-deep-free */
}
static __attribute__((noinline)) void underflow_record(void) {
  char *p = malloc(24);   /* mark: underflow-record-alloc */
  show(p);
  ((char *)launder(p))[-24] = 'x';   /* mark: underflow-record-bug */
  free(p);   /* mark: underflow-record-free */
}

static __attribute__((noinline)) void underflow_many(void) {
  char *p = malloc(24);   /* mark: underflow-many-alloc */
  show(p);
  memset((char *)launder(p) - past, 'x', past);   /* mark: underflow-many-bug */
  free(p);   /* mark: underflow-many-free */
}

static __attribute__((noinline)) void uaf_read(void) {
  char *p = malloc(48);   /* mark: uaf-read-alloc */
  show(p);
  free(p);   /* mark: uaf-read-free */
  printf("read %d\n", ((volatile char *)launder(p))[8]);   /* mark: uaf-read-bug */
}

static __attribute__((noinline)) void uaf_write(void) {
  char *p = malloc(48);   /* mark: uaf-write-alloc */
  show(p);
  free(p);   /* mark: uaf-write-free */
  ((volatile char *)launder(p))[8] = 'x';   /* mark: uaf-write-bug */
}

/* A large block written after free at offset OFF: --check poisons and
 * verifies the first 4 KiB of a freed block only. */
static __attribute__((noinline)) void uaf_write_big(size_t off) {
  char *p = malloc(8192);
  show(p);
  free(p);
  ((volatile char *)launder(p))[off] = 'x';
}

/* Story 2: the creator frees the object while a holder still has it; the
 * holder's release() then writes the freed memory. */
struct obj { int refs; char name[44]; };
static __attribute__((noinline)) struct obj *obj_new(void) {
  struct obj *o = malloc(sizeof *o);   /* mark: obj-alloc */
  o->refs = 2;
  strcpy(o->name, "shared");
  return o;
}
static __attribute__((noinline)) void obj_release(struct obj *o) {
  if (--o->refs == 0) free(o);   /* mark: obj-release */
}
static __attribute__((noinline)) void use_after_free(void) {
  struct obj *o = obj_new();
  show(o);
  struct obj *holder = o;
  free(o);   /* mark: obj-creator-free */
  obj_release(launder(holder));   /* mark: obj-holder-release */
}

static __attribute__((noinline)) void double_free(void) {
  char *p = malloc(32);   /* mark: double-alloc */
  show(p);
  free(p);   /* mark: double-first */
  free(launder(p));   /* mark: double-second */
}

static __attribute__((noinline)) void invalid_stack(void) {
  char buf[32];
  buf[0] = 0;
  show(buf);
  free(launder(buf));   /* mark: invalid-stack */
}

static char global_buf[32];
static __attribute__((noinline)) void invalid_global(void) {
  show(global_buf);
  free(launder(global_buf));   /* mark: invalid-global */
}

/* A pointer malloc never returned: into a page of its own mapping. */
static __attribute__((noinline)) void invalid_never(void) {
  char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  show(page + 64);
  free(launder(page + 64));   /* mark: invalid-never */
}

static __attribute__((noinline)) void invalid_interior(void) {
  char *p = malloc(64);   /* mark: interior-alloc */
  show(p);
  free(launder(p + 16));   /* mark: interior-free */
  free(p);
}

#define CHECK(c) do { if (!(c)) { printf("FAILED: %s (line %d)\n", #c, __LINE__); bad++; } } while (0)
static int clean(void) {
  int bad = 0;
  char *p = malloc(100);
  CHECK(malloc_usable_size(p) >= 100);
  memset(p, 7, 100);
  p = realloc(p, 1000);
  CHECK(p[0] == 7 && p[99] == 7);
  p = realloc(p, 10);
  CHECK(p[9] == 7);
  free(p);
  int *z = calloc(50, sizeof *z);
  for (int i = 0; i < 50; i++) CHECK(z[i] == 0);
  free(z);
  size_t aligns[] = { 8, 16, 32, 64, 256, 4096 };
  for (size_t i = 0; i < sizeof aligns / sizeof *aligns; i++) {
    void *a = memalign(aligns[i], 40);
    CHECK(a && (uintptr_t)a % aligns[i] == 0);
    memset(a, 1, 40);
    free(a);
    void *b = NULL;
    CHECK(posix_memalign(&b, aligns[i], 24) == 0 && (uintptr_t)b % aligns[i] == 0);
    free(b);
    void *c = aligned_alloc(aligns[i], aligns[i] * 2);
    CHECK(c && (uintptr_t)c % aligns[i] == 0);
    c = realloc(c, 8);
    free(c);
  }
  void *v = valloc(10);
  CHECK(v && (uintptr_t)v % 4096 == 0);
  free(v);
  for (int i = 0; i < 100000; i++) free(launder(malloc((size_t)(i % 300) + 1)));  /* cycles the quarantine */
  free(realloc(NULL, 5));
  CHECK(realloc(malloc(5), 0) == NULL);
  printf("%s\n", bad ? "clean: FAILED" : "clean: ok");
  return bad != 0;
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "clean";
  if (!strcmp(m, "overflow1")) overflow1();
  else if (!strcmp(m, "overflow-many")) overflow_many();
  else if (!strcmp(m, "realloc-overflow")) realloc_overflow();
  else if (!strcmp(m, "underflow")) underflow();
  else if (!strcmp(m, "underflow-many")) underflow_many();
  else if (!strcmp(m, "underflow-deep")) underflow_deep();
  else if (!strcmp(m, "underflow-record")) underflow_record();
  else if (!strcmp(m, "uaf-read")) uaf_read();
  else if (!strcmp(m, "uaf-write")) uaf_write();
  else if (!strcmp(m, "uaf-write-big-early")) uaf_write_big(4000);
  else if (!strcmp(m, "uaf-write-big-late")) uaf_write_big(5000);
  else if (!strcmp(m, "invalid-global")) invalid_global();
  else if (!strcmp(m, "invalid-never")) invalid_never();
  else if (!strcmp(m, "three")) { double_free(); overflow1(); invalid_interior(); }
  else if (!strcmp(m, "use-after-free")) use_after_free();
  else if (!strcmp(m, "double-free")) double_free();
  else if (!strcmp(m, "invalid-stack")) invalid_stack();
  else if (!strcmp(m, "invalid-interior")) invalid_interior();
  else if (!strcmp(m, "clean")) return clean();
  else { fprintf(stderr, "unknown mode %s\n", m); return 2; }
  return 0;
}
