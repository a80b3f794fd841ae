/*
 * model.h: what a report says, computed once from a profile: totals per
 * family, live blocks grouped by allocation stack (largest first), the
 * module and function responsible for each group, checkpoints. The text
 * and JSON renderers only format this model; they compute nothing.
 */
#ifndef HS_MODEL_H
#define HS_MODEL_H

#include <stdio.h>
#include "profile/hsp_read.h"
#include "common/symbolize.h"

/* Blocks in use at exit that share one allocation stack and family. */
struct hs_group {
  uint32_t stack;
  unsigned family;
  uint64_t bytes, blocks;
  uint32_t first_ms;
  int unlisted;                      /* counted, not listed (group_unlisted): no first_ms */
  const struct hsp_sample *sample;   /* may be NULL */
  unsigned kind;                     /* HSP_LEAK_* */
  const struct hs_frame *culprit;    /* first frame of the user's code */
  const char *suppressed;            /* the suppression that matched, or NULL */
  uint32_t supp_entry;               /* ... which entry (names repeat): see supp_entries */
};

/* An error found during the run, in order of detection. */
struct hs_error {
  const struct hsp_error *e;
  const char *suppressed;            /* the suppression that matched, or NULL */
  uint32_t supp_entry;               /* ... which entry (names repeat): see supp_entries */
};

/* Bytes and blocks held, keyed by a name (module or function). */
struct hs_holder {
  const char *name;
  uint64_t bytes, blocks;
};

struct hs_model {
  int show_mangled;                  /* --demangle=no: frames named by linkage names */
  struct hsp_profile prof;
  struct hs_symbolizer *sym;
  struct hs_module_info *mods;
  size_t nmods;
  struct hsp_family_counts fam[HSP_MAX_FAMILIES];
  struct hsp_family_counts total;
  unsigned nfamilies;
  struct hs_group *groups;
  size_t ngroups;
  struct hs_holder *by_module, *by_function;
  size_t nby_module, nby_function;
  const struct hsp_mark **marks;
  size_t nmarks;
  struct { uint64_t bytes, blocks, sites; } kinds[HSP_LEAK_REACHABLE + 1];
  int scanned;                       /* a reachability scan classified blocks */
  /* `heapspy attach`: the blocks from before attach still live, by the
   * last scan's kind (no stack; usable sizes); census: known at attach */
  struct { uint64_t bytes, blocks; } before_kinds[HSP_LEAK_REACHABLE + 1];
  uint64_t before_census;
  uint64_t peak_bytes, peak_ms;      /* never below any in-use figure seen */
  struct hsp_tick *ticks;            /* the timeline with the peak in it (verdict.c) */
  size_t nticks;
  uint64_t suppressed_bytes, suppressed_blocks;  /* moved out of kinds[] */
  struct hs_error *errors;           /* every recorded error, suppressed ones too */
  size_t nerrors, errors_suppressed;
  uint32_t supp_entries;             /* suppression entries applied; entry ids 1..this */
};

/* SPEC's name of a leak kind ("definitely_lost"...), and a phrase. */
const char *hs_kind_name(unsigned kind);
const char *hs_kind_phrase(unsigned kind);
/* Lost kinds: definite, indirect, possible. */
static inline int hs_kind_lost(unsigned kind) {
  return kind >= HSP_LEAK_DEFINITE && kind <= HSP_LEAK_POSSIBLE;
}

int hs_model_load(struct hs_model *m, const char *path,
                  const char *debuginfo_path, char *err, size_t errlen);
void hs_model_free(struct hs_model *m);
/* report --redact: forget what a shared profile should not reveal, for
 * every format: the sample bytes of blocks (hex dumps, JSON "sample") and
 * the command line's arguments (argv[0] stays). Returns 0, or -1 if the
 * header could not be made writable (then nothing may be rendered). */
int hs_model_redact(struct hs_model *m);

/* verdict.c: the timeline as every report draws it: the spy's samples,
 * plus the peak as a point of its own when it fell between two samples
 * (RSS and virtual size there are the earlier sample's). Owned by m. */
size_t hs_model_ticks(struct hs_model *m, const struct hsp_tick **out);
/* The timeline's verdict, one sentence without its period, made only of
 * numbers the reports show next to it: the heap at the first and last
 * sample, over how long, its peak when that stands out, and RSS. Returns
 * 0 (and "") when the run was too short for a curve. */
size_t hs_timeline_verdict(struct hs_model *m, char *buf, size_t len);
/* The spy's own memory at the last point (profile tables, trace, and the
 * quarantine, red zones and guard pages of --check/--guard), which the
 * RSS and virtual figures leave out; 0 and "" for an older profile. */
size_t hs_timeline_own(struct hs_model *m, char *buf, size_t len);
/* When RSS grew far more than the heap, the sentence saying where to look
 * instead; else 0 and "". */
size_t hs_timeline_outside(struct hs_model *m, char *buf, size_t len);
/* Leak or retention: between the first and the last point glibc was read
 * at, did the heap in use grow (live data: a leak or a cache that only
 * grows) or the freed memory glibc holds (retention, fragmentation)? The
 * sentence, made of those two growths and RSS's; 0 and "" when neither
 * grew by HS_GROWTH_MIN or glibc was never read (an older profile). */
#define HS_GROWTH_MIN (1u << 20)
size_t hs_timeline_retention(struct hs_model *m, char *buf, size_t len);
/* The first and last points with glibc's figures; 0 if fewer than one. */
size_t hs_timeline_glibc_ends(struct hs_model *m, const struct hsp_tick **first,
                              const struct hsp_tick **last);

/* Symbolized frames of a stack, inlined frames expanded, at most max.
 * The frames' strings live as long as the model. */
size_t hs_model_frames(struct hs_model *m, uint32_t stack,
                       struct hs_frame *out, size_t max);

const char *hs_family_name(const struct hs_model *m, unsigned family);

/* 1 if the frame belongs to the allocator or runtime (libc, libstdc++,
 * the loader, heapspy), not to code a user would blame. */
int hs_frame_is_runtime(const struct hs_frame *f);

/* One recorded stack: what it allocated over the whole run (the spy's
 * per-stack counters, never below what it still holds) and what it holds
 * at exit (live blocks of every family and kind). */
struct hs_stack_stat {
  uint32_t stack;
  uint64_t allocs, bytes;              /* allocated over the run */
  uint64_t inuse_blocks, inuse_bytes;  /* in use at exit */
  uint64_t peak_blocks, peak_bytes;    /* held at the spy's last peak copy */
  uint64_t temporary, temporary_alike; /* see struct hsp_stack */
};

/* Every recorded stack plus any stack live blocks refer to, sorted by
 * stack id. Caller frees *out. */
size_t hs_model_stack_stats(struct hs_model *m, struct hs_stack_stat **out);

/* The recorded module holding pc (its path as recorded), or NULL; and
 * 1 if that is heapspy's own library (spy_main, between libc and main):
 * frames the exports to other tools leave out, as those tools' own runs
 * have none. */
const char *hs_model_module_path(const struct hs_model *m, uint64_t pc);
int hs_model_spy_pc(const struct hs_model *m, uint64_t pc);

/* --sample: the one sentence every report prints saying its figures are
 * estimates; 0 and "" for a profile that recorded every block. */
size_t hs_model_sampling_note(const struct hs_model *m, char *buf, size_t len);

/* How the program ended, as one phrase ("exited with code 0"). */
void hs_model_exit_phrase(const struct hs_model *m, char *buf, size_t len);

#endif
