/*
 * run_options.h: every option of `heapspy run`, declared once. The table
 * below gives each its long and short name, how it takes a value, the
 * value as --help shows it, the HEAPSPY_OPTIONS key the spy reads (the
 * spy's own table is src/spy/spy_options.h), and the help text. getopt's
 * table, `heapspy run --help` and the spy's environment are made from it;
 * t1025 checks the man page against --help. Values are checked where they
 * are parsed (run_options.c), each with one usage line naming the option.
 *
 * RUN_OPTIONS(X): X(ID, "long", 'short' or 0, has_arg, "value", "spy key"
 * or NULL, "help"); a help text's "\n" continues on the next line.
 */
#ifndef HS_RUN_OPTIONS_H
#define HS_RUN_OPTIONS_H

#include <getopt.h>

#include "analyze/snapshot.h"
#include "cli/export_options.h"

#define RUN_OPTIONS(X)                                                                          \
  X(PROFILE, "profile", 'o', required_argument, " PATH", "profile",                            \
    "profile file, %p = pid (default heapspy.%p.hsp)")                                          \
  X(LOG, "log-file", 0, required_argument, " PATH", NULL, "write the report there instead of stderr") \
  X(DEPTH, "depth", 0, required_argument, " N", "depth", "frames per stack (default 64)")      \
  X(FOLLOW, "follow-children", 0, no_argument, "", "follow_children",                          \
    "spy on exec'd/forked children too, one profile each")                                      \
  X(LIBC, "run-libc-freeres", 0, required_argument, "=yes|no", "run_libc_freeres",             \
    "free libc's private caches at exit (default yes)")                                         \
  X(CXX, "run-cxx-freeres", 0, required_argument, "=yes|no", "run_cxx_freeres",                \
    "free libstdc++'s emergency pool at exit (default yes)")                                    \
  X(LOCKS, "locks", 0, no_argument, "", "locks",                                               \
    "lock-order checking: potential deadlocks (lock-order\n"                                    \
    "cycles, gated ones flagged safe), lock misuse, and\n"                                      \
    "deadlocks in progress (reported; the program hangs on)")                                   \
  X(YIELD, "yield-after-unlock", 0, no_argument, "", "yield_after_unlock",                     \
    "yield the processor after each unlock (mutex, rwlock,\n"                                   \
    "spinlock) to shake races loose")                                                           \
  X(CHECK, "check", 0, optional_argument, "[=yes|no]", "check",                                \
    "red zones around blocks, a quarantine after free:\n"                                       \
    "overflows, use after free, double/invalid/mismatched free\n"                               \
    "(memcheck mode: on unless --guard or --check=no)")                                         \
  X(FILL, "check-fill", 0, required_argument, "=yes|no", "check_fill",                         \
    "fill new blocks with 0xbe (default yes; --check, --guard)")                                \
  X(QUARANTINE, "quarantine", 0, required_argument, " SIZE", "check_quarantine",               \
    "bytes of freed blocks held back before reuse, below 4G\n"                                  \
    "(default 16M; --check, --guard)")                                                          \
  X(GUARD, "guard", 0, optional_argument, "[=overflow|underflow|exact]", "guard",                    \
    "page heap: each block against an inaccessible\n"                                           \
    "page, freed blocks inaccessible: the bad access faults\n"                                  \
    "at the culprit instruction, is reported and stepped over\n"                               \
    "(a 4 KB page per block); =exact: no 16-byte alignment,\n"                                 \
    "the first byte past a block faults")                                                       \
  X(HALT, "halt-on-error", 0, no_argument, "", "halt_on_error",                                \
    "abort at the first error found (--check; --guard:\n"                                       \
    "die of the first fault),\n"                                                                \
    "or at a deadlock in progress (--locks)")                                                   \
  X(TRACE, "trace", 0, no_argument, "", "trace",                                               \
    "record every allocation and free in PROFILE.trace\n"                                       \
    "(compressed, indexed) for report --at / --between")                                        \
  X(TRACE_CAP, "trace-cap", 0, required_argument, " SIZE", "trace_cap",                      \
    "stop recording the trace when its file reaches SIZE\n"                                      \
    "(default 1G; the report says from when it is missing)")                                   \
  X(FILE_MODE, "file-mode", 0, required_argument, " MODE", "file_mode",                        \
    "mode of the files heapspy creates, octal (default 0600;\n"                                 \
    "folders 0700): profiles hold memory contents")                                            \
  X(SAMPLE, "sample", 0, required_argument, " BYTES", "sample",                                \
    "production mode: record allocations sampled by bytes\n"                                     \
    "(Poisson, one every BYTES on average: 512K as jemalloc);\n"                                 \
    "reports show unbiased estimates, near-native speed")                                       \
  X(SAMPLE_SEED, "sample-seed", 0, required_argument, " N", "sample_seed",                     \
    "seed of --sample's and --guard-sample's draws, for\n"                                      \
    "repeatable runs (default: a new one each run)")                                                                      \
  X(GUARD_SAMPLE, "guard-sample", 0, optional_argument, " [N]", "guard_sample",                \
    "production guard pages: 1 in N allocations (default\n"                                     \
    "10000) of at most a page goes to a slot between\n"                                          \
    "inaccessible pages, freed slots stay inaccessible a while:\n"                              \
    "overflows and use after free found at the culprit\n"                                       \
    "instruction, reported once per slot (alone or with --sample)")                            \
  X(GUARD_SLOTS, "guard-sample-slots", 0, required_argument, " N", "guard_sample_slots",        \
    "slots of --guard-sample, 1 to 65536 (default 256)")                                       \
  X(EXITCODE, "error-exitcode", 0, required_argument, " N", NULL,                              \
    "exit with N if any block was lost or an error found")                                      \
  X(ERRKINDS, "errors-for-leak-kinds", 0, required_argument, " LIST", NULL,                    \
    "kinds that count for it (default definite,possible)")                                      \
  X(SUPP, "suppressions", 0, required_argument, " FILE", NULL,                                 \
    "suppress known leaks and errors (valgrind syntax; repeatable)")                            \
  X(GENSUPP, "gen-suppressions", 0, optional_argument, "[=no|yes|all]", NULL,                  \
    "print a ready-to-paste suppression for each lost site and\n"                               \
    "error (valgrind's =yes and =all both do; =no: not)")                                       \
  X(REACHABLE, "show-reachable", 0, optional_argument, "[=yes|no]", NULL,                      \
    "also list still-reachable sites in the text report")                                       \
  X(FORMAT, "format", 0, required_argument, " text|json|memcheck", NULL,                        \
    "format of the report (default text; memcheck mode: memcheck,\n"                           \
    "valgrind's ==PID== lines)")                                                                \
  X(MAXSITES, "max-sites", 0, required_argument, " N", NULL,                                   \
    "allocation sites shown in the text report (default 20)")                                   \
  X(SNAP_ON, "snapshot-on", 0, required_argument, " RULES", NULL,                              \
    "live snapshot reports while the program runs, when\n"                                      \
    "heap>SIZE, rss>SIZE or growth>SIZE/s (comma-separated;\n"                                  \
    "fires again at twice the value, growth after 10 s)")                                       \
  X(SNAP_DIR, "snapshot-dir", 0, required_argument, " DIR", NULL,                              \
    "where they go (default: the profile's name + .snapshots)")                                 \
  X(SNAP_CAP, "snapshot-cap", 0, required_argument, " SIZE", NULL,                             \
    "the folder's size cap, oldest removed first (default 100M)")                               \
  X(EXPORT_EVERY, "export-every", 0, required_argument, " SECONDS", NULL,                    \
    "continuous export, from outside the program: every\n"                                     \
    "SECONDS a pprof of the heap in use and of what was\n"                                     \
    "allocated since the last one (to --export-dir, --push)")                                   \
  X(EXPORT_DIR, "export-dir", 0, required_argument, " DIR", NULL,                              \
    "where they go: heap-PID-SEQ-TIME.pb.gz, renamed in whole")                                 \
  X(EXPORT_KEEP, "export-keep", 0, required_argument, " N", NULL,                              \
    "files kept there, oldest removed first (default 100)")                                     \
  X(EXPORT_CAP, "export-cap", 0, required_argument, " SIZE", NULL,                             \
    "and their bytes at most (default 100M)")                                                   \
  X(PUSH, "push", 0, required_argument, " URL", NULL,                                          \
    "also POST each to a Pyroscope server's /ingest (http://\n"                                 \
    "only; retried with backoff, dropped ones counted)")                                        \
  X(PUSH_NAME, "push-name", 0, required_argument, " NAME", NULL,                               \
    "the application's name there (default: the program's)")                                  \
  X(PUSH_LABEL, "push-label", 0, required_argument, " K=V", NULL,                              \
    "a label of the pushed profiles, besides host (repeatable)")                                \
  X(DEBUGINFO, "debuginfo-path", 0, required_argument, " DIR", NULL,                           \
    "also look for separate debug info there (DIR[:DIR...]);\n"                                 \
    "with DEBUGINFOD_URLS set, debuginfod servers are asked too")                               \
  X(QUIET, "quiet", 'q', no_argument, "", "quiet",                                             \
    "no report, only the profile (memcheck mode: the report\n"                                  \
    "only when there are errors or listed leaks, as valgrind -q)")                              \
  /* valgrind's memcheck options (memcheck mode: --tool, or `heapspy valgrind`) */            \
  X(TOOL, "tool", 0, required_argument, "=memcheck", NULL,                                     \
    "valgrind's: memcheck mode (valgrind's defaults: --leak-check=\n"                           \
    "summary, --show-leak-kinds=definite,possible); other tools refused")                       \
  X(VERBOSE, "verbose", 'v', no_argument, "", NULL,                                            \
    "valgrind's: accepted (the report is complete already)")                                    \
  X(LEAKCHECK, "leak-check", 0, required_argument, "=no|summary|yes|full", NULL,               \
    "valgrind's: full/yes lists leaks and counts them as errors,\n"                             \
    "summary only sums them up, no leaves them out (default full;\n"                            \
    "memcheck mode: summary, as valgrind)")                                                     \
  X(SHOWKINDS, "show-leak-kinds", 0, required_argument, "=LIST", NULL,                         \
    "valgrind's: leak kinds listed (definite, indirect, possible,\n"                            \
    "reachable, all, none; default definite,indirect,possible;\n"                               \
    "memcheck mode: definite,possible)")                                                        \
  X(NUMCALLERS, "num-callers", 0, required_argument, "=N", NULL,                               \
    "valgrind's name of --depth (memcheck mode: default 12)")                                   \
  X(TRACECHILD, "trace-children", 0, required_argument, "=yes|no", NULL,                       \
    "valgrind's name of --follow-children")                                                     \
  X(TRACESKIP, "trace-children-skip", 0, required_argument, "=PATTERNS", "trace_children_skip", \
    "valgrind's: exec'd programs whose path matches one of these\n"                             \
    "comma-separated globs run unspied, and so do their children")                              \
  X(CHILDSILENT, "child-silent-after-fork", 0, required_argument, "=yes|no", "child_silent",   \
    "valgrind's: a forked child (until it execs) prints nothing")                               \
  X(EXITFIRST, "exit-on-first-error", 0, required_argument, "=yes|no", NULL,                   \
    "valgrind's: stop the program at the first error and exit\n"                                \
    "with --error-exitcode (which it needs)")                                                   \
  X(LOGFD, "log-fd", 0, required_argument, "=N", NULL,                                         \
    "valgrind's: write the report to file descriptor N (default 2)")                            \
  X(XML, "xml", 0, required_argument, "=yes|no", NULL,                                         \
    "valgrind's: also write valgrind's XML (protocol 4) to\n"                                   \
    "--xml-file or --xml-fd, as IDEs and CI plugins read it")                                   \
  X(XMLFILE, "xml-file", 0, required_argument, "=PATH", NULL,                                  \
    "valgrind's: where --xml=yes writes (%p, %q{VAR}, %n)")                                      \
  X(XMLFD, "xml-fd", 0, required_argument, "=N", NULL, "valgrind's: or to this file descriptor") \
  X(DEMANGLE, "demangle", 0, required_argument, "=yes|no", NULL,                               \
    "valgrind's: =no shows C++ names mangled (linkage names)")                                  \
  X(KEEPST, "keep-stacktraces", 0, required_argument, "=WHEN", NULL,                           \
    "valgrind's: accepted (heapspy keeps the allocation and free\n"                             \
    "stacks of every block)")                                                                   \
  X(FREELISTVOL, "freelist-vol", 0, required_argument, "=SIZE", NULL,                          \
    "valgrind's name of --quarantine")                                                          \
  X(MALLOCFILL, "malloc-fill", 0, required_argument, "=0xNN", NULL,                            \
    "valgrind's: accepted, with a note (--check fills with 0xbe)")                              \
  X(FREEFILL, "free-fill", 0, required_argument, "=0xNN", NULL,                                \
    "valgrind's: accepted, with a note (--check poisons with 0xfd)")                            \
  X(TRACKORIGINS, "track-origins", 0, required_argument, "=yes|no", NULL,                      \
    "valgrind's: accepted, with a note (no uninitialised values)")                              \
  X(UNDEFERR, "undef-value-errors", 0, required_argument, "=yes|no", NULL,                     \
    "valgrind's: accepted, with a note (no uninitialised values)")                              \
  X(PARTIALLOADS, "partial-loads-ok", 0, required_argument, "=yes|no", NULL,                   \
    "valgrind's: accepted, with a note")                                                        \
  X(EXPENSIVE, "expensive-definedness-checks", 0, required_argument, "=yes|no", NULL,          \
    "valgrind's: accepted, with a note")                                                        \
  X(LEAKRES, "leak-resolution", 0, required_argument, "=low|med|high", NULL,                   \
    "valgrind's: accepted (heapspy groups leaks by the whole stack)")                           \
  X(MISMATCHED, "show-mismatched-frees", 0, required_argument, "=yes|no", NULL,                \
    "valgrind's: accepted (--check and --guard report them)")                                   \
  X(TRACKFDS, "track-fds", 0, required_argument, "=yes|no|all", NULL,                          \
    "valgrind's: accepted, with a note")                                                        \
  X(ERRLIMIT, "error-limit", 0, required_argument, "=yes|no", NULL,                            \
    "valgrind's: accepted (heapspy counts repeats of an error once)")                           \
  X(BELOWMAIN, "show-below-main", 0, required_argument, "=yes|no", NULL,                       \
    "valgrind's: accepted (heapspy shows the frames below main)")                               \
  X(REDZONE, "redzone-size", 0, required_argument, "=N", NULL,                                 \
    "valgrind's: accepted, with a note (--check's red zones: 16)")                              \
  X(VGDB, "vgdb", 0, required_argument, "=no|yes|full", NULL, "valgrind's: accepted, with a note") \
  X(VGDBERROR, "vgdb-error", 0, required_argument, "=N", NULL, "valgrind's: accepted, with a note") \
  X(TIMESTAMP, "time-stamp", 0, required_argument, "=yes|no", NULL,                            \
    "valgrind's: accepted, with a note")                                                        \
  X(FULLPATH, "fullpath-after", 0, optional_argument, "=STRING", NULL,                         \
    "valgrind's: accepted (heapspy shows the file as recorded)")                                \
  X(HELP, "help", 'h', no_argument, "", NULL, "this help")

#define RUN_OPTION_ID(id, ...) RUN_OPT_##id,
enum run_option_id { RUN_OPTIONS(RUN_OPTION_ID) RUN_OPT_COUNT };
#undef RUN_OPTION_ID

/* What `heapspy run` was asked, after its options; defaults in
 * run_options_parse. */
/* --leak-check */
enum { HS_LEAK_CHECK_FULL, HS_LEAK_CHECK_SUMMARY, HS_LEAK_CHECK_NO };

struct hs_suppressions;

struct run_opts {
  const char *profile, *log_file, *format, *debuginfo;
  /* valgrind's options: memcheck mode (--tool or `heapspy valgrind`),
   * --leak-check, --show-leak-kinds (0: the mode's default), --log-fd,
   * --exit-on-first-error, --xml, --demangle=no, --trace-children-skip */
  int memcheck, leak_check, leak_check_set, log_fd, exit_first, xml, xml_fd, mangled;
  unsigned show_kinds;
  const char *xml_file, *trace_skip;
  int child_silent;
  unsigned depth;
  int follow_children, libc_freeres, cxx_freeres, quiet;
  int error_exitcode, show_reachable, locks, gen_suppressions, check, halt, yield, check_fill, trace;
  const char *guard;                      /* "overflow", "underflow", "exact" or NULL */
  unsigned long long quarantine;          /* ~0: the spy's default */
  unsigned long long trace_cap;           /* --trace-cap, bytes */
  unsigned long long sample, sample_seed; /* --sample mean bytes (0: off), --sample-seed */
  unsigned guard_sample, guard_slots;     /* --guard-sample N (0: off), its slots (0: default) */
  int trace_cap_set, file_mode_set;
  unsigned error_kinds;                   /* --errors-for-leak-kinds */
  struct hs_suppressions *supp_sets[16];  /* --suppressions files, read */
  size_t nsupp;
  size_t max_sites;
  struct hs_watch watch;                  /* --snapshot-on */
  struct hs_export_cfg exp;               /* --export-every, --push... */
};

/* Parses run's options into *o (defaults first); exits 0 after --help and
 * 125 with one line and the usage on a bad option or value. optind is
 * left at the program's name. */
void run_options_parse(int argc, char **argv, struct run_opts *o);
/* As run_options_parse, for `heapspy valgrind`: memcheck mode from the
 * start. */
void run_options_parse_memcheck(int argc, char **argv, struct run_opts *o);

/* `heapspy run --help`, made from the table. */
void run_options_usage(FILE *out);

/* HEAPSPY_OPTIONS for the spy from *o, with the absolute profile pattern;
 * keys from the table, ':' and '\' in values escaped. */
void run_options_spy_env(const struct run_opts *o, const char *profile, char *buf, size_t cap);

#endif
