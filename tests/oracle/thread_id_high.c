/* tests/oracle/thread_id_high.c: a preload library for the *valgrind* side
 * of the exact-accounting oracle test t2110-valgrind-python3.sh.
 *
 * Why: valgrind runs its client in a low address space, so there the main
 * thread's pthread_self() (its TCB address) is about 0x4b6a880 < 2^30,
 * while natively (under heapspy, or without any tool) it is about
 * 0x7f..........  >= 2^30. CPython turns pthread_self() into an int in
 * _thread.get_ident(), which importlib calls twice per imported module
 * (module locks), and an int below 2^30 takes 28 bytes, one above 32: the
 * same python run allocates 4 bytes more per thread-id int natively than
 * under valgrind. Heap blocks themselves have small addresses in both
 * worlds (valgrind's heap sits below 1 GiB, and /usr/bin/python3 is not
 * PIE, so its brk heap does too), so ids of ordinary objects already agree.
 *
 * This library, preloaded into valgrind's client only, returns the true
 * thread pointer with bit 40 set: a value of the same width as the native
 * one, unique per thread, stable for the thread's life. Only callers going
 * through the PLT see it (python); glibc's own code reads the thread
 * pointer directly. Do not hand the result to pthread_kill/pthread_join.
 *
 * Built by the test itself: gcc -O1 -shared -fPIC -o X.so thread_id_high.c
 * (the Makefile also builds it as a program: it then prints its own id). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

pthread_t pthread_self(void) {
  uintptr_t tp;
  __asm__("mov %%fs:0x10, %0" : "=r"(tp)); /* x86-64: tcbhead_t.self */
  return (pthread_t)(tp | ((uintptr_t)1 << 40));
}

int main(void) {
  printf("pthread_self() = %#lx\n", (unsigned long)pthread_self());
  return 0;
}
