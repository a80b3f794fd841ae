/*
 * mangled_names.c: allocations from functions whose symbols are a Rust v0,
 * a D and a Rust legacy name (asm labels), built without debug info by
 * t1046 so the symbolizer names them from the ELF symbol table alone.
 */
#include <stdlib.h>

__attribute__((noinline)) void *rust_alloc(void) __asm__("_RNvNtCs1234_7mycrate5cache4fill");
__attribute__((noinline)) void *d_alloc(void) __asm__("_D4test5cache4fillFZPv");
__attribute__((noinline)) void *legacy_alloc(void) __asm__("_ZN7mycrate6legacy4fill17h0123456789abcdefE");

void *rust_alloc(void) { void *volatile p = malloc(100); return p; }
void *d_alloc(void) { void *volatile p = malloc(200); return p; }
void *legacy_alloc(void) { void *volatile p = malloc(300); return p; }

int main(void) {
  void *volatile a = rust_alloc(), *volatile b = d_alloc(), *volatile c = legacy_alloc();
  a = b = c = NULL;                     /* all three lost */
  (void)a;                              /* read: no set-but-unused warning */
  return 0;
}
