// tests/oracle/cxx_every_new.cpp: the C++ workload of the "exact accounting"
// oracle test (t2120-valgrind-cxx.sh). It calls every allocation entry point
// valgrind's memcheck counts in its HEAP SUMMARY, so heapspy's totals can be
// compared with valgrind's number for number:
//   operator new / delete (plain, array, nothrow, sized delete, aligned new
//   and delete in all their forms), std::string / std::vector / std::map
//   churn, malloc, calloc, realloc (incl. realloc(NULL,n) and realloc(p,0)),
//   reallocarray, memalign, posix_memalign, aligned_alloc, valloc, strdup,
//   strndup, free(NULL) and delete of null (neither is counted),
// and it leaks a few blocks on purpose (some still reachable from a global,
// some lost).
//
// Everything is deterministic: no time, no randomness, no environment, no
// threads. Every pointer escapes through escape() so the optimizer (the
// Makefile builds it with g++ -O1 -g) can neither elide nor merge any
// allocation/free pair. Output: one line with a checksum on stdout.
//
// Expected counts are not hard-coded here: the oracle is valgrind itself.
// pvalloc is deliberately absent: valgrind 3.19 aborts the program on it.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <map>
#include <new>
#include <string>
#include <vector>

namespace {

// Make the pointer (and all memory) visible to an unknown consumer.
inline void escape(const void *p) { asm volatile("" : : "g"(p) : "memory"); }

unsigned long checksum = 0;
inline void touch(void *p, size_t n) {
  escape(p);
  if (p && n) {
    static_cast<unsigned char *>(p)[0] = static_cast<unsigned char>(n);
    static_cast<unsigned char *>(p)[n - 1] = static_cast<unsigned char>(n >> 1);
    checksum += static_cast<unsigned char *>(p)[0];
  }
  escape(p);
}

struct Plain {
  long a[5];
};
struct alignas(64) Over64 {  // over-aligned: new Over64 uses aligned new
  char c[100];
};
struct alignas(256) Over256 {
  char c[300];
};
struct WithDtor {  // array new of a type with a destructor stores a cookie
  long v = 0;
  ~WithDtor() { checksum += static_cast<unsigned long>(v); }
};

// Leaked on purpose and still reachable through these globals at exit.
void *g_reachable_malloc;
std::string *g_reachable_string;
std::vector<int> *g_reachable_vector;

void operators_new_delete() {
  for (int i = 0; i < 20; i++) {
    // plain new / delete
    Plain *p = new Plain();
    touch(p, sizeof *p);
    delete p;

    // array new / delete (trivial type: no cookie)
    int *a = new int[10 + i];
    touch(a, sizeof(int) * (10 + i));
    delete[] a;

    // array new / delete with an array cookie
    WithDtor *w = new WithDtor[3 + i];
    w[0].v = i;
    escape(w);
    delete[] w;

    // nothrow new / new[] (released with plain delete / delete[])
    Plain *pn = new (std::nothrow) Plain();
    touch(pn, sizeof *pn);
    delete pn;
    char *an = new (std::nothrow) char[33 + i];
    touch(an, 33 + i);
    delete[] an;

    // explicit operator calls: sized delete, nothrow delete
    void *raw = ::operator new(48 + i);
    touch(raw, 48 + i);
    ::operator delete(raw, static_cast<size_t>(48 + i));
    void *rawa = ::operator new[](64 + i);
    touch(rawa, 64 + i);
    ::operator delete[](rawa, static_cast<size_t>(64 + i));
    void *rawn = ::operator new(24, std::nothrow);
    touch(rawn, 24);
    ::operator delete(rawn, std::nothrow);
    void *rawan = ::operator new[](25, std::nothrow);
    touch(rawan, 25);
    ::operator delete[](rawan, std::nothrow);

    // aligned new / delete via over-aligned types
    Over64 *o = new Over64();
    touch(o, sizeof *o);
    delete o;
    Over256 *oa = new Over256[2 + (i % 3)];
    touch(oa, sizeof(Over256));
    delete[] oa;
    Over64 *on = new (std::nothrow) Over64();
    touch(on, sizeof *on);
    delete on;

    // aligned operators called explicitly, every delete variant
    const std::align_val_t al64{64}, al128{128}, al4k{4096};
    void *x1 = ::operator new(200 + i, al64);
    touch(x1, 200 + i);
    ::operator delete(x1, al64);
    void *x2 = ::operator new(300, al128);
    touch(x2, 300);
    ::operator delete(x2, static_cast<size_t>(300), al128);
    void *x3 = ::operator new[](400, al64);
    touch(x3, 400);
    ::operator delete[](x3, al64);
    void *x4 = ::operator new[](500 + i, al128);
    touch(x4, 500 + i);
    ::operator delete[](x4, static_cast<size_t>(500 + i), al128);
    void *x5 = ::operator new(17, al4k, std::nothrow);
    touch(x5, 17);
    ::operator delete(x5, al4k, std::nothrow);
    void *x6 = ::operator new[](19, al64, std::nothrow);
    touch(x6, 19);
    ::operator delete[](x6, al64, std::nothrow);
  }

  // deleting null is not a free
  Plain *null_plain = nullptr;
  escape(&null_plain);
  delete null_plain;
  int *null_array = nullptr;
  escape(&null_array);
  delete[] null_array;
}

void stl_churn() {
  std::map<std::string, std::vector<int>> m;
  std::vector<std::string> names;
  for (int i = 0; i < 300; i++) {
    char buf[64];
    snprintf(buf, sizeof buf, "key-%04d-%s", i,
             (i % 3) ? "a-rather-long-suffix-that-defeats-sso" : "s");
    std::string k(buf);
    names.push_back(k);               // vector growth + string copies
    std::vector<int> &v = m[k];       // map node
    for (int j = 0; j < (i % 17) + 1; j++) v.push_back(i * j);  // growth
  }
  for (int i = 0; i < 300; i += 2) m.erase(names[i]);  // node frees
  std::string cat;
  for (const auto &kv : m) {
    cat += kv.first.substr(0, 6);  // temporary strings, append growth
    checksum += kv.second.size();
  }
  checksum += cat.size();
  std::vector<std::string> copy(names.rbegin(), names.rend());
  copy.shrink_to_fit();
  copy.resize(10);
  checksum += copy.size();
}

void c_allocators() {
  for (int i = 0; i < 25; i++) {
    void *p = malloc(16 + i * 8);
    touch(p, 16 + i * 8);
    free(p);

    void *z = malloc(0);  // malloc(0): a counted alloc of 0 bytes
    escape(z);
    free(z);

    void *c = calloc(7, 9 + i);
    touch(c, 7 * (9 + i));
    free(c);

    // realloc(NULL, n) is a malloc; realloc to a bigger and a smaller size;
    // realloc(p, 0) frees
    void *r = realloc(nullptr, 40);
    touch(r, 40);
    r = realloc(r, 4000 + i);
    touch(r, 4000 + i);
    r = realloc(r, 10);
    touch(r, 10);
    void *r0 = realloc(r, 0);  // frees r; glibc returns NULL
    escape(r0);
    free(r0);  // free(NULL) is not counted (and r0 is NULL here)

    void *ra = reallocarray(nullptr, 5, 12);
    touch(ra, 60);
    ra = reallocarray(ra, 50, 12);
    touch(ra, 600);
    free(ra);

    void *m1 = memalign(64, 100 + i);
    touch(m1, 100 + i);
    free(m1);

    void *pm = nullptr;
    if (posix_memalign(&pm, 128, 256 + i) == 0) {
      touch(pm, 256 + i);
      free(pm);
    }

    void *aa = aligned_alloc(32, 320);
    touch(aa, 320);
    free(aa);

    void *va = valloc(123 + i);
    touch(va, 123 + i);
    free(va);

    char *s = strdup("the quick brown fox jumps over the lazy dog");
    touch(s, strlen(s) + 1);
    free(s);

    char *sn = strndup("abcdefghijklmnopqrstuvwxyz", 10 + i % 5);
    touch(sn, strlen(sn) + 1);
    free(sn);
  }
  void *null_ptr = nullptr;
  escape(&null_ptr);
  free(null_ptr);  // not counted
}

void leak_on_purpose() {
  // still reachable at exit
  g_reachable_malloc = malloc(1000);
  touch(g_reachable_malloc, 1000);
  g_reachable_string = new std::string(100, 'x');  // 2 blocks: object + data
  g_reachable_vector = new std::vector<int>(50, 7);  // 2 blocks
  escape(g_reachable_string);
  escape(g_reachable_vector);

  // lost: the last pointer is dropped
  for (int i = 0; i < 3; i++) {
    void *lost = malloc(111 + i);
    touch(lost, 111 + i);
  }
  char *lost_dup = strdup("leaked copy of a string");
  touch(lost_dup, 24);
  Plain *lost_new = new Plain();
  touch(lost_new, sizeof *lost_new);
  void *lost_aligned = ::operator new(333, std::align_val_t{64});
  touch(lost_aligned, 333);
  int *lost_array = new int[77];
  touch(lost_array, sizeof(int) * 77);
}

}  // namespace

int main() {
  operators_new_delete();
  stl_churn();
  c_allocators();
  leak_on_purpose();
  printf("cxx_every_new: checksum %lu\n", checksum);
  return 0;
}
