/*
 * leak_heuristics.cpp: one block for each of memcheck's leak-check
 * heuristics, each held at exit only by the interior pointer the
 * heuristic recognises, plus one plain interior pointer (possibly lost
 * under any rule). t2130 compares heapspy's classification with memcheck's.
 *   stdstring   the old-ABI std::string's rep (length, capacity,
 *               refcount, then the characters it points to): 75 bytes
 *   multipleinheritance   a C seen through its second base B: 40 bytes
 *   newarray    new D[5] of a class with a destructor (count first): 48
 *   length64    a 64-bit length of the rest, then the pointer: 108 bytes
 *   possibly lost   16 bytes into a 64-byte block
 */
#define _GLIBCXX_USE_CXX11_ABI 0
#include <cstdint>
#include <cstdlib>
#include <string>

struct A { virtual ~A() {} long a = 1; };
struct B { virtual ~B() {} long b = 2; };
struct C : A, B { ~C() override {} long c = 3; };
struct D { ~D() { d = 0; } long d = 4; };

std::string *text;
B *second_base;
D *array;
char *after_length;
char *inside;

int main() {
  text = new std::string(50, 'x');
  second_base = new C;
  array = new D[5];
  uint64_t *l = static_cast<uint64_t *>(malloc(108));
  l[0] = 100;
  after_length = reinterpret_cast<char *>(l + 1);
  inside = static_cast<char *>(malloc(64)) + 16;
  return 0;
}
