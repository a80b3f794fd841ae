/*
 * inject.h: the only code of heapspy that writes into another process:
 * making a running process call a function of its own (dlopen, then the
 * spy's heapspy_attach_begin) on one of its threads, at a safe point.
 *
 * Invariants:
 *  - a thread is borrowed only at a safe point: none of its frames is in
 *    the allocator, the dynamic loader or fork (inject_safepoint.c);
 *  - the borrowed thread restores itself: the call returns into libc's
 *    rt_sigreturn stub over a signal frame holding the thread's own
 *    registers, signal mask and FPU/AVX state (inject_frame.c). From the
 *    one PTRACE_SETREGS on, nothing needs heapspy: killed at any moment,
 *    it leaves the process running and correct;
 *  - every thread is let go on every path (target_stop.c's guarantees).
 *
 * Must never: leave a thread stopped, or with registers only heapspy
 * could restore; write anywhere but below a borrowed thread's red zone.
 */
#ifndef HS_INJECT_H
#define HS_INJECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Why an injection failed; each has its one-line message in err. */
enum hs_inject_status {
  HS_INJECT_OK = 0,
  HS_INJECT_NO_PROCESS,     /* no such process, or it ended */
  HS_INJECT_NOT_PERMITTED,  /* ptrace refused (err says why) */
  HS_INJECT_UNSUPPORTED,    /* static, 32-bit, not glibc, glibc < 2.34 */
  HS_INJECT_NO_SAFE_POINT,  /* every thread stayed in the allocator, loader or fork */
  HS_INJECT_FAILED,         /* the call could not be set up or did not take effect */
};

/* Where the process's libc is and what it offers (inject_symbols.c). */
struct hs_inject_libc {
  char path[1024];
  uint64_t dlopen;          /* dlopen's address in the process */
  uint64_t restore_rt;      /* the `mov $15,%rax; syscall` stub's address */
  uint64_t text_lo, text_hi;/* libc's executable mapping */
  uint64_t ld_lo, ld_hi;    /* the dynamic loader's executable mapping */
};

/* Checks the process can take a call (64-bit, dynamically linked against
 * glibc 2.34+) and finds libc's dlopen and rt_sigreturn stub. */
enum hs_inject_status hs_inject_libc_find(pid_t pid, struct hs_inject_libc *l, char *err,
                                          size_t errlen);

/* The address in pid of symbol name (dynamic symbol table) of the module
 * mapped under the name mapped (as /proc/PID/maps shows it), whose ELF
 * file is file (NULL: open it through /proc if need be); 0 if it is not
 * mapped or has no such symbol. */
uint64_t hs_inject_symbol(pid_t pid, const char *mapped, const char *file, const char *name);

/* Reads len bytes at addr of pid; 0, or -1. */
int hs_inject_read(pid_t pid, uint64_t addr, void *buf, size_t len);

/* 1 if pid has a module mapped under a name starting with prefix. */
int hs_inject_mapped(pid_t pid, const char *prefix);

/* The stall of the last hs_inject_call: how long the threads were
 * stopped, in ms, summed over its tries, and how many tries it took. */
struct hs_inject_stats {
  double stopped_ms;
  unsigned tries;
};

/* Called with every thread of the process stopped, once one was set up
 * to take the call and before any runs again: the process as the call
 * will find it (attach's census of the heap). Must only read. */
struct hs_target;
typedef void hs_inject_stopped_fn(struct hs_target *t, void *ctx);

/* Makes one thread of pid call fn(arg, arg2), where arg is a string
 * copied onto that thread's stack and arg2 an integer, at the first safe
 * point within timeout seconds; returns once every thread runs again (the
 * call itself runs then, asynchronously). stopped (may be NULL) runs
 * once, at that safe point. */
enum hs_inject_status hs_inject_call(pid_t pid, const struct hs_inject_libc *l, uint64_t fn,
                                     const char *arg, uint64_t arg2, double timeout,
                                     hs_inject_stopped_fn *stopped, void *ctx,
                                     struct hs_inject_stats *stats, char *err, size_t errlen);

#endif
