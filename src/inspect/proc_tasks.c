/*
 * proc_tasks.c: the threads of a live process as /proc tells them
 * (/proc/PID/task/TID/stat): name, state, user and system CPU ticks,
 * start time, and the saved stack pointer when the kernel shows it.
 *
 * Must never: stop, signal or ptrace a thread. A thread that exits while
 * it is being read is simply left out.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "inspect/proc.h"

long hs_ticks(void) {
  static long t;
  if (!t) {
    t = sysconf(_SC_CLK_TCK);
    if (t <= 0) t = 100;
  }
  return t;
}

/* Parses the text of a stat file. Returns 0 or -EINVAL. */
static int parse_stat(char *buf, struct hs_task *t) {
  char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
  if (!lp || !rp || rp < lp || rp[1] != ' ') return -EINVAL;
  size_t nl = (size_t)(rp - lp - 1);
  if (nl >= sizeof t->name) nl = sizeof t->name - 1;
  memcpy(t->name, lp + 1, nl);
  t->name[nl] = 0;
  /* Field 3 (state) follows ") "; fields are counted from 1. */
  char *save = NULL, *tok = strtok_r(rp + 2, " ", &save);
  for (int field = 3; tok; field++, tok = strtok_r(NULL, " ", &save)) {
    unsigned long long v = strtoull(tok, NULL, 10);
    switch (field) {
    case 3: t->state = tok[0]; break;
    case 14: t->utime = v; break;
    case 15: t->stime = v; break;
    case 22: t->starttime = v; break;
    case 29: t->kstkesp = v; return 0;
    }
  }
  return t->state ? 0 : -EINVAL;
}

int hs_task_read(pid_t pid, pid_t tid, struct hs_task *t) {
  char path[96], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
  FILE *f = fopen(path, "r");
  if (!f) return errno == ENOENT ? -ESRCH : -errno;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  int rerr = ferror(f) ? errno : 0;
  fclose(f);
  if (rerr) return rerr == ESRCH ? -ESRCH : -rerr;
  if (n == 0) return -ESRCH;          /* the thread went away */
  buf[n] = 0;
  memset(t, 0, sizeof *t);
  t->tid = tid;
  return parse_stat(buf, t);
}

static int by_tid(const void *a, const void *b) {
  const struct hs_task *x = a, *y = b;
  return (x->tid > y->tid) - (x->tid < y->tid);
}

int hs_tasks_read(pid_t pid, struct hs_task **out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  *out = NULL;
  DIR *d = opendir(path);
  if (!d) return errno == ENOENT ? -ESRCH : -errno;
  size_t n = 0, cap = 16;
  struct hs_task *v = hs_xmalloc(cap * sizeof *v);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char *end;
    long tid = strtol(e->d_name, &end, 10);
    if (tid <= 0 || *end) continue;
    if (n == cap) v = hs_xrealloc(v, (cap *= 2) * sizeof *v);
    int r = hs_task_read(pid, (pid_t)tid, &v[n]);
    if (r == -ESRCH) continue;
    if (r < 0) {
      closedir(d);
      free(v);
      return r;
    }
    n++;
  }
  closedir(d);
  if (n == 0) {
    free(v);
    return -ESRCH;
  }
  qsort(v, n, sizeof *v, by_tid);
  *out = v;
  return (int)n;
}

uint64_t hs_task_sp(pid_t pid, const struct hs_task *t) {
  if (t->kstkesp) return t->kstkesp;
  char path[96], buf[512];
  snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)t->tid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char *ok = fgets(buf, sizeof buf, f);
  fclose(f);
  if (!ok) return 0;
  /* "NR ARG1..ARG6 SP PC" in a syscall, "-1 SP PC" when blocked
   * elsewhere, "running" when on a CPU (then no SP). */
  char *tok[10], *save = NULL;
  int n = 0;
  for (char *s = strtok_r(buf, " \n", &save); s && n < 10; s = strtok_r(NULL, " \n", &save))
    tok[n++] = s;
  if (n == 9) return strtoull(tok[7], NULL, 16);
  if (n == 3) return strtoull(tok[1], NULL, 16);
  return 0;
}

const char *hs_state_word(char state) {
  switch (state) {
  case 'R': return "running";
  case 'S': return "sleeping";
  case 'D': return "disk wait";
  case 'T': return "stopped";
  case 't': return "traced";
  case 'Z': return "zombie";
  case 'X': return "dead";
  case 'I': return "idle";
  case 'P': return "parked";
  case 'W': return "waking";
  default: return "?";
  }
}
