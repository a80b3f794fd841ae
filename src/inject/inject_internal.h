/*
 * inject_internal.h: the steps of hs_inject_call, shared inside inject/.
 * Must never: be used outside src/inject/.
 */
#ifndef HS_INJECT_INTERNAL_H
#define HS_INJECT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "inject/inject.h"

struct hs_unwinder;

/* inject_frame.c: thread tid of pid, stopped, is made to call
 * fn(arg copy, arg2) and then rt_sigreturn to where it was. stack_lo:
 * the lowest address of its stack mapping. 0, or -1 with err (nothing
 * was changed then but bytes below its red zone). */
int hs_inject_frame(pid_t pid, pid_t tid, uint64_t stack_lo, uint64_t fn, uint64_t restore_rt,
                    const char *arg, uint64_t arg2, char *err, size_t errlen);

/* inject_safepoint.c: why thread tid (stopped, registers regs) may not
 * be borrowed now: NULL if it may, else "in the allocator (malloc)"... */
const char *hs_inject_unsafe(struct hs_unwinder *u, const struct hs_inject_libc *l, pid_t tid,
                             const uint64_t regs[27]);

#endif
