/*
 * target_stop.c: holding every thread of a live process stopped while its
 * heap is read, and letting all of them go on every path.
 *
 * Each thread is seized (PTRACE_SEIZE: no SIGSTOP is sent, nothing is left
 * pending) and interrupted (PTRACE_INTERRUPT); threads created while we
 * stop the others are found by listing /proc/PID/task again until no new
 * one appears. Their registers are copied while stopped.
 *
 * Never leaving the target stopped:
 *  - hs_target_resume detaches every thread; the commands call it on
 *    every path (errors included, hs_die is never called while stopped).
 *  - SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE arriving while stopped
 *    run a handler that detaches every stopped thread (ptrace is
 *    async-signal-safe: a system call) and then dies of the same signal.
 *  - If heapspy is killed with SIGKILL (or crashes), the kernel detaches
 *    every tracee when the tracer exits (exit_ptrace): a seized thread
 *    then runs on; there is no stop signal left pending.
 *  - HEAPSPY_TEST_HOLD_MS (tests only): sleep that long once stopped, so
 *    a test can interrupt or kill heapspy while it holds the target.
 *
 * Must never: stop a thread it cannot account for, or return with a
 * thread stopped and no record of it.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "inspect/proc.h"
#include "inspect/target.h"

#define MAX_THREADS 65536
#define STOP_TIMEOUT_S 2.0

/* The seized threads, for the signal handler: written only with the
 * signals blocked, read by the handler. */
static pid_t *g_seized;
static int *g_sig;                /* a signal to hand back on detach */
static volatile sig_atomic_t g_nseized;
static struct sigaction g_old[32];
static const int g_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
#define NSIGS (sizeof g_sigs / sizeof *g_sigs)
static int g_installed;
static double g_t0;

static void on_signal(int sig) {
  for (sig_atomic_t i = 0; i < g_nseized; i++)
    ptrace(PTRACE_DETACH, g_seized[i], NULL, (void *)(intptr_t)g_sig[i]);
  g_nseized = 0;
  signal(sig, SIG_DFL);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigprocmask(SIG_UNBLOCK, &s, NULL);
  raise(sig);
  _exit(128 + sig);
}

/* Blocks our signals, the previous mask into *old. */
static void block(sigset_t *old) {
  sigset_t s;
  sigemptyset(&s);
  for (size_t i = 0; i < NSIGS; i++) sigaddset(&s, g_sigs[i]);
  sigprocmask(SIG_BLOCK, &s, old);
}

static void restore(const sigset_t *old) {
  sigprocmask(SIG_SETMASK, old, NULL);
}

static void install(void) {
  if (g_installed) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigfillset(&sa.sa_mask);
  for (size_t i = 0; i < NSIGS; i++) {
    sigaction(g_sigs[i], NULL, &g_old[i]);
    /* a signal the caller ignored (a background job's SIGINT) stays ignored */
    if (g_old[i].sa_handler == SIG_IGN) continue;
    sigaction(g_sigs[i], &sa, NULL);
  }
  g_installed = 1;
}

static void uninstall(void) {
  if (!g_installed) return;
  for (size_t i = 0; i < NSIGS; i++) sigaction(g_sigs[i], &g_old[i], NULL);
  g_installed = 0;
}

static int seized(pid_t tid) {
  for (sig_atomic_t i = 0; i < g_nseized; i++)
    if (g_seized[i] == tid) return 1;
  return 0;
}

/* The tids of pid now; count or -errno. */
static int list_tasks(pid_t pid, pid_t *out, int max) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *d = opendir(path);
  if (!d) return errno == ENOENT ? -ESRCH : -errno;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < max) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    out[n++] = (pid_t)atoi(e->d_name);
  }
  closedir(d);
  return n;
}

int hs_target_list_threads(struct hs_target *t) {
  pid_t *tids = hs_xmalloc(MAX_THREADS * sizeof *tids);
  int n = list_tasks(t->pid, tids, MAX_THREADS);
  if (n < 0) {
    free(tids);
    return n;
  }
  free(t->threads);
  t->threads = hs_xcalloc((size_t)n + 1, sizeof *t->threads);
  t->nthreads = 0;
  for (int i = 0; i < n; i++) t->threads[t->nthreads++].tid = tids[i];
  free(tids);
  return 0;
}

int hs_target_stop(struct hs_target *t) {
  if (!g_seized) {
    g_seized = hs_xmalloc(MAX_THREADS * sizeof *g_seized);
    g_sig = hs_xcalloc(MAX_THREADS, sizeof *g_sig);
  }
  pid_t *tids = hs_xmalloc(MAX_THREADS * sizeof *tids);
  int err = 0;
  sigset_t old;
  block(&old);
  install();
  g_t0 = hs_now();
  g_nseized = 0;
  double deadline = hs_now() + STOP_TIMEOUT_S;
  for (int round = 0; round < 100; round++) {
    int n = list_tasks(t->pid, tids, MAX_THREADS);
    if (n < 0) {
      err = n;
      break;
    }
    int fresh = 0;
    for (int i = 0; i < n; i++) {
      if (seized(tids[i])) continue;
      if (ptrace(PTRACE_SEIZE, tids[i], NULL, NULL) != 0) {
        if (errno == ESRCH) continue;               /* exited meanwhile */
        err = -errno;
        break;
      }
      g_seized[g_nseized] = tids[i];
      g_sig[g_nseized] = 0;
      g_nseized = g_nseized + 1;
      fresh++;
      if (ptrace(PTRACE_INTERRUPT, tids[i], NULL, NULL) != 0 && errno != ESRCH) {
        err = -errno;
        break;
      }
    }
    if (err || !fresh) break;
  }
  free(tids);
  /* Wait for every stop; a thread gone meanwhile is dropped. */
  if (!err) {
    sig_atomic_t w = 0;
    for (sig_atomic_t i = 0; i < g_nseized; i++) {
      int sig, r = hs_wait_stop(g_seized[i], deadline, &sig);
      if (r == -ESRCH) continue;
      g_sig[w] = sig;
      g_seized[w++] = g_seized[i];
      if (r) {
        err = r;
        g_nseized = w;
        break;
      }
    }
    if (!err) g_nseized = w;
  }
  if (!err && g_nseized == 0) err = -ESRCH;
  if (err) {
    restore(&old);
    hs_target_resume(t);
    return err;
  }
  free(t->threads);
  t->threads = hs_xcalloc((size_t)g_nseized, sizeof *t->threads);
  t->nthreads = 0;
  for (sig_atomic_t i = 0; i < g_nseized; i++) {
    struct hs_tthread *th = &t->threads[t->nthreads++];
    th->tid = g_seized[i];
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, th->tid, NULL, &r) == 0) {
      memcpy(th->regs, &r, sizeof th->regs < sizeof r ? sizeof th->regs : sizeof r);
      th->have_regs = 1;
    }
  }
  restore(&old);   /* from here on a signal runs on_signal */
  const char *hold = getenv("HEAPSPY_TEST_HOLD_MS");
  if (hold && *hold) {
    double until = hs_now() + atof(hold) / 1000.0;
    while (hs_now() < until) {
      struct timespec nap = { 0, 10000000 };
      nanosleep(&nap, NULL);
    }
  }
  return 0;
}

double hs_target_resume(struct hs_target *t) {
  sigset_t old;
  block(&old);
  for (sig_atomic_t i = 0; i < g_nseized; i++)
    ptrace(PTRACE_DETACH, g_seized[i], NULL, (void *)(intptr_t)g_sig[i]);
  g_nseized = 0;
  uninstall();
  restore(&old);
  double ms = g_t0 ? (hs_now() - g_t0) * 1000.0 : 0;
  g_t0 = 0;
  return ms;
}
