/*
 * inject_call.c: one call into a running process at a safe point: stop
 * every thread (target_stop.c), find one that may be borrowed (a thread
 * blocked in a system call first: it was idle anyway), set its frame up
 * (inject_frame.c), let every thread go. No safe thread: let go, wait a
 * few milliseconds, try again, until the deadline.
 *
 * Must never: keep the threads stopped while waiting between tries, or
 * return with one stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "inject/inject_internal.h"
#include "inspect/proc.h"
#include "inspect/target.h"

#define RETRY_NS (5 * 1000 * 1000)

static enum hs_inject_status stop_error(pid_t pid, int e, char *err, size_t errlen) {
  if (e == -ESRCH) return snprintf(err, errlen, "no such process %ld", (long)pid), HS_INJECT_NO_PROCESS;
  if (e == -EPERM || e == -EACCES) {
    char note[512];
    snprintf(err, errlen, "not permitted to attach to process %ld: %s", (long)pid,
             hs_permission_note(pid, note, sizeof note));
    return HS_INJECT_NOT_PERMITTED;
  }
  snprintf(err, errlen, "cannot stop process %ld: %s", (long)pid, strerror(-e));
  return HS_INJECT_FAILED;
}

/* The thread to borrow among the stopped ones, or -1; *why: why the last
 * one looked at could not be. Threads in a system call are tried first. */
static int pick(struct hs_target *t, struct hs_unwinder *u, const struct hs_inject_libc *l,
                const char **why) {
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < t->nthreads; i++) {
      const struct hs_tthread *th = &t->threads[i];
      int in_syscall = (int64_t)th->regs[15] >= 0;      /* orig_rax */
      if (!th->have_regs || in_syscall != !pass) continue;
      const char *w = hs_inject_unsafe(u, l, th->tid, th->regs);
      if (!w) return (int)i;
      *why = w;
    }
  return -1;
}

enum hs_inject_status hs_inject_call(pid_t pid, const struct hs_inject_libc *l, uint64_t fn,
                                     const char *arg, uint64_t arg2, double timeout,
                                     hs_inject_stopped_fn *stopped, void *ctx,
                                     struct hs_inject_stats *stats, char *err, size_t errlen) {
  memset(stats, 0, sizeof *stats);
  struct hs_target t;
  int e = hs_target_open_live(&t, pid);
  if (e < 0) return stop_error(pid, e, err, errlen);
  struct hs_unwinder *u = hs_unwind_open(pid, &e);
  if (!u) {
    hs_target_close(&t);
    return stop_error(pid, e, err, errlen);
  }
  enum hs_inject_status st = HS_INJECT_NO_SAFE_POINT;
  const char *why = "no thread could be examined";
  double deadline = hs_now() + timeout;
  for (;;) {
    stats->tries++;
    hs_target_reload_maps(&t);           /* stacks of threads started meanwhile */
    if ((e = hs_target_stop(&t)) < 0) {
      st = stop_error(pid, e, err, errlen);
      break;
    }
    int i = pick(&t, u, l, &why);
    int done = 0;
    if (i >= 0) {
      const struct hs_tthread *th = &t.threads[i];
      const struct hs_tmap *stack = hs_target_map(&t, th->regs[HS_REG_RSP]);
      done = stack && hs_inject_frame(pid, th->tid, stack->start, fn, l->restore_rt, arg, arg2,
                                      err, errlen) == 0 ? 1 : -1;
      if (!stack) snprintf(err, errlen, "thread %d's stack is not mapped", (int)th->tid);
      if (done > 0 && stopped) stopped(&t, ctx);
    }
    stats->stopped_ms += hs_target_resume(&t);
    if (done) {
      st = done > 0 ? HS_INJECT_OK : HS_INJECT_FAILED;
      break;
    }
    if (hs_now() + RETRY_NS / 1e9 > deadline) {
      snprintf(err, errlen, "no safe point in process %ld within %.1f s: every thread stayed "
                            "busy (last seen: %s); nothing was changed, try again",
               (long)pid, timeout, why);
      break;
    }
    struct timespec nap = { 0, RETRY_NS };
    nanosleep(&nap, NULL);
  }
  hs_unwind_close(u);
  hs_target_close(&t);
  return st;
}
