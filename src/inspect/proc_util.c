/*
 * proc_util.c: argument parsing and the one-line errors shared by the
 * inspection commands (no such process, permission denied naming the
 * ptrace_scope setting, gone mid-way), plus small output helpers.
 *
 * Must never: touch the target beyond reading /proc, or print more than
 * one line for an error.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "inspect/proc.h"

/* State letter of /proc/PID/stat, or 0 if unreadable. */
static char proc_state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *rp = strrchr(buf, ')');
  return rp && rp[1] == ' ' ? rp[2] : 0;
}

int hs_proc_stopped(pid_t pid) {
  char st = proc_state(pid);
  return st == 'T' || st == 't';
}

int hs_proc_alive(pid_t pid) {
  char st = proc_state(pid);
  return st && st != 'Z' && st != 'X';
}

void hs_proc_require(const char *cmd, pid_t pid) {
  char st = proc_state(pid);
  if (!st) hs_die(1, "%s: no such process %d", cmd, (int)pid);
  if (st == 'Z' || st == 'X')
    hs_die(1, "%s: process %d has exited (a zombie, not yet reaped by its parent)",
           cmd, (int)pid);
}

const char *hs_ptrace_scope_note(char *buf, size_t len) {
  FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
  int v = -1;
  if (f) {
    if (fscanf(f, "%d", &v) != 1) v = -1;
    fclose(f);
  }
  static const char *const meaning[] = {
    "processes of the same user may be traced",
    "only descendants may be traced; run as root or set it to 0",
    "only root may trace",
    "no process may be traced",
  };
  if (v < 0)
    snprintf(buf, len, "no /proc/sys/kernel/yama/ptrace_scope on this system");
  else
    snprintf(buf, len, "/proc/sys/kernel/yama/ptrace_scope is %d: %s", v,
             v <= 3 ? meaning[v] : "unknown setting");
  return buf;
}

/* "it belongs to root, you are nobody; " when the owners differ. */
static const char *owner_note(pid_t pid, char *buf, size_t len) {
  char path[64];
  struct stat st;
  buf[0] = 0;
  snprintf(path, sizeof path, "/proc/%d", (int)pid);
  uid_t me = geteuid();
  if (me == 0 || stat(path, &st) != 0 || st.st_uid == me) return buf;
  struct passwd *pw = getpwuid(st.st_uid);
  char them[64];
  if (pw) snprintf(them, sizeof them, "%s", pw->pw_name);
  else snprintf(them, sizeof them, "uid %u", (unsigned)st.st_uid);
  pw = getpwuid(me);
  if (pw) snprintf(buf, len, "it belongs to %s, you are %s; ", them, pw->pw_name);
  else snprintf(buf, len, "it belongs to %s, you are uid %u; ", them, (unsigned)me);
  return buf;
}

const char *hs_permission_note(pid_t pid, char *buf, size_t len) {
  char owner[160], scope[200];
  snprintf(buf, len, "%s%s", owner_note(pid, owner, sizeof owner),
           hs_ptrace_scope_note(scope, sizeof scope));
  return buf;
}

void hs_proc_die(const char *cmd, pid_t pid, int err, const char *what,
                 int started) {
  char note[400];
  if (err < 0) err = -err;
  if ((err == ESRCH || err == ENOENT) && !hs_proc_alive(pid)) {
    if (started) hs_die(1, "%s: process %d exited while it was being read", cmd, (int)pid);
    hs_die(1, "%s: no such process %d", cmd, (int)pid);
  }
  if (err == EPERM || err == EACCES)
    hs_die(1, "%s: permission denied reading %s of process %d (%s)", cmd, what,
           (int)pid, hs_permission_note(pid, note, sizeof note));
  hs_die(1, "%s: cannot read %s of process %d: %s", cmd, what, (int)pid, strerror(err));
}

const char *hs_proc_comm(pid_t pid, char *buf, size_t len) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
  FILE *f = fopen(path, "r");
  snprintf(buf, len, "?");
  if (f) {
    if (fgets(buf, (int)len, f)) buf[strcspn(buf, "\n")] = 0;
    fclose(f);
  }
  return buf;
}

void hs_sleep_until(double t) {
  for (;;) {
    double left = t - hs_now();
    if (left <= 0) return;
    struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
    nanosleep(&ts, NULL);
  }
}

const char *hs_kib(uint64_t bytes, char *buf) {
  return hs_commas((bytes + 1023) / 1024, buf);
}

int hs_wait_stop(pid_t tid, double deadline, int *sig) {
  *sig = 0;
  struct timespec nap = { 0, 20000 };     /* the thread is stopped meanwhile */
  for (;;) {
    int st;
    pid_t r = waitpid(tid, &st, __WALL | WNOHANG);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -ESRCH;
    }
    if (r == 0) {
      if (hs_now() > deadline) return -ETIMEDOUT;
      nanosleep(&nap, NULL);
      continue;
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) return -ESRCH;
    if (!WIFSTOPPED(st)) continue;
    if ((st >> 16) == 0 && WSTOPSIG(st) != SIGTRAP) *sig = WSTOPSIG(st);
    return 0;
  }
}
