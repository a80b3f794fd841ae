/*
 * test_demangle.c: hs_demangle (src/common/demangle.c) names symbols of
 * every language heapspy meets as binutils and gdb do: C++, Rust (v0 and
 * legacy, the hash dropped), D; plain C names and malformed symbols give
 * NULL, so the symbolizer shows them as they are.
 */
#include <stdlib.h>

#include "common/demangle.h"
#include "tap.h"

static void is(const char *mangled, const char *want) {
  char *got = hs_demangle(mangled);
  is_str(got, want, "%s -> %s", mangled, want ? want : "NULL");
  free(got);
}

int main(void) {
  plan(12);
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
  return done_testing();
}
