/*
 * cxx_bad_alloc.cpp: C++'s failure semantics must survive the spy:
 * throwing operator new and new[] throw std::bad_alloc (libstdc++'s
 * new[] calls operator new, which is heapspy's too), nothrow new returns
 * nullptr. Prints what happened; leaks one 10-byte new[] on purpose.
 */
#include <new>
#include <cstdio>
#include <cstdlib>
int main(int argc, char **argv) {
  volatile size_t n = (size_t)1 << 62;
  char *volatile keep = nullptr;
  try { keep = new char[n]; } catch (const std::bad_alloc &) { std::puts("caught bad_alloc"); }
  try { keep = static_cast<char *>(::operator new(n)); } catch (const std::bad_alloc &) { std::puts("caught again"); }
  char *p = new (std::nothrow) char[n];
  std::printf("nothrow gave %p\n", (void *)p);
  keep = new char[10];
  return keep == nullptr;
}
