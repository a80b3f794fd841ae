/*
 * cmd_stacks.c: `heapspy stacks PID [-n N] [-i SECONDS] [--format json]`:
 * symbolized stacks (function, file:line, module, inlined frames) of every
 * thread of a live process, sampled N times SECONDS apart. For a busy
 * thread, the frames found in every sample are marked as the likely loop
 * ('*' in text, "in_every_sample" in JSON) and the innermost of them is
 * named at the end.
 *
 * Sampling and the likely loop live in inspect/stack_samples.c; this file
 * reads the options and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "common/frame_print.h"
#include "common/util.h"
#include "inspect/stack_samples.h"

#define MAX_SAMPLES 10000

static const char stacks_usage[] =
    "usage: heapspy stacks [-n N] [-i SECONDS] [--max-frames N] [--format text|json] PID\n"
    "  symbolized stacks of every thread, sampled N times SECONDS apart\n"
    "  -n, --samples N         samples to take (default 1)\n"
    "  -i, --interval SECONDS  time between samples (default 0.5)\n"
    "  --max-frames N          frames unwound per stack (default 128)\n"
    "  --format text|json      output format (default text)\n"
    "  Each thread is stopped only while its registers and stack are copied.\n"
    "  With N >= 2, frames present in every sample of a busy thread are marked\n"
    "  '*': the likely loop.\n";

static void print_frame_text(const struct hs_frame *f, size_t idx, int mark) {
  printf("  %c #%-2zu ", mark ? '*' : ' ', idx);
  hs_frame_text(stdout, f, HS_FRAME_MARK_INLINED);
  putchar('\n');
}

static void print_frame_json(const struct hs_frame *f, int every, int first) {
  printf("%s\n        {", first ? "" : ",");
  hs_frame_json_fields(stdout, f);
  printf(", \"in_every_sample\": %s}", every ? "true" : "false");
}

static void print_json(pid_t pid, const char *comm, const struct hs_stack_samples *ss,
                       double interval) {
  printf("{\"pid\": %d, \"command\": ", (int)pid);
  hs_json_str(stdout, comm);
  printf(", \"interval_s\": %.3f, \"samples\": [", interval);
  for (long s = 0; s < ss->taken; s++) {
    printf("%s\n  {\"t_ms\": %.0f, \"threads\": [", s ? "," : "", ss->smp[s].t * 1000.0);
    for (size_t j = 0; j < ss->smp[s].nthreads; j++) {
      const struct hs_tstack *x = &ss->st[s][j];
      char state[2] = { x->raw->state, 0 };
      printf("%s\n    {\"tid\": %d, \"name\": ", j ? "," : "", (int)x->raw->tid);
      hs_json_str(stdout, x->raw->name);
      printf(", \"state\": ");
      hs_json_str(stdout, state);
      printf(", \"error\": ");
      hs_json_str(stdout, x->raw->error);
      printf(", \"stack\": [");
      for (size_t i = 0; i < x->n; i++) print_frame_json(&x->f[i], x->every[i], i == 0);
      printf("]}");
    }
    printf("]}");
  }
  printf("],\n \"likely_loops\": [");
  int first = 1;
  for (size_t k = 0; k < ss->nsum; k++) {
    if (!ss->sum[k].loop) continue;
    printf("%s\n  {\"tid\": %d, \"name\": ", first ? "" : ",", (int)ss->sum[k].tid);
    hs_json_str(stdout, ss->smp[0].threads[k].name);
    printf(", \"cpu_pct\": %.1f, \"samples\": %ld, \"function\": ", 100.0 * ss->sum[k].share,
           ss->taken);
    hs_json_str(stdout, ss->sum[k].loop->function);
    printf(", \"file\": ");
    hs_json_str(stdout, ss->sum[k].loop->file);
    printf(", \"module\": ");
    hs_json_str(stdout, ss->sum[k].loop->module);
    printf(", \"offset\": %llu}", (unsigned long long)ss->sum[k].loop->offset);
    first = 0;
  }
  printf("]}\n");
}

static void print_text(pid_t pid, const char *comm, const struct hs_stack_samples *ss) {
  for (long s = 0; s < ss->taken; s++) {
    printf("%ssample %ld of %ld at %.0f ms: process %d (%s), %zu thread%s\n", s ? "\n" : "",
           s + 1, ss->asked, ss->smp[s].t * 1000.0, (int)pid, comm, ss->smp[s].nthreads,
           ss->smp[s].nthreads == 1 ? "" : "s");
    for (size_t j = 0; j < ss->smp[s].nthreads; j++) {
      const struct hs_tstack *x = &ss->st[s][j];
      const struct hs_thread_sum *ts = NULL;
      for (size_t k = 0; k < ss->nsum; k++)
        if (ss->sum[k].tid == x->raw->tid) ts = &ss->sum[k];
      printf("thread %d \"%s\" %c %s", (int)x->raw->tid, x->raw->name, x->raw->state,
             hs_state_word(x->raw->state));
      if (ts && ts->busy) printf(", busy (%.0f%% CPU)", 100.0 * ts->share);
      putchar('\n');
      if (x->raw->error) printf("    (no stack: %s)\n", x->raw->error);
      for (size_t i = 0; i < x->n; i++) print_frame_text(&x->f[i], i, x->every[i]);
    }
  }
  int any = 0;
  for (size_t k = 0; k < ss->nsum; k++) {
    if (!ss->sum[k].loop) continue;
    if (!any) putchar('\n');
    any = 1;
    printf("likely loop: thread %d \"%s\" (%.0f%% CPU over %.2f s) is inside %s",
           (int)ss->sum[k].tid, ss->smp[0].threads[k].name, 100.0 * ss->sum[k].share, ss->span,
           ss->sum[k].loop->function ? ss->sum[k].loop->function : "??");
    if (ss->sum[k].loop->file) printf(" (%s)", hs_base(ss->sum[k].loop->file));
    if (ss->sum[k].loop->module) printf(" in %s", ss->sum[k].loop->module);
    printf(" in all %ld samples; frames marked * are in every sample\n", ss->taken);
  }
  if (!any && ss->taken >= 2)
    printf("\nno busy thread: none used %.0f%% of a CPU while sampling or ran in every sample\n",
           100 * HS_BUSY_SHARE);
}

int cmd_stacks(int argc, char **argv) {
  static const struct option opts[] = {
    { "samples", required_argument, 0, 'n' },
    { "interval", required_argument, 0, 'i' },
    { "max-frames", required_argument, 0, 'm' },
    { "format", required_argument, 0, 'f' },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
  };
  long nsamples = 1, max_frames = 128;
  double interval = 0.5;
  const char *format = "text";
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "n:i:h", opts, NULL)) != -1) {
    switch (c) {
    case 'n': nsamples = (long)hs_count_arg("stacks", "-n", optarg, 1, MAX_SAMPLES); break;
    case 'i': interval = hs_parse_seconds("stacks", "-i", optarg); break;
    case 'm': max_frames = (long)hs_count_arg("stacks", "--max-frames", optarg, 1, 4096); break;
    case 'f': format = optarg; break;
    case 'h': fputs(stacks_usage, stdout); return 0;
    default: hs_option_error("stacks", argv, "n:i:h", opts, stacks_usage);
    }
  }
  if (strcmp(format, "text") && strcmp(format, "json"))
    hs_die(HS_EXIT_USAGE, "stacks: unsupported format '%s' (supported: text, json)", format);
  if (optind != argc - 1) {
    fprintf(stderr, "heapspy: stacks: expected one PID\n%s", stacks_usage);
    return HS_EXIT_USAGE;
  }
  pid_t pid = hs_parse_pid("stacks", argv[optind]);
  hs_proc_require("stacks", pid);
  int json = !strcmp(format, "json");

  struct hs_stack_samples ss;
  hs_stack_samples_take(pid, nsamples, interval, (size_t)max_frames, &ss);
  char comm[64];
  hs_proc_comm(pid, comm, sizeof comm);
  if (json) print_json(pid, comm, &ss, interval);
  else print_text(pid, comm, &ss);
  fflush(stdout);
  hs_stack_samples_free(&ss);
  if (ss.gone)
    hs_die(1, "stacks: process %d exited after %ld of %ld samples", (int)pid, ss.taken, nsamples);
  return ferror(stdout) ? 1 : 0;
}
