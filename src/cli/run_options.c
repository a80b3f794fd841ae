/*
 * run_options.c: `heapspy run`'s options from the one table of
 * run_options.h: getopt's table, --help, the checks of each value, and
 * the spy's HEAPSPY_OPTIONS. Must never start the program or touch a file
 * beyond checking that one can be read or written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/suppress.h"
#include "cli/commands.h"
#include "cli/run_options.h"
#include "common/private_file.h"
#include "common/util.h"

struct run_option {
  const char *name;
  char short_name;
  int has_arg;
  const char *value, *spy_key, *help;
};

#define RUN_OPTION_ROW(id, name, short_name, has_arg, value, spy_key, help) \
  { name, short_name, has_arg, value, spy_key, help },
static const struct run_option table[RUN_OPT_COUNT] = { RUN_OPTIONS(RUN_OPTION_ROW) };
#undef RUN_OPTION_ROW

#define HELP_COLUMN 28

static void write_usage(FILE *out) {
  fputs("usage: heapspy run [OPTIONS] [--] PROG [ARGS...]\n", out);
  for (unsigned i = 0; i < RUN_OPT_COUNT; i++) {
    const struct run_option *t = &table[i];
    char head[96];
    if (t->short_name) snprintf(head, sizeof head, "  -%c, --%s%s", t->short_name, t->name, t->value);
    else snprintf(head, sizeof head, "      --%s%s", t->name, t->value);
    int pad = HELP_COLUMN - (int)strlen(head);
    fprintf(out, "%s%*s", head, pad < 2 ? 2 : pad, "");
    for (const char *h = t->help; *h; h++) {
      fputc(*h, out);
      if (*h == '\n') fprintf(out, "%*s", HELP_COLUMN, "");
    }
    fputc('\n', out);
  }
  fputs("SIZE: a decimal number, optionally with a fraction, then optionally K, M, G or T\n"
        "(powers of 1024, either case) and B or iB: 4096, 64K, 1.5M, 10mb, 2GiB\n", out);
}

/* The usage, made once from the table. */
static const char *usage_text(void) {
  static char text[16384];
  if (!text[0]) {
    FILE *f = fmemopen(text, sizeof text - 1, "w");
    if (f) write_usage(f), fclose(f);
  }
  return text;
}

void run_options_usage(FILE *out) {
  fputs(usage_text(), out);
}

static int yes_no(const char *opt, const char *v) {
  if (!strcmp(v, "yes") || !strcmp(v, "1")) return 1;
  if (!strcmp(v, "no") || !strcmp(v, "0")) return 0;
  hs_die(HS_EXIT_USAGE, "run: %s expects yes or no, not '%s'", opt, v);
}

static unsigned number(const char *opt, const char *v, unsigned lo, unsigned hi) {
  return (unsigned)hs_count_arg("run", opt, v, lo, hi);
}

/* A suppressions file is read now, once: a bad one stops heapspy before
 * the program starts (even under -q, which renders no report), and a pipe
 * (--suppressions=<(...)) is not there to be read again after the run. */
static struct hs_suppressions *load_suppressions(const char *path) {
  char err[1200];
  struct hs_suppressions *s = hs_suppressions_load(path, err, sizeof err);
  if (!s) hs_die(HS_EXIT_USAGE, "run: %s", err);
  return s;
}

/* The option getopt_long returned: its table index. */
static unsigned option_of(int c) {
  for (unsigned i = 0; i < RUN_OPT_COUNT; i++)
    if (c == 256 + (int)i || (table[i].short_name && c == table[i].short_name)) return i;
  return RUN_OPT_COUNT;
}

/* memcheck's options heapspy cannot honour: accepted, one note each. */
static void note_ignored(unsigned id, const char *arg) {
  const char *why = "";
  switch (id) {
  case RUN_OPT_MALLOCFILL: why = "(--check fills new blocks with 0xbe)"; break;
  case RUN_OPT_FREEFILL: why = "(--check poisons freed blocks with 0xfd)"; break;
  case RUN_OPT_TRACKORIGINS:
  case RUN_OPT_UNDEFERR:
  case RUN_OPT_PARTIALLOADS:
  case RUN_OPT_EXPENSIVE: why = "(no uninitialised-value tracking)"; break;
  case RUN_OPT_TRACKFDS: why = "(heapspy watches the heap, not file descriptors)"; break;
  case RUN_OPT_REDZONE: why = "(--check's red zones are 16 bytes, --guard's a page)"; break;
  case RUN_OPT_VGDB:
  case RUN_OPT_VGDBERROR: why = "(no gdb server; heapspy stacks/maps inspect a live process)"; break;
  case RUN_OPT_TIMESTAMP: why = "(the report gives each leak's first allocation time)"; break;
  }
  /* a "no" or "0" asks for what heapspy does anyway: no note */
  if (arg && (!strcmp(arg, "no") || (!strcmp(arg, "0") && id == RUN_OPT_VGDBERROR))) return;
  fprintf(stderr, "heapspy: --%s is not supported %s; ignored\n", table[id].name, why);
}

/* valgrind's -q: the report only when something is wrong */
#define QUIET_UNLESS_FOUND 2

static void parse(int argc, char **argv, struct run_opts *o, int memcheck);

void run_options_parse_memcheck(int argc, char **argv, struct run_opts *o) {
  parse(argc, argv, o, 1);
}

void run_options_parse(int argc, char **argv, struct run_opts *o) {
  parse(argc, argv, o, 0);
}

static void parse(int argc, char **argv, struct run_opts *o, int memcheck) {
  int quiet = 0, depth_given = 0, check_given = 0;
  *o = (struct run_opts){ .memcheck = memcheck, .log_fd = -1, .xml_fd = -1,
                          .profile = "heapspy.%p.hsp", .depth = 64,
                          .libc_freeres = 1, .cxx_freeres = 1, .max_sites = 20, .check_fill = 1,
                          .quarantine = ~0ull, .trace_cap = 1ull << 30,
                          .error_kinds = 1u << HSP_LEAK_DEFINITE | 1u << HSP_LEAK_POSSIBLE };
  o->watch.cap = 100ull << 20;
  hs_export_defaults(&o->exp);

  struct option opts[RUN_OPT_COUNT + 1];
  char shorts[2 * RUN_OPT_COUNT + 2] = "+";
  for (unsigned i = 0; i < RUN_OPT_COUNT; i++) {
    opts[i] = (struct option){ table[i].name, table[i].has_arg, 0,
                               table[i].short_name ? table[i].short_name : 256 + (int)i };
    if (table[i].short_name) {
      size_t n = strlen(shorts);
      shorts[n] = table[i].short_name;
      shorts[n + 1] = table[i].has_arg == required_argument ? ':' : 0;
      shorts[n + 2] = 0;
    }
  }
  opts[RUN_OPT_COUNT] = (struct option){ 0, 0, 0, 0 };

  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
    switch (option_of(c)) {
    case RUN_OPT_PROFILE: o->profile = optarg; break;
    case RUN_OPT_LOG: o->log_file = optarg; break;
    case RUN_OPT_DEPTH: o->depth = number("--depth", optarg, 1, 256), depth_given = 1; break;
    case RUN_OPT_NUMCALLERS: o->depth = number("--num-callers", optarg, 1, 256), depth_given = 1; break;
    case RUN_OPT_FOLLOW: o->follow_children = 1; break;
    case RUN_OPT_TRACECHILD: o->follow_children = yes_no("--trace-children", optarg); break;
    case RUN_OPT_TRACESKIP: o->trace_skip = optarg; break;
    case RUN_OPT_CHILDSILENT: o->child_silent = yes_no("--child-silent-after-fork", optarg); break;
    case RUN_OPT_TOOL:
      if (strcmp(optarg, "memcheck"))
        hs_die(HS_EXIT_USAGE, "run: --tool=%s: heapspy does memcheck's job only (leaks and heap "
                              "errors); run valgrind itself for %s", optarg, optarg);
      o->memcheck = 1;
      break;
    case RUN_OPT_VERBOSE: break;
    case RUN_OPT_LEAKCHECK:
      if (!strcmp(optarg, "full") || !strcmp(optarg, "yes")) o->leak_check = HS_LEAK_CHECK_FULL;
      else if (!strcmp(optarg, "summary")) o->leak_check = HS_LEAK_CHECK_SUMMARY;
      else if (!strcmp(optarg, "no")) o->leak_check = HS_LEAK_CHECK_NO;
      else hs_die(HS_EXIT_USAGE, "run: --leak-check expects no, summary, yes or full, not '%s'", optarg);
      o->leak_check_set = 1;
      break;
    case RUN_OPT_SHOWKINDS:
      if (hs_leak_kinds_parse(optarg, &o->show_kinds) < 0)
        hs_die(HS_EXIT_USAGE, "run: --show-leak-kinds expects a list of definite, indirect, "
                              "possible, reachable, all or none, not '%s'", optarg);
      o->show_kinds |= HS_KINDS_GIVEN;
      break;
    case RUN_OPT_EXITFIRST: o->exit_first = yes_no("--exit-on-first-error", optarg); break;
    case RUN_OPT_LOGFD:
      o->log_fd = (int)number("--log-fd", optarg, 0, 1u << 20);
      if (fcntl(o->log_fd, F_GETFD) < 0)
        hs_die(HS_EXIT_USAGE, "run: --log-fd=%d: no such open file descriptor", o->log_fd);
      break;
    case RUN_OPT_XML: o->xml = yes_no("--xml", optarg); break;
    case RUN_OPT_XMLFILE: o->xml_file = optarg; break;
    case RUN_OPT_XMLFD:
      o->xml_fd = (int)number("--xml-fd", optarg, 0, 1u << 20);
      if (fcntl(o->xml_fd, F_GETFD) < 0)
        hs_die(HS_EXIT_USAGE, "run: --xml-fd=%d: no such open file descriptor", o->xml_fd);
      break;
    case RUN_OPT_DEMANGLE: o->mangled = !yes_no("--demangle", optarg); break;
    case RUN_OPT_FREELISTVOL:
      o->quarantine = hs_size_arg("run", "--freelist-vol", optarg, 0, 4ull << 30);
      break;
    case RUN_OPT_KEEPST:
      if (strcmp(optarg, "alloc") && strcmp(optarg, "free") && strcmp(optarg, "alloc-and-free") &&
          strcmp(optarg, "alloc-then-free") && strcmp(optarg, "none"))
        hs_die(HS_EXIT_USAGE, "run: --keep-stacktraces expects alloc, free, alloc-and-free, "
                              "alloc-then-free or none, not '%s'", optarg);
      break;
    case RUN_OPT_LEAKRES:
      if (strcmp(optarg, "low") && strcmp(optarg, "med") && strcmp(optarg, "high"))
        hs_die(HS_EXIT_USAGE, "run: --leak-resolution expects low, med or high, not '%s'", optarg);
      break;
    case RUN_OPT_MISMATCHED: case RUN_OPT_ERRLIMIT: case RUN_OPT_BELOWMAIN: {
      char name[64];
      snprintf(name, sizeof name, "--%s", table[option_of(c)].name);
      (void)yes_no(name, optarg);
      break;
    }
    case RUN_OPT_FULLPATH: break;
    case RUN_OPT_MALLOCFILL: case RUN_OPT_FREEFILL: case RUN_OPT_TRACKORIGINS:
    case RUN_OPT_UNDEFERR: case RUN_OPT_PARTIALLOADS: case RUN_OPT_EXPENSIVE:
    case RUN_OPT_TRACKFDS: case RUN_OPT_REDZONE: case RUN_OPT_VGDB: case RUN_OPT_VGDBERROR:
    case RUN_OPT_TIMESTAMP:
      note_ignored(option_of(c), optarg);
      break;
    case RUN_OPT_LIBC: o->libc_freeres = yes_no("--run-libc-freeres", optarg); break;
    case RUN_OPT_CXX: o->cxx_freeres = yes_no("--run-cxx-freeres", optarg); break;
    case RUN_OPT_EXITCODE: o->error_exitcode = (int)number("--error-exitcode", optarg, 0, 255); break;
    case RUN_OPT_FORMAT:
      if (strcmp(optarg, "text") && strcmp(optarg, "json") && strcmp(optarg, "memcheck"))
        hs_die(HS_EXIT_USAGE, "run: --format expects text, json or memcheck, not '%s'", optarg);
      o->format = optarg;
      break;
    case RUN_OPT_MAXSITES: o->max_sites = number("--max-sites", optarg, 0, 1u << 30); break;
    case RUN_OPT_REACHABLE: o->show_reachable = optarg ? yes_no("--show-reachable", optarg) : 1; break;
    case RUN_OPT_QUIET: quiet = 1; break;
    case RUN_OPT_CHECK: o->check = optarg ? yes_no("--check", optarg) : 1, check_given = 1; break;
    case RUN_OPT_GUARD:
      o->guard = optarg ? optarg : "overflow";
      if (strcmp(o->guard, "overflow") && strcmp(o->guard, "underflow") && strcmp(o->guard, "exact"))
        hs_die(HS_EXIT_USAGE, "run: --guard expects overflow, underflow or exact, not '%s'", o->guard);
      break;
    case RUN_OPT_FILL: o->check_fill = yes_no("--check-fill", optarg); break;
    case RUN_OPT_QUARANTINE:                /* the spy's option is 32-bit */
      o->quarantine = hs_size_arg("run", "--quarantine", optarg, 0, 4ull << 30);
      break;
    case RUN_OPT_LOCKS: o->locks = 1; break;
    case RUN_OPT_YIELD: o->yield = 1; break;
    case RUN_OPT_TRACE: o->trace = 1; break;
    case RUN_OPT_TRACE_CAP:       /* a header and one chunk at least */
      o->trace_cap = hs_size_arg("run", "--trace-cap", optarg, 1, 0);
      if (o->trace_cap < 1u << 20)
        hs_die(HS_EXIT_USAGE, "run: --trace-cap expects a size of at least 1M, not '%s'", optarg);
      o->trace_cap_set = 1;
      break;
    case RUN_OPT_FILE_MODE:
      hs_file_mode = hs_file_mode_arg("run", optarg);
      o->file_mode_set = 1;
      break;
    case RUN_OPT_SAMPLE:                  /* the spy's option is 32-bit */
      o->sample = hs_size_arg("run", "--sample", optarg, 1, 4ull << 30);
      break;
    case RUN_OPT_SAMPLE_SEED: o->sample_seed = number("--sample-seed", optarg, 1, ~0u); break;
    case RUN_OPT_GUARD_SAMPLE: {
      const char *n = hs_optional_count(argc, argv, optarg);
      o->guard_sample = n ? number("--guard-sample", n, 1, ~0u) : 10000;
      break;
    }
    case RUN_OPT_GUARD_SLOTS: o->guard_slots = number("--guard-sample-slots", optarg, 1, 65536); break;
    case RUN_OPT_SUPP:
      if (o->nsupp == sizeof o->supp_sets / sizeof *o->supp_sets)
        hs_die(HS_EXIT_USAGE, "run: at most %zu --suppressions files", o->nsupp);
      if (access(optarg, R_OK) < 0)
        hs_die(HS_EXIT_USAGE, "run: cannot read suppressions %s: %s", optarg, strerror(errno));
      o->supp_sets[o->nsupp++] = load_suppressions(optarg);
      break;
    case RUN_OPT_GENSUPP:
      if (optarg && strcmp(optarg, "no") && strcmp(optarg, "yes") && strcmp(optarg, "all"))
        hs_die(HS_EXIT_USAGE, "run: --gen-suppressions expects no, yes or all, not '%s'", optarg);
      o->gen_suppressions = !optarg || strcmp(optarg, "no");
      break;
    case RUN_OPT_ERRKINDS:
      if (hs_leak_kinds_parse(optarg, &o->error_kinds) < 0)
        hs_die(HS_EXIT_USAGE, "run: --errors-for-leak-kinds expects a list of definite, indirect, "
                              "possible, reachable, all or none, not '%s'", optarg);
      break;
    case RUN_OPT_HALT: o->halt = 1; break;
    case RUN_OPT_DEBUGINFO: o->debuginfo = hs_debuginfo_path_check("run", optarg); break;
    case RUN_OPT_SNAP_ON: {
      char err[256];
      if (hs_watch_parse(&o->watch, optarg, err, sizeof err) < 0) hs_die(HS_EXIT_USAGE, "run: %s", err);
      break;
    }
    case RUN_OPT_SNAP_DIR: o->watch.dir = optarg; break;
    case RUN_OPT_SNAP_CAP: o->watch.cap = hs_size_arg("run", "--snapshot-cap", optarg, 1, 0); break;
    case RUN_OPT_EXPORT_EVERY: case RUN_OPT_EXPORT_DIR: case RUN_OPT_EXPORT_KEEP:
    case RUN_OPT_EXPORT_CAP: case RUN_OPT_PUSH: case RUN_OPT_PUSH_NAME: case RUN_OPT_PUSH_LABEL:
      hs_export_option(&o->exp, "run", table[option_of(c)].name, optarg);
      break;
    case RUN_OPT_HELP: run_options_usage(stdout); exit(0);
    default: hs_option_error("run", argv, shorts, opts, usage_text());
    }
  }
  if (o->sample && (o->check || o->guard || o->trace))
    hs_die(HS_EXIT_USAGE, "run: --sample records only some blocks; --%s needs every one",
           o->check ? "check" : o->guard ? "guard" : "trace");
  if (o->sample_seed && !o->sample && !o->guard_sample)
    hs_die(HS_EXIT_USAGE, "run: --sample-seed needs --sample or --guard-sample");
  if (o->guard_slots && !o->guard_sample)
    hs_die(HS_EXIT_USAGE, "run: --guard-sample-slots needs --guard-sample");
  if (o->guard_sample && (o->check || o->guard))
    hs_die(HS_EXIT_USAGE, "run: --guard-sample guards some blocks; --%s guards every one already",
           o->check ? "check" : "guard");
  if (o->memcheck && !o->leak_check_set) o->leak_check = HS_LEAK_CHECK_SUMMARY;  /* valgrind's default */
  if (o->memcheck && !depth_given) o->depth = 12;                               /* valgrind's default */
  /* memcheck always checks frees and freed memory: --check does (--guard
   * has checks of its own) */
  if (o->memcheck && !check_given && !o->guard && !o->guard_sample) o->check = 1;
  if (!o->format) o->format = o->memcheck ? "memcheck" : "text";
  o->quiet = quiet && o->memcheck ? QUIET_UNLESS_FOUND : quiet;
  if (o->exit_first && !o->error_exitcode)
    hs_die(HS_EXIT_USAGE, "run: --exit-on-first-error=yes needs --error-exitcode=N (as valgrind)");
  if (o->exit_first) o->halt = 1;
  if (o->xml && !o->xml_file && o->xml_fd < 0)
    hs_die(HS_EXIT_USAGE, "run: --xml=yes needs --xml-file=PATH or --xml-fd=N (as valgrind)");
  if (!o->xml && (o->xml_file || o->xml_fd >= 0))
    hs_die(HS_EXIT_USAGE, "run: --xml-file and --xml-fd need --xml=yes (as valgrind)");
}

/* Append key=value to an options string, escaping ':' and '\' in the value. */
static void spy_append(char *buf, size_t cap, enum run_option_id id, const char *val) {
  size_t n = strlen(buf);
  n += (size_t)snprintf(buf + n, cap - n, "%s%s=", n ? ":" : "", table[id].spy_key);
  for (const char *v = val; *v && n + 2 < cap; v++) {
    if (*v == ':' || *v == '\\') buf[n++] = '\\';
    buf[n++] = *v;
  }
  buf[n] = 0;
}

/* A number option, left out when 0. */
static void append_number(char *buf, size_t cap, enum run_option_id id, unsigned long long v) {
  char num[32];
  if (!v) return;
  snprintf(num, sizeof num, "%llu", v);
  spy_append(buf, cap, id, num);
}

void run_options_spy_env(const struct run_opts *o, const char *profile, char *buf, size_t cap) {
  char num[32];
  buf[0] = 0;
  spy_append(buf, cap, RUN_OPT_PROFILE, profile);
  snprintf(num, sizeof num, "%u", o->depth);
  spy_append(buf, cap, RUN_OPT_DEPTH, num);
  spy_append(buf, cap, RUN_OPT_LIBC, o->libc_freeres ? "1" : "0");
  spy_append(buf, cap, RUN_OPT_CXX, o->cxx_freeres ? "1" : "0");
  spy_append(buf, cap, RUN_OPT_FOLLOW, o->follow_children ? "1" : "0");
  spy_append(buf, cap, RUN_OPT_QUIET, "1");          /* the CLI prints the report */
  if (o->locks) spy_append(buf, cap, RUN_OPT_LOCKS, "1");
  if (o->yield) spy_append(buf, cap, RUN_OPT_YIELD, "1");
  if (o->check) spy_append(buf, cap, RUN_OPT_CHECK, "1");
  if (o->halt) spy_append(buf, cap, RUN_OPT_HALT, "1");
  if (o->guard) spy_append(buf, cap, RUN_OPT_GUARD, o->guard);
  if (!o->check_fill) spy_append(buf, cap, RUN_OPT_FILL, "0");
  if (o->quarantine != ~0ull) {
    snprintf(num, sizeof num, "%llu", o->quarantine);
    spy_append(buf, cap, RUN_OPT_QUARANTINE, num);
  }
  if (o->trace) {
    spy_append(buf, cap, RUN_OPT_TRACE, "1");
    snprintf(num, sizeof num, "%llu", o->trace_cap);
    spy_append(buf, cap, RUN_OPT_TRACE_CAP, num);
  }
  snprintf(num, sizeof num, "0%o", hs_file_mode);
  spy_append(buf, cap, RUN_OPT_FILE_MODE, num);
  if (o->trace_skip) spy_append(buf, cap, RUN_OPT_TRACESKIP, o->trace_skip);
  if (o->child_silent) spy_append(buf, cap, RUN_OPT_CHILDSILENT, "1");
  /* the production options: numbers, 0 for off or the spy's default */
  append_number(buf, cap, RUN_OPT_SAMPLE, o->sample);
  append_number(buf, cap, RUN_OPT_SAMPLE_SEED, o->sample_seed);
  append_number(buf, cap, RUN_OPT_GUARD_SAMPLE, o->guard_sample);
  append_number(buf, cap, RUN_OPT_GUARD_SLOTS, o->guard_slots);
}
