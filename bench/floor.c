/*
 * floor.c - the bench's null interposer (bench/run.sh's "floor" row): the
 * allocation family preloaded and handed straight to glibc, with nothing
 * else done. Its cost is what any LD_PRELOAD interposer pays before it does
 * any work (the extra call through the program's PLT into this library
 * and on into glibc), so the production rows can be read against it.
 *
 * Built by bench/run.sh as build/bench/floor.so with
 * `gcc -O2 -fPIC -shared -fno-plt` (a tail jump through the GOT: the
 * cheapest forwarding there is). Must never do anything but forward.
 */
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) { return __libc_malloc(n); }
void free(void *p) { __libc_free(p); }
void *calloc(size_t n, size_t m) { return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { return __libc_memalign(a, n); }
