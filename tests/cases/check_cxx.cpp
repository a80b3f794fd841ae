// check_cxx.cpp: mismatched allocation and release families, one per mode,
// for heapspy run --check (t1420). Prints "block=ADDRESS" first; `mark:`
// comments give the tests their lines. "clean" pairs them right.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // the bugs are deliberate
#pragma GCC diagnostic ignored "-Wuse-after-free"

static void *volatile slot;
template <class T> static __attribute__((noinline)) T *launder(T *p) { slot = p; return (T *)slot; }
static void show(const void *p) { std::printf("block=%p\n", p); std::fflush(stdout); }

// A virtual call through an object already deleted: its vtable pointer is
// read from freed memory.
struct shape { virtual ~shape() {} virtual int sides() const { return 0; } };
struct square : shape { int sides() const override { return 4; } };
static __attribute__((noinline)) int sides_of(const shape *s) {
  return s->sides();   // mark: virtual-after-delete-call
}

int main(int argc, char **argv) {
  const char *m = argc > 1 ? argv[1] : "clean";
  if (!std::strcmp(m, "new-free")) {
    int *p = new int(5);   // mark: new-free-alloc
    show(p);
    std::free(launder(p));   // mark: new-free-free
  } else if (!std::strcmp(m, "array-delete")) {
    int *a = new int[10];   // mark: array-delete-alloc
    show(a);
    delete launder(a);   // mark: array-delete-free
  } else if (!std::strcmp(m, "malloc-delete")) {
    int *p = (int *)std::malloc(sizeof(int));   // mark: malloc-delete-alloc
    show(p);
    delete launder(p);   // mark: malloc-delete-free
  } else if (!std::strcmp(m, "virtual-after-delete")) {
    shape *s = new square;   // mark: virtual-after-delete-alloc
    show(s);
    delete s;   // mark: virtual-after-delete-delete
    std::printf("sides=%d\n", sides_of(launder(s)));
  } else if (!std::strcmp(m, "new-delete-array")) {
    int *p = new int(1);   // mark: new-delete-array-alloc
    show(p);
    delete[] launder(p);   // mark: new-delete-array-free
  } else {
    int *p = new int(1);
    delete p;
    int *a = new int[4];
    delete[] a;
    struct alignas(64) big { char c[64]; };
    big *b = new big;
    if ((unsigned long)b % 64) return 1;
    delete b;
    std::printf("clean: ok\n");
  }
  return 0;
}
