/*
 * inject_safepoint.c: may this stopped thread be borrowed to run a call
 * (dlopen, the spy's start) now? Not if any frame of its stack is in the
 * allocator (it may hold an arena or tcache lock the call would wait on
 * forever), in the dynamic loader (its lock: dlopen would deadlock), in
 * fork or clone (atfork handlers hold the allocator's locks), in dl*()
 * or in exit (libraries are going away).
 *
 * The stack is unwound from outside with libdwfl (proc_unwind.c); frames
 * are named by libc's symbols (its .dynsym, or its debug symbols when
 * libc6-dbg is installed: then _int_malloc and friends by their names;
 * without, their exported callers are on the stack above them anyway).
 *
 * Must never: say "safe" for a thread it could not unwind at all.
 */
#include <elfutils/libdwfl.h>
#include <string.h>

#include "inject/inject_internal.h"
#include "inspect/proc.h"

#define MAX_FRAMES 128

/* A libc function that takes the allocator's, the loader's or fork's
 * locks (or runs in exit). */
static int unsafe_name(const char *n) {
  static const char *const parts[] = { "alloc", "free", "memalign", "tcache", "arena",
                                       "fork", "clone", "exit", "atfork" };
  static const char *const prefixes[] = { "_int_", "_dl_", "__libc_dl", "dl", "__dl", "_Fork" };
  while (*n == '_' && n[1] == '_' && !strncmp(n, "__GI_", 5)) n += 5;
  for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
    if (strstr(n, parts[i])) return 1;
  for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
    if (!strncmp(n, prefixes[i], strlen(prefixes[i]))) return 1;
  return 0;
}

const char *hs_inject_unsafe(struct hs_unwinder *u, const struct hs_inject_libc *l, pid_t tid,
                             const uint64_t regs[27]) {
  static char why[300];
  uint64_t pc[MAX_FRAMES];
  int n = hs_unwind_stopped(u, tid, regs, pc, MAX_FRAMES);
  if (n <= 0) return "its stack could not be unwound";
  Dwfl *dwfl = hs_unwind_dwfl(u);
  const char *prev = NULL;
  for (int i = 0; i < n; i++) {
    uint64_t a = i ? pc[i] - 1 : pc[i];        /* a return address: the call is before it */
    if (a >= l->ld_lo && a < l->ld_hi) return "in the dynamic loader";
    if (a < l->text_lo || a >= l->text_hi) continue;
    Dwfl_Module *m = dwfl_addrmodule(dwfl, a);
    const char *name = m ? dwfl_module_addrname(m, a) : NULL;
    /* every thread but main starts in clone3 (or clone), under start_thread */
    int thread_base = name && strstr(name, "clone") &&
                      (i == n - 1 || (prev && !strcmp(prev, "start_thread")));
    prev = name;
    if (name && !thread_base && unsafe_name(name)) {
      snprintf(why, sizeof why, "in %s", name);
      return why;
    }
  }
  return NULL;
}
