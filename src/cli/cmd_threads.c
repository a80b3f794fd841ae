/*
 * cmd_threads.c: `heapspy threads PID [-i SECONDS] [--format json]`:
 * every thread of a live process with its name, state, user and system
 * CPU time and CPU share, busiest first (WinDbg's !runaway view).
 *
 * Without -i the share is over each thread's lifetime and the order is by
 * total CPU time; with -i the threads are read twice, SECONDS apart, and
 * the share and the order are over that interval.
 *
 * Must never: stop or signal the target (it only reads /proc).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "common/util.h"
#include "inspect/proc.h"

static const char threads_usage[] =
    "usage: heapspy threads [-i SECONDS] [--format text|json] PID\n"
    "  per-thread CPU time, state and name, busiest first\n"
    "  -i, --interval SECONDS  CPU share over this interval (default: over each\n"
    "                          thread's lifetime, ordered by total CPU time)\n"
    "  --format text|json      output format (default text)\n";

struct row {
  struct hs_task t;
  double user_s, sys_s, cpu_pct;
};

static int interval_mode;

static int busiest(const void *a, const void *b) {
  const struct row *x = a, *y = b;
  double kx = interval_mode ? x->cpu_pct : x->user_s + x->sys_s;
  double ky = interval_mode ? y->cpu_pct : y->user_s + y->sys_s;
  if (kx != ky) return kx < ky ? 1 : -1;
  double tx = x->user_s + x->sys_s, ty = y->user_s + y->sys_s;
  if (tx != ty) return tx < ty ? 1 : -1;
  return (x->t.tid > y->t.tid) - (x->t.tid < y->t.tid);
}

static double uptime_s(void) {
  double up = 0;
  FILE *f = fopen("/proc/uptime", "r");
  if (f) {
    if (fscanf(f, "%lf", &up) != 1) up = 0;
    fclose(f);
  }
  return up;
}

int cmd_threads(int argc, char **argv) {
  static const struct option opts[] = {
    { "interval", required_argument, 0, 'i' },
    { "format", required_argument, 0, 'f' },
    { "help", no_argument, 0, 'h' },
    { 0, 0, 0, 0 },
  };
  double interval = -1;
  const char *format = "text";
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
    switch (c) {
    case 'i': interval = hs_parse_seconds("threads", "-i", optarg); break;
    case 'f': format = optarg; break;
    case 'h': fputs(threads_usage, stdout); return 0;
    default: hs_option_error("threads", argv, "i:h", opts, threads_usage);
    }
  }
  if (strcmp(format, "text") && strcmp(format, "json"))
    hs_die(HS_EXIT_USAGE, "threads: unsupported format '%s' (supported: text, json)", format);
  if (optind != argc - 1) {
    fprintf(stderr, "heapspy: threads: expected one PID\n%s", threads_usage);
    return HS_EXIT_USAGE;
  }
  pid_t pid = hs_parse_pid("threads", argv[optind]);
  hs_proc_require("threads", pid);
  interval_mode = interval >= 0;

  long hz = hs_ticks();
  struct hs_task *t0 = NULL, *t1 = NULL;
  int n0 = 0, n1;
  double w0 = hs_now(), w1;
  if (interval_mode) {
    if ((n0 = hs_tasks_read(pid, &t0)) < 0) hs_proc_die("threads", pid, n0, "threads", 0);
    hs_sleep_until(w0 + interval);
  }
  w1 = hs_now();
  if ((n1 = hs_tasks_read(pid, &t1)) < 0)
    hs_proc_die("threads", pid, n1, "threads", interval_mode);
  double span = w1 - w0, up = uptime_s();

  struct row *rows = hs_xcalloc((size_t)n1, sizeof *rows);
  for (int i = 0; i < n1; i++) {
    struct row *r = &rows[i];
    r->t = t1[i];
    r->user_s = (double)t1[i].utime / (double)hz;
    r->sys_s = (double)t1[i].stime / (double)hz;
    uint64_t ticks = t1[i].utime + t1[i].stime;
    if (interval_mode) {
      uint64_t before = 0;
      for (int j = 0; j < n0; j++)
        if (t0[j].tid == t1[i].tid && t0[j].starttime == t1[i].starttime)
          before = t0[j].utime + t0[j].stime;
      r->cpu_pct = span > 0 ? 100.0 * (double)(ticks - before) / (double)hz / span : 0;
    } else {
      double life = up - (double)t1[i].starttime / (double)hz;
      r->cpu_pct = life > 0 ? 100.0 * (double)ticks / (double)hz / life : 0;
    }
    if (r->cpu_pct > 100.0) r->cpu_pct = 100.0;  /* tick rounding */
  }
  qsort(rows, (size_t)n1, sizeof *rows, busiest);

  char comm[64];
  hs_proc_comm(pid, comm, sizeof comm);
  if (!strcmp(format, "json")) {
    printf("{\"pid\": %d, \"command\": ", (int)pid);
    hs_json_str(stdout, comm);
    if (interval_mode) printf(", \"interval_s\": %.3f", span);
    else printf(", \"interval_s\": null");
    printf(", \"threads\": [");
    for (int i = 0; i < n1; i++) {
      struct row *r = &rows[i];
      char st[2] = { r->t.state, 0 };
      printf("%s\n  {\"tid\": %d, \"name\": ", i ? "," : "", (int)r->t.tid);
      hs_json_str(stdout, r->t.name);
      printf(", \"state\": ");
      hs_json_str(stdout, st);
      printf(", \"user_s\": %.2f, \"sys_s\": %.2f, \"cpu_pct\": %.1f}", r->user_s, r->sys_s,
             r->cpu_pct);
    }
    printf("\n]}\n");
  } else {
    if (interval_mode)
      printf("process %d (%s): %d thread%s, CPU share over the last %.2f s, busiest first\n",
             (int)pid, comm, n1, n1 == 1 ? "" : "s", span);
    else
      printf("process %d (%s): %d thread%s, CPU share over each thread's life, "
             "most CPU time first\n", (int)pid, comm, n1, n1 == 1 ? "" : "s");
    printf("%8s  %-16s %-12s %10s %10s %7s\n", "TID", "NAME", "STATE", "USER s", "SYS s", "CPU%");
    for (int i = 0; i < n1; i++) {
      struct row *r = &rows[i];
      char st[32];
      snprintf(st, sizeof st, "%c %s", r->t.state, hs_state_word(r->t.state));
      printf("%8d  %-16s %-12s %10.2f %10.2f %7.1f\n", (int)r->t.tid, r->t.name, st,
             r->user_s, r->sys_s, r->cpu_pct);
    }
  }
  free(rows);
  free(t0);
  free(t1);
  return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
