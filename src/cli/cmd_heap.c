/*
 * cmd_heap.c: `heapspy heap PID|CORE [--exe PROG]`: the glibc heap of any
 * process or core, read from outside with nothing loaded into the target:
 * RSS explained (live heap, freed memory glibc holds, glibc's overhead,
 * what is not heap), per arena, in-use blocks by size, a verdict; JSON
 * with the SPEC's keys; --blocks lists every in-use block.
 *
 * Options, then calls into inspect/ (target, glibc_libc, glibc_heap,
 * heap_summary, heap_census, heap_scan, heap_stacks); cli/heap_print.c
 * prints. The target is stopped only between hs_target_stop and
 * hs_target_resume, and every path out of that window resumes it first.
 * While stopped its writable memory is copied (hs_target_copy) and it is
 * resumed at once: the walk and the scan read the copy; when the copy
 * cannot be made they run while it is stopped.
 *
 * Must never: die (hs_die, hs_proc_die) while the target is stopped.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/heap_print.h"
#include "common/util.h"
#include "inspect/glibc_heap.h"
#include "inspect/heap_census.h"
#include "inspect/heap_scan.h"
#include "inspect/heap_stacks.h"
#include "inspect/heap_summary.h"
#include "inspect/proc.h"
#include "inspect/target.h"

#define EXIT_UNSUPPORTED 2

static const char heap_usage[] =
    "usage: heapspy heap [OPTIONS] PID|CORE\n"
    "  the glibc heap of a running process (never started under heapspy) or of a\n"
    "  core file, read from outside: RSS explained (live heap data, freed memory\n"
    "  glibc holds, glibc's overhead, what is not heap), per arena, in-use blocks\n"
    "  by size, and a verdict. The process is stopped only while its writable\n"
    "  memory is copied. Under heapspy (run or attach), each group also names the\n"
    "  allocation stacks of its blocks, from the spy's profile.\n"
    "  --format text|json      output format (default text)\n"
    "  --no-stop               read without stopping the process (counts the\n"
    "                          inconsistencies it tolerated)\n"
    "  --exe PROG              the program of a core file (default: as the core names it)\n"
    "  --top N                 rows per table (default 10)\n"
    "  --blocks                print every in-use block as ADDR USABLE_SIZE, nothing else\n"
    "  --no-debuginfo          find main_arena without libc's debug info (by searching\n"
    "                          libc's data)\n"
    "  --no-leak-check         skip the leak scan (memcheck's kinds from outside)\n"
    "  In-use blocks are also counted by C++ type (a first word pointing into a\n"
    "  vtable) and as strings, with samples.\n";

struct opts {
  const char *format, *exe, *operand;
  int no_stop, blocks, no_debuginfo, no_leak_check;
  unsigned long long top;
};

static void parse(int argc, char **argv, struct opts *o) {
  static const struct option lo[] = {
    { "format", required_argument, 0, 'f' },
    { "no-stop", no_argument, 0, 's' },
    { "exe", required_argument, 0, 'e' },
    { "top", required_argument, 0, 't' },
    { "blocks", no_argument, 0, 'b' },
    { "no-debuginfo", no_argument, 0, 'd' },
    { "no-leak-check", no_argument, 0, 'L' },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
  };
  memset(o, 0, sizeof *o);
  o->format = "text";
  o->top = 10;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    switch (c) {
    case 'f': o->format = optarg; break;
    case 's': o->no_stop = 1; break;
    case 'e': o->exe = optarg; break;
    case 't': o->top = hs_count_arg("heap", "--top", optarg, 1, 1000000); break;
    case 'b': o->blocks = 1; break;
    case 'd': o->no_debuginfo = 1; break;
    case 'L': o->no_leak_check = 1; break;
    case 'h': fputs(heap_usage, stdout); exit(0);
    default: hs_option_error("heap", argv, "h", lo, heap_usage);
    }
  }
  if (strcmp(o->format, "text") && strcmp(o->format, "json"))
    hs_die(HS_EXIT_USAGE, "heap: unsupported format '%s' (supported: text, json)", o->format);
  if (optind != argc - 1) {
    fprintf(stderr, "heapspy: heap: expected one PID or CORE\n%s", heap_usage);
    exit(HS_EXIT_USAGE);
  }
  o->operand = argv[optind];
}

static int all_digits(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!isdigit((unsigned char)*s)) return 0;
  return 1;
}

static void die_stop(pid_t pid, int err) {
  char note[400];
  if (err == -EPERM || err == -EACCES)
    hs_die(1, "heap: permission denied stopping the threads of process %d with ptrace (%s)",
           (int)pid, hs_permission_note(pid, note, sizeof note));
  if (err == -ETIMEDOUT)
    hs_die(1, "heap: a thread of process %d did not stop within 2 s (in uninterruptible sleep?); "
           "--no-stop reads it running", (int)pid);
  hs_proc_die("heap", pid, err, "the threads", 1);
}

/* Under heapspy: the spy's blocks (spy, from profile) give each group
 * of x the allocation stacks of its blocks, symbolized through the
 * profile's model; without them x says why not. Freed by spied_free. */
struct spied {
  char *profile;
  struct hs_spy_blocks spy;
  int have_spy, have_model;
  struct hs_model model;
  struct hs_heap_stacks stacks;
  char err[1400];
};

static void spied_stacks(struct spied *y, struct heap_view *x, const struct hs_heap *h,
                         const struct hs_census *c) {
  y->have_model = y->have_spy && hs_model_load(&y->model, y->profile, NULL, y->err, sizeof y->err) == 0;
  if (y->have_model) {
    hs_heap_stacks_make(h, c, x->leaks, &y->spy, &y->stacks);
    x->stacks = &y->stacks;
    x->spy = &y->spy;
    x->model = &y->model;
    x->profile = y->profile;
  } else if (y->profile) {
    x->stacks_why = y->err;
  }
}

static void spied_free(struct spied *y) {
  if (y->have_model) {
    hs_heap_stacks_free(&y->stacks);
    hs_model_free(&y->model);
  }
  hs_spy_blocks_free(&y->spy);
  free(y->profile);
}

/* heapspy heap CORE: the same walk over a core file. A core of a process
 * under heapspy names its profile (a mapped file): its blocks are then
 * shown as the program got them and their groups get stacks, as live. */
static int heap_core(const struct opts *o) {
  struct hs_target t;
  char msg[1400];
  if (hs_target_open_core(&t, o->operand, o->exe, msg, sizeof msg) != 0) hs_die(1, "heap: %s", msg);
  struct hs_libc l;
  enum hs_libc_status st = hs_libc_locate(&t, o->no_debuginfo, &l, msg, sizeof msg);
  if (st != HS_LIBC_OK) hs_die(st == HS_LIBC_NO_ARENA ? 1 : EXIT_UNSUPPORTED, "heap: %s", msg);
  struct heap_view x = { .top = o->top, .t = &t, .l = &l };
  snprintf(x.comm, sizeof x.comm, "%s", t.exe[0] ? hs_base(t.exe) : "?");
  struct spied y;
  memset(&y, 0, sizeof y);
  y.profile = o->blocks ? NULL : hs_core_profile(&t);
  y.have_spy = y.profile && hs_spy_blocks_read_core(y.profile, &t, &y.spy, y.err, sizeof y.err) == 0;
  struct hs_heap h;
  struct hs_census census;
  memset(&census, 0, sizeof census);
  hs_heap_walk(&t, &l, 0, &h);
  if (y.have_spy) hs_spy_fronts_apply(&h, &y.spy);
  if (o->blocks) {
    for (size_t i = 0; i < h.nblocks; i++)
      printf("0x%llx %llu\n", (unsigned long long)h.blocks[i].addr,
             (unsigned long long)h.blocks[i].usable);
    for (size_t i = 0; i < h.nproblems; i++) fprintf(stderr, "heapspy: heap: %s\n", h.problems[i]);
  } else {
    hs_census_run(&t, &h, &census);
    struct hs_leak_scan leaks;
    memset(&leaks, 0, sizeof leaks);
    if (!o->no_leak_check) {
      hs_leak_scan(&t, &l, &h, &leaks);
      x.leaks = &leaks;
    } else {
      x.no_scan_why = "--no-leak-check";
    }
    spied_stacks(&y, &x, &h, &census);
    struct hs_heap_summary s;
    hs_heap_summarize(&h, NULL, &s);
    x.h = &h;
    x.s = &s;
    x.c = &census;
    if (!strcmp(o->format, "json")) hs_heap_print_json(&x);
    else hs_heap_print_text(&x);
    hs_heap_summary_free(&s);
    hs_leak_scan_free(&leaks);
  }
  spied_free(&y);
  hs_census_free(&census);
  hs_heap_free(&h);
  hs_target_close(&t);
  fflush(stdout);
  return ferror(stdout) ? 1 : 0;
}

int cmd_heap(int argc, char **argv) {
  struct opts o;
  parse(argc, argv, &o);
  if (!all_digits(o.operand)) return heap_core(&o);
  pid_t pid = hs_parse_pid("heap", o.operand);
  hs_proc_require("heap", pid);
  struct hs_target t;
  int err = hs_target_open_live(&t, pid);
  if (err) hs_proc_die("heap", pid, err, "the memory", 0);
  struct hs_libc l;
  char msg[1400];
  enum hs_libc_status st = hs_libc_locate(&t, o.no_debuginfo, &l, msg, sizeof msg);
  if (st != HS_LIBC_OK && st != HS_LIBC_NO_ARENA) hs_die(EXIT_UNSUPPORTED, "heap: %s", msg);
  struct heap_view x = { .top = o.top, .t = &t, .l = &l, .stopped = !o.no_stop };
  hs_proc_comm(pid, x.comm, sizeof x.comm);
  /* under heapspy (run or attach): its profile names who allocated each block */
  struct spied y;
  memset(&y, 0, sizeof y);
  y.profile = o.blocks ? NULL : hs_find_profile("heap", pid);
  if (!o.no_stop) {
    if ((err = hs_target_stop(&t)) != 0) die_stop(pid, err);
    hs_target_reload_maps(&t);
  } else {
    hs_target_list_threads(&t);
  }
  /* --- stopped: no hs_die until hs_target_resume ------------------------- */
  struct hs_regions rs;
  memset(&rs, 0, sizeof rs);
  int rerr = -1, copied = 0;
  if (st == HS_LIBC_OK || st == HS_LIBC_NO_ARENA) {
    rerr = hs_regions_read(pid, &rs, 1);
    /* the writable memory copied, the rest runs on the copy */
    copied = !o.no_stop && hs_target_copy(&t) == 0;
  }
  if (y.profile) y.have_spy = hs_spy_blocks_read(y.profile, pid, &y.spy, y.err, sizeof y.err) == 0;
  if (copied) x.stop_ms = hs_target_resume(&t);
  /* --- running again when copied ------------------------------------------ */
  if (st == HS_LIBC_NO_ARENA && hs_libc_search_arena(&t, &l) == 0) st = HS_LIBC_OK;
  struct hs_heap h;
  struct hs_census census;
  struct hs_leak_scan leaks;
  memset(&h, 0, sizeof h);
  memset(&census, 0, sizeof census);
  memset(&leaks, 0, sizeof leaks);
  if (st == HS_LIBC_OK) {
    hs_heap_walk(&t, &l, o.no_stop, &h);
    if (y.have_spy) hs_spy_fronts_apply(&h, &y.spy);
    if (!o.blocks) hs_census_run(&t, &h, &census);
    if (!o.blocks && !o.no_stop && !o.no_leak_check) {
      hs_leak_scan(&t, &l, &h, &leaks);
      x.leaks = &leaks;
    }
  }
  x.no_scan_why = o.no_leak_check ? "--no-leak-check"
                  : "--no-stop: the heap moves under a scan of a running process";
  if (!o.no_stop && !copied) x.stop_ms = hs_target_resume(&t);
  /* --- running again ------------------------------------------------------ */
  if (st != HS_LIBC_OK) hs_die(EXIT_UNSUPPORTED, "heap: %s", msg);
  if (rerr) hs_proc_die("heap", pid, rerr, "the memory map (smaps)", 1);
  spied_stacks(&y, &x, &h, &census);
  if (o.blocks) {
    for (size_t i = 0; i < h.nblocks; i++)
      printf("0x%llx %llu\n", (unsigned long long)h.blocks[i].addr,
             (unsigned long long)h.blocks[i].usable);
  } else {
    struct hs_heap_summary s;
    hs_heap_summarize(&h, &rs, &s);
    x.h = &h;
    x.s = &s;
    x.c = &census;
    if (!strcmp(o.format, "json")) hs_heap_print_json(&x);
    else hs_heap_print_text(&x);
    hs_heap_summary_free(&s);
  }
  for (size_t i = 0; o.blocks && i < h.nproblems; i++) fprintf(stderr, "heapspy: heap: %s\n", h.problems[i]);
  hs_regions_free(&rs);
  spied_free(&y);
  hs_leak_scan_free(&leaks);
  hs_census_free(&census);
  hs_heap_free(&h);
  hs_target_close(&t);
  fflush(stdout);
  return ferror(stdout) ? 1 : 0;
}
