/*
 * cmd_report.c: `heapspy report [OPTIONS] PROFILE`: render a profile
 * written earlier (possibly on another machine with the same binaries).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "analyze/report.h"
#include "analyze/suppress.h"
#include "common/private_file.h"
#include "common/util.h"

static const char report_usage[] =
    "usage: heapspy report [--leaks | --peak | --hotspots | --temporary | --timeline]\n"
    "    [--format text|json|pprof|collapsed|html|memcheck|sarif|chrome-trace|heaptrack|massif]\n"
    "                      [--srcroot DIR] [--debuginfo-path DIR]\n"
    "                      [--max-sites N] [--max-frames N] [--show-reachable]\n"
    "                      [--suppressions FILE] [--gen-suppressions]\n"
    "                      [--diff CHECKPOINT_A CHECKPOINT_B]\n"
    "                      [--at T | --between T1 T2 | --trace-stats]\n"
    "                      [--redact] [--file-mode MODE] [-o FILE] PROFILE\n"
    "  --leaks       blocks in use at exit by allocation stack (the default)\n"
    "  --peak        stacks holding the heap at its peak (recorded within 3.1% of it)\n"
    "  --temporary   allocations freed right away (nothing else allocated or freed by\n"
    "                the thread in between), by stack\n"
    "  --hotspots    stacks making the most allocation calls / allocating the most bytes;\n"
    "                with --format collapsed: weight by bytes allocated, not in use\n"
    "  --timeline    heap, RSS and virtual size over the run, with a verdict\n"
    "  --debuginfo-path DIR  also look for separate debug info there (DIR[:DIR...],\n"
    "                each like /usr/lib/debug: DIR/.build-id/xx/rest.debug, debug links);\n"
    "                with DEBUGINFOD_URLS set, debuginfod servers are asked too\n"
    "  --at T        (--trace) the live heap at T by allocation stack; T is a time\n"
    "                (1500, 1500ms, 1.5s), `end` or a checkpoint name\n"
    "  --between T1 T2  (--trace) allocated after T1 and still live at T2\n"
    "  --trace-stats (--trace) event counts: allocation calls, frees, temporary\n"
    "  --format pprof      gzipped profile.proto (go tool pprof); needs -o or a pipe\n"
    "  --format collapsed  folded stacks for flame graph tools\n"
    "  --format html       one self-contained page: timeline, leaks, flame graph\n"
    "  --format memcheck   the leaks and errors as valgrind's memcheck prints them\n"
    "  --format sarif      SARIF 2.1.0 for code scanning (GitHub upload-sarif): one result\n"
    "                      per error and per lost site, at the user's file:line\n"
    "  --format chrome-trace  Trace Event Format JSON for Perfetto, chrome://tracing and\n"
    "                      speedscope: heap/RSS counters, checkpoints, --trace's events\n"
    "  --srcroot DIR       (sarif) source paths are written relative to DIR (default: .)\n"
    "  --format heaptrack  heaptrack's data file (heaptrack_print, heaptrack_gui): every\n"
    "                      event with --trace, else a summary; -o F.zst or F.gz compresses\n"
    "  --format massif     valgrind massif's out file (ms_print, massif-visualizer)\n"
    "  -o, --output FILE   write the report to FILE (mode 0600; never through a symlink,\n"
    "                      a FIFO or a file of another user)\n"
    "  --file-mode MODE    mode of the -o file, octal (default 0600)\n"
    "  --redact            leave out sample bytes and the command's arguments (to share it)\n"
    "  --max-sites N       leak sites listed in the text report (default 20, 0: all)\n"
    "  --max-frames N      frames shown per stack (default 24)\n"
    "  --show-reachable    also list still-reachable sites\n"
    "  --suppressions FILE suppress known leaks and errors (valgrind syntax; repeatable)\n"
    "  --gen-suppressions  print a ready-to-paste suppression for each lost site and error\n"
    "  --diff A B          what the heap gained between checkpoints A and B, by stack\n";

static void timeline_text(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  hs_report_timeline_text(out, m);
}
static void timeline_json(FILE *out, struct hs_model *m, const struct hs_report_opts *o) {
  hs_report_timeline_json(out, m);
}

/* The views of a profile, each rendered as text or JSON; the other
 * formats (pprof, collapsed, html) and the time-travel reports are
 * dispatched before these. */
enum { V_LEAKS, V_HOTSPOTS, V_TIMELINE, V_PEAK, V_TEMPORARY };
typedef void view_fn(FILE *out, struct hs_model *m, const struct hs_report_opts *o);
static const struct view {
  const char *opt;
  view_fn *text, *json;
} views[] = {
  [V_LEAKS] = { "--leaks", hs_report_text, hs_report_json_opts },
  [V_HOTSPOTS] = { "--hotspots", hs_report_hotspots_text, hs_report_hotspots_json },
  [V_TIMELINE] = { "--timeline", timeline_text, timeline_json },
  [V_PEAK] = { "--peak", hs_report_peak_text, hs_report_peak_json },
  [V_TEMPORARY] = { "--temporary", hs_report_temporary_text, hs_report_temporary_json },
};

int cmd_report(int argc, char **argv) {
  static const struct option opts[] = {
    { "format", required_argument, 0, 'f' },
    { "output", required_argument, 0, 'o' },
    { "debuginfo-path", required_argument, 0, 'd' },
    { "max-sites", required_argument, 0, 'm' },
    { "max-frames", required_argument, 0, 'n' },
    { "leaks", no_argument, 0, 'l' },
    { "show-reachable", no_argument, 0, 'r' },
    { "diff", required_argument, 0, 'D' },
    { "hotspots", no_argument, 0, 'H' },
    { "timeline", no_argument, 0, 'T' },
    { "peak", no_argument, 0, 'P' },
    { "temporary", no_argument, 0, 't' },
    { "suppressions", required_argument, 0, 'S' },
    { "gen-suppressions", no_argument, 0, 'G' },
    { "at", required_argument, 0, 'A' },
    { "between", required_argument, 0, 'B' },
    { "trace-stats", no_argument, 0, 'X' },
    { "redact", no_argument, 0, 'R' },
    { "file-mode", required_argument, 0, 'M' },
    { "srcroot", required_argument, 0, 's' },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
  };
  const char *srcroot = NULL;
  const char *at = NULL, *between_from = NULL, *between_to = NULL;
  int trace_stats = 0, redact = 0;
  const char *format = "text", *outpath = NULL, *debuginfo = NULL, *diff_from = NULL,
             *diff_to = NULL;
  struct hs_report_opts ro = { .max_groups = 20, .max_frames = 24 };
  const char *supp[16];
  size_t nsupp = 0;
  int c, view = V_LEAKS, frames_set = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
    switch (c) {
    case 'f': format = optarg; break;
    case 'o': outpath = optarg; break;
    case 'd': debuginfo = hs_debuginfo_path_check("report", optarg); break;
    case 'm': ro.max_groups = hs_count_arg("report", "--max-sites", optarg, 0, 1u << 30); break;
    case 'n':
      ro.max_frames = hs_count_arg("report", "--max-frames", optarg, 0, 4096);
      frames_set = 1;
      break;
    case 'l': view = V_LEAKS; break;
    case 'H': view = V_HOTSPOTS; break;
    case 'T': view = V_TIMELINE; break;
    case 'P': view = V_PEAK; break;
    case 't': view = V_TEMPORARY; break;
    case 'r': ro.show_reachable = 1; break;
    case 'S':
      if (nsupp == sizeof supp / sizeof *supp)
        hs_die(HS_EXIT_USAGE, "report: at most %zu --suppressions files", nsupp);
      supp[nsupp++] = optarg;
      break;
    case 'G': ro.gen_suppressions = 1; break;
    case 'D':                          /* --diff A B: B is the next word */
      diff_from = optarg;
      if (optind < argc && argv[optind][0] != '-') diff_to = argv[optind++];
      break;
    case 'A': at = optarg; break;
    case 'B':                          /* --between T1 T2: T2 is the next word */
      between_from = optarg;
      if (optind < argc) between_to = argv[optind++];
      break;
    case 'X': trace_stats = 1; break;
    case 'R': redact = 1; break;
    case 'M': hs_file_mode = hs_file_mode_arg("report", optarg); break;
    case 's': srcroot = optarg; break;
    case 'h': fputs(report_usage, stdout); return 0;
    default: hs_option_error("report", argv, "o:h", opts, report_usage);
    }
  }
  enum { F_TEXT, F_JSON, F_PPROF, F_COLLAPSED, F_HTML, F_MEMCHECK, F_SARIF, F_CHROME_TRACE,
         F_HEAPTRACK, F_MASSIF };
  static const char *const formats[] = { "text", "json", "pprof", "collapsed", "html", "memcheck",
                                         "sarif", "chrome-trace", "heaptrack", "massif", NULL };
  int fmt = 0;
  while (formats[fmt] && strcmp(format, formats[fmt])) fmt++;
  if (!formats[fmt]) {
    fprintf(stderr, "heapspy: report: unsupported format '%s' "
                    "(supported: text, json, pprof, collapsed, html, memcheck, sarif, "
                    "chrome-trace, heaptrack, massif)\n", format);
    return HS_EXIT_USAGE;
  }
  int hotspots = view == V_HOTSPOTS;
  const char *travel = at ? "--at" : between_from ? "--between" : trace_stats ? "--trace-stats" : NULL;
  if ((view >= V_TIMELINE || diff_from || travel) && fmt != F_TEXT && fmt != F_JSON) {
    fprintf(stderr, "heapspy: report: %s is shown as text or json, not %s\n",
            diff_from ? "--diff" : travel ? travel : views[view].opt, format);
    return HS_EXIT_USAGE;
  }
  if (!!at + !!between_from + trace_stats + !!diff_from > 1) {
    fprintf(stderr, "heapspy: report: --at, --between, --trace-stats and --diff go one at a time\n");
    return HS_EXIT_USAGE;
  }
  if (between_from && (!between_to || optind >= argc)) {
    fprintf(stderr, "heapspy: report: --between needs two times, then the PROFILE\n%s",
            report_usage);
    return HS_EXIT_USAGE;
  }
  if (fmt == F_MEMCHECK && view != V_LEAKS) {
    fprintf(stderr, "heapspy: report: --format memcheck shows the leaks and errors: drop %s\n",
            views[view].opt);
    return HS_EXIT_USAGE;
  }
  struct stat st;
  if (srcroot && (stat(srcroot, &st) < 0 || !S_ISDIR(st.st_mode))) {
    fprintf(stderr, "heapspy: report: --srcroot %s: not a folder\n", srcroot);
    return HS_EXIT_USAGE;
  }
  if (view != V_LEAKS && (fmt == F_SARIF || fmt == F_CHROME_TRACE)) {
    fprintf(stderr, "heapspy: report: --format %s is a view of its own: drop %s\n", format,
            views[view].opt);
    return HS_EXIT_USAGE;
  }
  if (hotspots && (fmt == F_PPROF || fmt == F_HTML || fmt == F_HEAPTRACK || fmt == F_MASSIF)) {
    fprintf(stderr, "heapspy: report: --format %s always holds both allocated and in-use "
                    "figures: drop --hotspots\n", format);
    return HS_EXIT_USAGE;
  }
  if (fmt == F_PPROF && !outpath && isatty(STDOUT_FILENO)) {
    fprintf(stderr, "heapspy: report: pprof output is binary: write it with -o FILE or into a pipe\n");
    return HS_EXIT_USAGE;
  }
  if (view != V_LEAKS && view != V_TIMELINE && !frames_set) ro.max_frames = 8;
  if (diff_from && (!diff_to || optind >= argc)) {
    fprintf(stderr, "heapspy: report: --diff needs two checkpoint names, then the PROFILE\n%s",
            report_usage);
    return HS_EXIT_USAGE;
  }
  if (optind != argc - 1) {
    fprintf(stderr, "heapspy: report: expected exactly one PROFILE\n%s", report_usage);
    return HS_EXIT_USAGE;
  }
  struct hs_model m;
  char err[1200];
  if (hs_model_load(&m, argv[optind], debuginfo, err, sizeof err) < 0) {
    fprintf(stderr, "heapspy: %s\n", err);
    return 1;
  }
  if (redact && hs_model_redact(&m) < 0) {
    hs_model_free(&m);
    hs_die(1, "report: --redact: cannot edit the loaded profile: %m");
  }
  FILE *out = stdout;
  hs_suppressions_use(&m, supp, nsupp);
  if (outpath && !(out = hs_fopen_private(outpath, HS_FILE_REPORT, 0, err, sizeof err))) {
    hs_model_free(&m);
    hs_die(1, "report: %s", err);
  }
  if (travel) {
    int json = fmt == F_JSON;
    int rc = at ? hs_report_at(out, &m, at, ro.max_groups, json)
           : between_from ? hs_report_between(out, &m, between_from, between_to, ro.max_groups, json)
                          : hs_report_trace_stats(out, &m, json);
    if (rc < 0) {
      if (out != stdout) fclose(out);
      hs_model_free(&m);
      return 1;
    }
  } else if (diff_from) {
    if (hs_report_diff(out, &m, diff_from, diff_to, !strcmp(format, "json")) < 0) {
      hs_model_free(&m);
      return 1;
    }
  } else if (fmt == F_PPROF) {
    if (hs_report_pprof(out, &m, err, sizeof err) < 0) {
      if (out != stdout) fclose(out);
      hs_model_free(&m);
      return hs_error("%s", err), 1;
    }
  } else if (fmt == F_HEAPTRACK || fmt == F_MASSIF) {
    int rc = fmt == F_MASSIF ? hs_report_massif(out, &m)
                             : hs_report_heaptrack(out, &m, hs_zcodec_of(outpath), err, sizeof err);
    if (rc < 0) {
      if (out != stdout) fclose(out);
      hs_model_free(&m);
      return fmt == F_MASSIF ? 1 : (hs_error("%s", err), 1);
    }
  } else if (fmt == F_COLLAPSED) hs_report_collapsed(out, &m, hotspots);
  else if (fmt == F_HTML) hs_report_html(out, &m);
  else if (fmt == F_MEMCHECK) hs_report_memcheck(out, &m, &ro);
  else if (fmt == F_SARIF || fmt == F_CHROME_TRACE) {
    if ((fmt == F_SARIF ? hs_report_sarif(out, &m, &ro, srcroot) : hs_report_chrome_trace(out, &m)) < 0) {
      if (out != stdout) fclose(out);
      hs_model_free(&m);
      return 1;
    }
  }
  else (fmt == F_JSON ? views[view].json : views[view].text)(out, &m, &ro);
  int bad = ferror(out);                /* before the close: the FILE is gone after it */
  if (out != stdout) bad |= fclose(out);
  else bad |= fflush(out);
  hs_model_free(&m);
  if (bad && outpath) {
    int saved = errno;
    unlink(outpath);                    /* ours (created 0600 above): no half file left */
    errno = saved;
    return hs_error("writing %s failed: %m; nothing kept (the profile is untouched)", outpath), 1;
  }
  if (bad) return hs_error("writing the report failed: %m"), 1;
  return 0;
}
