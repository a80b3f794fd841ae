/*
 * supp_cxx.cpp: a C++ leak in functions with mangled names (a namespace,
 * a class, an overload), for suppressions read and written the way
 * valgrind does (t2137): valgrind's fun: lines name the linkage names.
 * Runs under valgrind as it is; must never depend on heapspy.
 */
#include <cstdio>

namespace store {
struct Widget {
  int id;
  char name[36];
  static Widget *make(int id);
};

__attribute__((noinline)) Widget *Widget::make(int id) {
  Widget *w = new Widget;
  w->id = id;
  return w;
}

__attribute__((noinline)) void fill(int n) {
  for (int i = 0; i < n; i++) {
    Widget *volatile w = Widget::make(i);
    (void)w;
  }
}
}  // namespace store

int main() {
  store::fill(3);
  std::puts("three widgets lost");
  return 0;
}
