/*
 * report.h: renderers of the report model. Each writes one format to a
 * stream and computes nothing of its own.
 */
#ifndef HS_REPORT_H
#define HS_REPORT_H

#include <stdio.h>
#include "analyze/model.h"
#include "analyze/zout.h"
#include "common/json.h"

struct hs_report_opts {
  size_t max_groups;      /* leak groups shown in text (0 = all) */
  size_t max_frames;      /* frames shown per stack in text */
  int show_reachable;     /* list still-reachable sites in text too */
  int gen_suppressions;   /* print a ready-to-paste suppression per lost site */
  /* valgrind's options (run_options.h); zero: heapspy's defaults */
  int leak_check;         /* 0 full: list leaks, count them as errors; 1 summary; 2 no */
  unsigned show_kinds;    /* HSP_LEAK_* bits listed, with HS_KINDS_GIVEN; 0: the lost kinds */
  unsigned error_kinds;   /* leak kinds counted as errors, with HS_KINDS_GIVEN; 0: definite,possible */
  int mangled;            /* --demangle=no: linkage names */
  int quiet;              /* memcheck shape, valgrind's -q: errors and loss records only */
};

/* valgrind's closing line, always: "ERROR SUMMARY: N errors from M
 * contexts (suppressed: S from T)": heap and lock errors, and with
 * leak_check full each listed loss record of an error kind, as memcheck
 * counts them. */
void hs_report_error_summary(FILE *out, const struct hs_model *m, const struct hs_report_opts *o);
/* The figures of that line. */
struct hs_error_counts { uint64_t errors, contexts, suppressed, suppressed_contexts; };
void hs_report_error_counts(const struct hs_model *m, const struct hs_report_opts *o,
                            struct hs_error_counts *c);
/* The leak kinds o lists, and those it counts as errors. */
unsigned hs_report_show_kinds(const struct hs_report_opts *o);
unsigned hs_report_error_kinds(const struct hs_report_opts *o);

void hs_report_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o);
void hs_report_json(FILE *out, struct hs_model *m);
/* As hs_report_json, with a "suppression" entry per lost leak. */
void hs_report_json_opts(FILE *out, struct hs_model *m, const struct hs_report_opts *o);

/* --timeline: the timeline table and its verdict alone. */
void hs_report_timeline_text(FILE *out, struct hs_model *m);
void hs_report_timeline_json(FILE *out, struct hs_model *m);

/* --hotspots: stacks making the most allocation calls and allocating the
 * most bytes over the run (o->max_groups of each, 0 = all). */
void hs_report_hotspots_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o);
void hs_report_hotspots_json(FILE *out, struct hs_model *m, const struct hs_report_opts *o);

/* --peak: the stacks holding the heap at its peak (report_peak.c). */
void hs_report_peak_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o);
void hs_report_peak_json(FILE *out, struct hs_model *m, const struct hs_report_opts *o);

/* --temporary: allocations freed at once, by stack (report_temporary.c). */
void hs_report_temporary_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o);
void hs_report_temporary_json(FILE *out, struct hs_model *m, const struct hs_report_opts *o);

/* --format collapsed: folded stacks, weighted by bytes in use at exit,
 * or with alloc_weight by bytes allocated over the run. */
void hs_report_collapsed(FILE *out, struct hs_model *m, int alloc_weight);

/* --format pprof: gzipped profile.proto. Returns 0, or -1 with err set. */
int hs_report_pprof(FILE *out, struct hs_model *m, char *err, size_t errlen);
/* The same for one interval of a running program (continuous export):
 * now = hs_model_stack_stats of m, base = those of the previous export
 * (NULL, 0: the first); alloc_* are now - base, inuse_* now's. The
 * profile's time and duration are the interval's. */
struct hs_pprof_window {
  const struct hs_stack_stat *now, *base;
  size_t nnow, nbase;
  uint64_t time_ns, duration_ns;     /* the interval: start (Unix ns), length */
};
int hs_report_pprof_window(FILE *out, struct hs_model *m, const struct hs_pprof_window *w,
                           char *err, size_t errlen);

/* --format sarif: SARIF 2.1.0 (report_sarif.c); file paths relative to
 * srcroot (NULL: the current folder). 0, or -1 after a message. */
int hs_report_sarif(FILE *out, struct hs_model *m, const struct hs_report_opts *o,
                    const char *srcroot);

/* --format chrome-trace: Trace Event Format JSON of the timeline, the
 * checkpoints and a --trace's events (report_chrome_trace.c). 0, or -1
 * after a message (a corrupt trace: the document is still closed). */
int hs_report_chrome_trace(FILE *out, struct hs_model *m);

/* --format heaptrack: heaptrack's data file, compressed as codec says
 * (report_heaptrack.c). Returns 0, or -1 with err set. */
int hs_report_heaptrack(FILE *out, struct hs_model *m, enum hs_zcodec codec, char *err,
                        size_t errlen);
/* --format massif: valgrind massif's out file (report_massif.c); -1
 * after a message when the trace cannot be read. */
int hs_report_massif(FILE *out, struct hs_model *m);

/* --format html: one self-contained page. */
void hs_report_html(FILE *out, struct hs_model *m);

/* report_memcheck.c: the report as valgrind's memcheck prints it
 * ("==PID==" lines: errors, HEAP SUMMARY, loss records in memcheck's
 * order, LEAK SUMMARY, ERROR SUMMARY), for `heapspy valgrind` and
 * --format memcheck. */
void hs_report_memcheck(FILE *out, struct hs_model *m, const struct hs_report_opts *o);

/* report_xml.c: valgrind's XML output protocol 4 (--xml=yes). The run's
 * facts the profile does not hold: heapspy's own command line (vargv),
 * the program's (argv). */
struct hs_xml_run {
  const char *tool;       /* heapspy's path */
  char **vargv;           /* its options, nvargv of them */
  int nvargv;
  char **argv;            /* the program's, NULL-terminated, argv[0] as run */
  const char *exe;        /* the program's resolved path */
};
void hs_report_xml(FILE *out, struct hs_model *m, const struct hs_report_opts *o,
                   const struct hs_xml_run *run);

/* JSON pieces shared by the JSON renderers. */
void hs_json_frames(FILE *out, struct hs_model *m, uint32_t stack); /* [frame...] */
/* A stack as indented "#N function at file:line (module)" lines. */
/* A symbolized stack, one "#N function at file:line (module+0xoff)" line
 * per frame, at most max (0: all) then "... N more frames"; " [inlined]"
 * after inlined frames when mark_inlined. */
void hs_text_stack(FILE *out, struct hs_model *m, uint32_t stack, size_t max,
                   const char *indent, int mark_inlined);
void hs_text_frames(FILE *out, struct hs_model *m, uint32_t stack, const char *indent, size_t max);
void hs_json_timeline(FILE *out, struct hs_model *m);             /* [{t_ms...}...] */

/* report_rss.c: RSS explained at the last point glibc was read. */
struct hs_rss_split {
  uint64_t t_ms, glibc_t_ms;
  uint64_t rss, live, held, main_top, glibc_rest, file, anon_rest;
};
int hs_rss_split(struct hs_model *m, struct hs_rss_split *s);      /* 0: never read */
void hs_report_rss_text(FILE *out, struct hs_model *m);
void hs_json_rss(FILE *out, struct hs_model *m);                   /* {...} or null */
void hs_json_glibc(FILE *out, const struct hsp_glibc *g);          /* a point's glibc keys */

/* What the heap gained between two named checkpoints; -1 (after a
 * message) if a name is unknown. */
int hs_report_diff(FILE *out, struct hs_model *m, const char *a, const char *b, int json);

/* report_at.c, --trace: the live heap at a time, `end` or a checkpoint
 * (by stack, largest first); what was allocated after `from` and is still
 * live at `to`; the trace's event counts. -1 after a message. */
int hs_report_at(FILE *out, struct hs_model *m, const char *when, size_t max_sites, int json);
int hs_report_between(FILE *out, struct hs_model *m, const char *from, const char *to,
                      size_t max_sites, int json);
int hs_report_trace_stats(FILE *out, struct hs_model *m, int json);

/* One checkpoint: heap in use; for a leak check, its lost sites. */
void hs_report_checkpoint(FILE *out, struct hs_model *m, const struct hsp_mark *mk,
                          size_t max_sites, int json);

/* report_scan.c: how a reachability scan went (s NULL: no scan). Text:
 * memcheck's "of which reachable via heuristic" lines, and a line on the
 * threads held still; JSON: one object (null without a scan). */
void hs_text_scan_heuristics(FILE *out, const struct hsp_scan_info *s);
void hs_text_scan_threads(FILE *out, const struct hsp_scan_info *s);
void hs_json_scan_info(FILE *out, const struct hsp_scan_info *s);

/* report_locks.c: lock misuse found during the run, lock-order cycles
 * and threads still running at exit (text: one section each, when
 * present; frames: per stack, 0 = all). JSON: the SPEC's lock_order and
 * threads_at_exit arrays. */
struct hs_locks;
void hs_report_locks_text(FILE *out, struct hs_model *m, size_t frames);
/* report_errors.c: the SPEC's errors array (heap errors and lock misuse). */
void hs_json_errors(FILE *out, struct hs_model *m, const struct hs_locks *l, int gen_suppressions);

/* report_errors.c: heap errors, ASan-shaped, suppressed ones as one line
 * each, and the ERROR SUMMARY line (when any error was recorded). */
/* "read", "write" or "access" (direction unknown) for a fault. */
/* The first frame of the user's code in a stack (with a source line if
 * any has one; _start is the runtime's), 1 if there is one. */
int hs_user_frame(struct hs_model *m, uint32_t stack, struct hs_frame *out);
/* The address a heap error is about: the bad byte, or the freed pointer. */
uint64_t hs_error_address(const struct hsp_error *e);
/* ASan's sentence (or two) on where that address lies, each ending "\n". */
void hs_error_where(FILE *out, struct hs_model *m, const struct hsp_error *e);
const char *hs_access_name(unsigned access);
void hs_report_errors_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o);
void hs_json_lock_order(FILE *out, struct hs_model *m, const struct hs_locks *l);
/* One lock as JSON: address, name, kind, alloc_stack (report_locks.c). */
void hs_json_lock(FILE *out, struct hs_model *m, const struct hs_locks *l, uint64_t addr,
                  uint32_t node);
void hs_json_threads_at_exit(FILE *out, struct hs_model *m, const struct hs_locks *l);

#endif
