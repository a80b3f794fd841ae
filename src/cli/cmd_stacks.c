/*
 * cmd_stacks.c: `heapspy stacks PID [-n N] [-i SECONDS] [--format json]`:
 * symbolized stacks (function, file:line, module, inlined frames) of every
 * thread of a live process, sampled N times SECONDS apart. For a busy
 * thread, the frames found in every sample are marked as the likely loop
 * ('*' in text, "in_every_sample" in JSON) and the innermost of them is
 * named at the end.
 *
 * Sampling (stopping threads) lives in proc_unwind.c; this file only
 * schedules samples, symbolizes after the last one (never while a thread
 * is stopped) and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "common/frame_print.h"
#include "common/util.h"
#include "inspect/proc.h"

#define MAX_SAMPLES 10000
#define INLINE_MAX 32
#define BUSY_SHARE 0.10      /* CPU share over the sampling that makes a thread busy */

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

/* One thread in one sample, symbolized. */
struct tstack {
  const struct hs_raw_stack *raw;
  struct hs_frame *f;
  uint8_t *every;            /* frame i is in every sample of this thread */
  size_t n;
};

struct thread_sum {
  pid_t tid;
  uint64_t start_ticks, ticks0, ticks1;
  int in_all, busy;
  double share;
  size_t nsamples_seen;
};

static size_t symbolize_stack(struct hs_symbolizer *sym, const struct hs_modlist *ml,
                              const struct hs_raw_stack *raw, struct tstack *ts) {
  struct hs_frame tmp[INLINE_MAX];
  size_t cap = raw->n + 1;
  ts->raw = raw;
  ts->f = hs_xmalloc(cap * sizeof *ts->f);
  ts->n = 0;
  for (size_t i = 0; i < raw->n; i++) {
    size_t k = hs_symbolize(sym, raw->pc[i], !raw->activation[i], tmp, INLINE_MAX);
    if (ts->n + k > cap) ts->f = hs_xrealloc(ts->f, (cap = (ts->n + k) * 2) * sizeof *ts->f);
    memcpy(ts->f + ts->n, tmp, k * sizeof *tmp);
    ts->n += k;
  }
  ts->every = hs_xcalloc(ts->n + 1, 1);
  hs_modlist_fix_frames(ml, ts->f, ts->n);
  return ts->n;
}

/* Frames are alike across samples when they name the same function of
 * the same module (the line moves as the loop runs); unnamed ones when
 * their address is the same. Strings are interned by the symbolizer. */
static int same_frame(const struct hs_frame *a, const struct hs_frame *b) {
  if (a->module != b->module) return 0;
  if (a->function || b->function) return a->function == b->function;
  return a->pc == b->pc;
}

static int has_frame(const struct tstack *ts, const struct hs_frame *f) {
  for (size_t i = 0; i < ts->n; i++)
    if (same_frame(&ts->f[i], f)) return 1;
  return 0;
}

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

static pid_t tracer_of(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long t = 0;
  if (!f) return 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "TracerPid: %ld", &t) == 1) break;
  fclose(f);
  return (pid_t)t;
}

static void die_sample_error(pid_t pid, int err, int started) {
  char note[400], comm[64];
  if (err == -EPERM || err == -EACCES) {
    pid_t tr = tracer_of(pid);
    if (tr > 0)
      hs_die(1, "stacks: process %d is already traced by process %d (%s); "
                "a process can have only one tracer", (int)pid, (int)tr,
             hs_proc_comm(tr, comm, sizeof comm));
    hs_die(1, "stacks: permission denied stopping the threads of process %d with ptrace (%s)",
           (int)pid, hs_permission_note(pid, note, sizeof note));
  }
  if (err == -ENOSYS) hs_die(1, "stacks: only x86_64 processes can be unwound by this build");
  hs_proc_die("stacks", pid, err, "the stacks", started);
}

/* CPU ticks of tid in a fresh read of the tasks, or 0 with *found = 0. */
static uint64_t ticks_of(const struct hs_task *t, int n, pid_t tid, uint64_t start, int *found) {
  for (int i = 0; i < n; i++)
    if (t[i].tid == tid && t[i].starttime == start) {
      *found = 1;
      return t[i].utime + t[i].stime;
    }
  *found = 0;
  return 0;
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
    default:
      fprintf(stderr, "heapspy: stacks: unknown option '%s'\n%s", argv[optind - 1], stacks_usage);
      return HS_EXIT_USAGE;
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

  int err = 0;
  struct hs_unwinder *u = hs_unwind_open(pid, &err);
  if (!u) die_sample_error(pid, err, 0);

  /* ---- sample ---- */
  struct hs_task *tk0 = NULL, *tk1 = NULL;
  int ntk0 = hs_tasks_read(pid, &tk0), ntk1 = 0;
  if (ntk0 < 0) die_sample_error(pid, ntk0, 0);
  struct hs_raw_sample *smp = hs_xcalloc((size_t)nsamples, sizeof *smp);
  long taken = 0;
  int gone = 0;
  double t0 = hs_now(), tlast = t0;
  for (long s = 0; s < nsamples; s++) {
    if (s) hs_sleep_until(t0 + (double)s * interval);
    double ts = hs_now();
    err = hs_unwind_sample(u, &smp[s], (size_t)max_frames);
    if (err == -ESRCH || (err && !hs_proc_alive(pid))) {
      gone = 1;
      break;
    }
    if (err) {
      hs_unwind_close(u);
      die_sample_error(pid, err, taken > 0);
    }
    smp[s].t = ts - t0;
    tlast = hs_now();
    taken++;
  }
  if (taken == 0) {
    hs_unwind_close(u);
    hs_die(1, "stacks: no such process %d", (int)pid);
  }
  ntk1 = hs_tasks_read(pid, &tk1);
  double span = tlast - t0;

  /* ---- symbolize (every thread runs again by now) ---- */
  struct hs_modlist ml = { 0 };
  hs_unwind_modules(u, &ml);
  hs_unwind_close(u);
  struct hs_symbolizer *sym = hs_symbolizer_new(ml.v, ml.n, NULL);
  struct tstack **st = hs_xcalloc((size_t)taken, sizeof *st);
  for (long s = 0; s < taken; s++) {
    st[s] = hs_xcalloc(smp[s].nthreads + 1, sizeof **st);
    for (size_t k = 0; k < smp[s].nthreads; k++) symbolize_stack(sym, &ml, &smp[s].threads[k], &st[s][k]);
  }

  /* ---- the likely loop: frames common to every sample of a busy thread ---- */
  long hz = hs_ticks();
  size_t nsum = smp[0].nthreads;
  struct thread_sum *sum = hs_xcalloc(nsum + 1, sizeof *sum);
  for (size_t k = 0; k < nsum; k++) {
    struct thread_sum *ts = &sum[k];
    ts->tid = smp[0].threads[k].tid;
    int f0 = 0, f1 = 0;
    for (int i = 0; i < ntk0; i++)
      if (tk0[i].tid == ts->tid) ts->start_ticks = tk0[i].starttime;
    ts->ticks0 = ticks_of(tk0, ntk0, ts->tid, ts->start_ticks, &f0);
    ts->ticks1 = ntk1 > 0 ? ticks_of(tk1, ntk1, ts->tid, ts->start_ticks, &f1) : 0;
    ts->share = f0 && f1 && span > 0 ? (double)(ts->ticks1 - ts->ticks0) / (double)hz / span : 0;
    int running = 0;
    ts->in_all = 1;
    for (long s = 0; s < taken; s++) {
      const struct tstack *found = NULL;
      for (size_t j = 0; j < smp[s].nthreads; j++)
        if (smp[s].threads[j].tid == ts->tid) found = &st[s][j];
      if (!found || found->raw->error || found->n == 0) ts->in_all = 0;
      else if (found->raw->state == 'R') running++;
    }
    /* Busy: it used a tenth of a CPU while sampling, or was running (or
     * runnable, on a crowded machine) every time we looked. */
    ts->busy = taken >= 2 && ts->in_all &&
               ((span >= 0.05 && ts->share >= BUSY_SHARE) || running == taken);
    if (!ts->busy) continue;
    /* The thread's stack in each sample (in_all: there is one in each). */
    struct tstack **mine = hs_xcalloc((size_t)taken, sizeof *mine);
    for (long s = 0; s < taken; s++)
      for (size_t j = 0; j < smp[s].nthreads; j++)
        if (smp[s].threads[j].tid == ts->tid) mine[s] = &st[s][j];
    /* Candidates: the first sample's frames, kept while every later
     * sample has them too; then each sample marks the survivors. */
    size_t ncand = mine[0]->n;
    struct hs_frame *cand = hs_xcalloc(ncand + 1, sizeof *cand);
    memcpy(cand, mine[0]->f, ncand * sizeof *cand);
    for (long s = 1; s < taken; s++) {
      size_t w = 0;
      for (size_t i = 0; i < ncand; i++)
        if (has_frame(mine[s], &cand[i])) cand[w++] = cand[i];
      ncand = w;
    }
    struct tstack survivors = { .f = cand, .n = ncand };
    for (long s = 0; s < taken; s++)
      for (size_t i = 0; i < mine[s]->n; i++)
        mine[s]->every[i] = (uint8_t)has_frame(&survivors, &mine[s]->f[i]);
    free(cand);
    free(mine);
  }

  /* The innermost marked frame of each busy thread, from the last sample. */
  const struct hs_frame **loop = hs_xcalloc(nsum + 1, sizeof *loop);
  for (size_t k = 0; k < nsum; k++) {
    if (!sum[k].busy) continue;
    for (size_t j = 0; j < smp[taken - 1].nthreads; j++) {
      struct tstack *x = &st[taken - 1][j];
      if (x->raw->tid != sum[k].tid) continue;
      for (size_t i = 0; i < x->n && !loop[k]; i++)
        if (x->every[i]) loop[k] = &x->f[i];
    }
  }

  /* ---- print ---- */
  char comm[64];
  hs_proc_comm(pid, comm, sizeof comm);
  if (json) {
    printf("{\"pid\": %d, \"command\": ", (int)pid);
    hs_json_str(stdout, comm);
    printf(", \"interval_s\": %.3f, \"samples\": [", interval);
    for (long s = 0; s < taken; s++) {
      printf("%s\n  {\"t_ms\": %.0f, \"threads\": [", s ? "," : "", smp[s].t * 1000.0);
      for (size_t j = 0; j < smp[s].nthreads; j++) {
        struct tstack *x = &st[s][j];
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
    for (size_t k = 0; k < nsum; k++) {
      if (!loop[k]) continue;
      printf("%s\n  {\"tid\": %d, \"name\": ", first ? "" : ",", (int)sum[k].tid);
      hs_json_str(stdout, smp[0].threads[k].name);
      printf(", \"cpu_pct\": %.1f, \"samples\": %ld, \"function\": ", 100.0 * sum[k].share, taken);
      hs_json_str(stdout, loop[k]->function);
      printf(", \"file\": ");
      hs_json_str(stdout, loop[k]->file);
      printf(", \"module\": ");
      hs_json_str(stdout, loop[k]->module);
      printf(", \"offset\": %llu}", (unsigned long long)loop[k]->offset);
      first = 0;
    }
    printf("]}\n");
  } else {
    for (long s = 0; s < taken; s++) {
      printf("%ssample %ld of %ld at %.0f ms: process %d (%s), %zu thread%s\n", s ? "\n" : "",
             s + 1, nsamples, smp[s].t * 1000.0, (int)pid, comm, smp[s].nthreads,
             smp[s].nthreads == 1 ? "" : "s");
      for (size_t j = 0; j < smp[s].nthreads; j++) {
        struct tstack *x = &st[s][j];
        const struct thread_sum *ts = NULL;
        for (size_t k = 0; k < nsum; k++)
          if (sum[k].tid == x->raw->tid) ts = &sum[k];
        printf("thread %d \"%s\" %c %s", (int)x->raw->tid, x->raw->name, x->raw->state,
               hs_state_word(x->raw->state));
        if (ts && ts->busy) printf(", busy (%.0f%% CPU)", 100.0 * ts->share);
        putchar('\n');
        if (x->raw->error) printf("    (no stack: %s)\n", x->raw->error);
        for (size_t i = 0; i < x->n; i++) print_frame_text(&x->f[i], i, x->every[i]);
      }
    }
    int any = 0;
    for (size_t k = 0; k < nsum; k++) {
      if (!loop[k]) continue;
      if (!any) putchar('\n');
      any = 1;
      printf("likely loop: thread %d \"%s\" (%.0f%% CPU over %.2f s) is inside %s",
             (int)sum[k].tid, smp[0].threads[k].name, 100.0 * sum[k].share, span,
             loop[k]->function ? loop[k]->function : "??");
      if (loop[k]->file) printf(" (%s)", hs_base(loop[k]->file));
      if (loop[k]->module) printf(" in %s", loop[k]->module);
      printf(" in all %ld samples; frames marked * are in every sample\n", taken);
    }
    if (!any && taken >= 2)
      printf("\nno busy thread: none used %.0f%% of a CPU while sampling or ran in every sample\n",
             100 * BUSY_SHARE);
  }
  fflush(stdout);

  for (long s = 0; s < taken; s++) {
    for (size_t j = 0; j < smp[s].nthreads; j++) {
      free(st[s][j].f);
      free(st[s][j].every);
    }
    free(st[s]);
  }
  for (long s = 0; s < nsamples; s++) hs_raw_sample_free(&smp[s]);
  free(st);
  free(smp);
  free(sum);
  free(loop);
  free(tk0);
  free(tk1);
  hs_symbolizer_free(sym);
  hs_modlist_free(&ml);
  if (gone)
    hs_die(1, "stacks: process %d exited after %ld of %ld samples", (int)pid, taken, nsamples);
  return ferror(stdout) ? 1 : 0;
}
