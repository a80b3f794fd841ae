/*
 * spy_options.h: every option the spy understands, declared once
 * (HEAPSPY_OPTIONS=key=value:key=value; `heapspy run` sets it from its own
 * table, src/cli/run_options.h). struct spy_options, its defaults and the
 * parser of HEAPSPY_OPTIONS are all made from this table.
 *
 * SPY_OPTIONS(STR, NUM, BOOL): STR(key, field, size, default),
 * NUM(key, field, default) (unsigned; K/M/G suffixes), BOOL(key, field,
 * default) (1, yes or true; anything else is off).
 */
#ifndef SPY_OPTIONS_H
#define SPY_OPTIONS_H

#define SPY_OPTIONS(STR, NUM, BOOL)                                                      \
  STR("profile", profile, 1024, "")          /* path, %p already expanded */             \
  NUM("depth", depth, 64)                    /* frames per stack, 1 to 256 */            \
  BOOL("follow_children", follow_children, 0) /* spy exec'd and forked children */       \
  BOOL("run_libc_freeres", run_libc_freeres, 1) /* free libc's caches at exit */         \
  BOOL("run_cxx_freeres", run_cxx_freeres, 1) /* free libstdc++'s emergency pool */      \
  BOOL("quiet", quiet, 0)                    /* no "profile written" line at exit */     \
  BOOL("unwind_check", unwind_check, 0)      /* test: every fast unwind vs libunwind */  \
  NUM("snapshot_signal", snapshot_signal, 8) /* SIGRTMIN+N for snapshots; 0: off */      \
  NUM("stop_signal", stop_signal, 9)         /* SIGRTMIN+N holds threads; 0: off */      \
  BOOL("locks", locks, 0)                    /* lock-order graph and lock misuse */      \
  BOOL("yield_after_unlock", yield_after_unlock, 0) /* sched_yield after unlocks */      \
  BOOL("check", check, 0)                    /* red zones and quarantine */              \
  BOOL("check_fill", check_fill, 1)          /* fill new blocks with 0xbe */             \
  NUM("check_quarantine", check_quarantine, 16u << 20) /* bytes of freed blocks held */  \
  BOOL("check_records", check_records, 1)    /* test: 0 keeps --check's blocks in the table */ \
  BOOL("records", records, 1)                /* test: 0 keeps exact mode's blocks in the table */ \
  BOOL("halt_on_error", halt_on_error, 0)    /* abort at the first error found */        \
  STR("guard", guard, 16, "")                /* page heap: "", overflow (1, yes), underflow */ \
  BOOL("trace", trace, 0)                    /* every event into PROFILE.trace */       \
  STR("trace_cap", trace_cap, 24, "1G")      /* the trace stops at this size */         \
  STR("file_mode", file_mode, 8, "0600")     /* octal mode of the files we create */    \
  STR("before", before, 256, "")              /* attach: census of blocks before it */   \
  STR("profile_id", profile_id, 48, "")      /* PID,DEV,INO of the profile run made */ \
  STR("trace_id", trace_id, 48, "")          /* PID,DEV,INO of the trace run made */   \
  STR("trace_children_skip", trace_skip, 512, "") /* globs: exec'd programs unspied */  \
  BOOL("child_silent", child_silent, 0)      /* a forked child prints nothing */         \
  NUM("sample", sample, 0)                   /* mean bytes between samples; 0: all */   \
  NUM("sample_seed", sample_seed, 0)         /* test: fixed sampling seed; 0: random */ \
  NUM("guard_sample", guard_sample, 0)       /* 1 in N allocations in a guard slot */    \
  NUM("guard_sample_slots", guard_sample_slots, 256) /* --guard-sample's slots */      \
  NUM("queue_min_slots", queue_min_slots, SPY_QUEUE_MIN_SLOTS) /* test: see spy_blocks.c */
/* The table operations of a single-threaded process wait in a queue once
 * their shard has this many slots (spy_blocks.c); the debug build queues
 * them at every size, so that make check-debug runs the queue everywhere. */
#if defined(HS_DEBUG) && HS_DEBUG
#define SPY_QUEUE_MIN_SLOTS 0
#else
#define SPY_QUEUE_MIN_SLOTS 16384
#endif

#define SPY_OPTION_STR_FIELD(key, field, size, def) char field[size];
#define SPY_OPTION_NUM_FIELD(key, field, def) unsigned field;
#define SPY_OPTION_BOOL_FIELD(key, field, def) int field;
struct spy_options {
  SPY_OPTIONS(SPY_OPTION_STR_FIELD, SPY_OPTION_NUM_FIELD, SPY_OPTION_BOOL_FIELD)
};
#undef SPY_OPTION_STR_FIELD
#undef SPY_OPTION_NUM_FIELD
#undef SPY_OPTION_BOOL_FIELD

/* Sets every option to its default. */
void spy_options_defaults(void);
/* Sets option key from its text value; 0 if there is no such key. */
int spy_option_set(const char *name, const char *val);

#endif
