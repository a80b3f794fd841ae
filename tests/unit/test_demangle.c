/*
 * test_demangle.c: hs_demangle (src/common/demangle.c) names symbols of
 * every language heapspy meets as binutils and gdb do: C++, Rust (v0 and
 * legacy, the hash dropped), D; plain C names and malformed symbols give
 * NULL, so the symbolizer shows them as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/demangle.h"

static int n, failed;

static void is(const char *mangled, const char *want) {
  char *got = hs_demangle(mangled);
  int ok = want ? got && !strcmp(got, want) : !got;
  printf("%s %d - %s -> %s\n", ok ? "ok" : "not ok", ++n, mangled, want ? want : "NULL");
  if (!ok) {
    printf("#   got: %s\n", got ? got : "NULL");
    failed++;
  }
  free(got);
}

int main(void) {
  printf("1..12\n");
  is("_ZN3foo3barEv", "foo::bar()");
  is("_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)");
  is("_Znwm", "operator new(unsigned long)");
  is("_RNvCs15kBYyAo9fc_7mycrate7example", "mycrate::example");
  is("_RNvNtCs1234_7mycrate3foo3bar", "mycrate::foo::bar");
  is("_ZN4core3ptr13drop_in_place17h0123456789abcdefE", "core::ptr::drop_in_place");
  is("_D3foo3barFZv", "foo.bar()");
  is("_D4test3fooFiZi", "test.foo(int)");
  is("main", NULL);
  is("_start", NULL);
  is("_ZN3foo", NULL);                 /* truncated */
  is("_RNvC", NULL);
  return failed != 0;
}
