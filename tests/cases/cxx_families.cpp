/*
 * cxx_families.cpp: test program for t1040-cxx-and-client.sh. The C++
 * allocator families, each with known counts; no iostream, no STL, no
 * stdio (write(2) only), so the only other allocation is libstdc++'s
 * emergency exception pool (see the test).
 *
 *   new      10 x new int, 7 deleted; 1 nothrow new + delete;
 *            1 aligned (64) new + delete          => allocs 12, frees 9,
 *            bytes 10*4 + 4 + 64 = 108, in use 12 bytes in 3 blocks
 *   new[]    5 x new char[100], 4 delete[]'d      => allocs 5, frees 4,
 *            bytes 500, in use 100 bytes in 1 block
 *   malloc   2 x malloc(50) + free                => allocs 2, frees 2
 * The lost blocks are lost in lose_news() (3 ints) and lose_array()
 * (1 array).
 */
#include <cstdlib>
#include <cstring>
#include <new>
#include <unistd.h>

struct alignas(64) Aligned { char bytes[64]; };

void *volatile sink;

__attribute__((noinline)) void lose_news() {
  int *p[10];
  for (int i = 0; i < 10; i++) {
    p[i] = new int(i); /* NEW-SITE */
    sink = p[i];
  }
  for (int i = 0; i < 7; i++) delete p[i];
  for (int i = 7; i < 10; i++) p[i] = nullptr;
  sink = nullptr;
}

__attribute__((noinline)) void lose_array() {
  char *a[5];
  for (int i = 0; i < 5; i++) {
    a[i] = new char[100]; /* ARRAY-SITE */
    std::memset(a[i], 'x', 100);
    sink = a[i];
  }
  for (int i = 0; i < 4; i++) delete[] a[i];
  a[4] = nullptr;
  sink = nullptr;
}

__attribute__((noinline)) void others() {
  int *n = new (std::nothrow) int(1);
  sink = n;
  delete n;
  Aligned *al = new Aligned;
  sink = al;
  delete al;
  for (int i = 0; i < 2; i++) {
    void *m = std::malloc(50);
    sink = m;
    std::free(m);
  }
  sink = nullptr;
}

/* Zero the 16 KiB of dead stack below the caller's stack pointer, so no
 * stale copy of a lost block's address survives where a conservative
 * scan (valgrind's or heapspy's) would later read it. Inline asm: a
 * function's own frame would leave a gap right below the caller. */
#define SCRUB_DEAD_STACK()                                              \
  __asm__ volatile("lea -16384(%%rsp), %%rdi\n\tmov $2048, %%ecx\n\t" \
                   "xor %%eax, %%eax\n\trep stosq"                     \
                   ::: "rdi", "rcx", "rax", "memory", "cc")

int main() {
  lose_news();
  lose_array();
  others();
  SCRUB_DEAD_STACK();
  ssize_t w = write(1, "c++ done\n", 9);
  (void)w;
  return 0;
}
