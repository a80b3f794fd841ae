/*
 * spy_options.h: every option the spy understands, declared once
 * (HEAPSPY_OPTIONS=name=value:name=value; `heapspy run` sets it).
 * X(name, field) per kind: string, number, boolean.
 */
#ifndef SPY_OPTIONS_H
#define SPY_OPTIONS_H

#define SPY_OPTIONS(STR, NUM, BOOL)                                  \
  STR("profile", profile)                   /* path, %p = pid */      \
  NUM("depth", depth)                       /* frames per stack */    \
  BOOL("follow_children", follow_children)  /* spy exec'd children */ \
  BOOL("run_libc_freeres", run_libc_freeres)/* free libc caches */    \
  BOOL("run_cxx_freeres", run_cxx_freeres)  /* free libstdc++ pool */ \
  BOOL("quiet", quiet)                      /* no closing line */       \
  BOOL("unwind_check", unwind_check)        /* test: vs libunwind */   \
  NUM("snapshot_signal", snapshot_signal)   /* SIGRTMIN+N, 0 = off */ \
  NUM("stop_signal", stop_signal)           /* holds threads; 0 = off */ \
  BOOL("locks", locks)                      /* lock-order checking */ \
  BOOL("yield_after_unlock", yield_after_unlock) /* sched_yield after unlocks */ \
  BOOL("check", check)                      /* red zones, quarantine */ \
  BOOL("check_fill", check_fill)            /* fill new blocks 0xbe */ \
  NUM("check_quarantine", check_quarantine) /* bytes held after free */ \
  BOOL("halt_on_error", halt_on_error)      /* abort at the first */ \
  STR("guard", guard)                       /* page heap: overflow|underflow */ \
  BOOL("trace", trace)                      /* every event: .trace */

int spy_option_set(const char *name, const char *val);

#endif
