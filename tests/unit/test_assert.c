/*
 * test_assert.c: the invariant checks themselves, src/common/hs_assert.h
 * (the CLI's) and src/spy/spy_assert.h (the spy's, failing through
 * spy_util.c's spy_assert_fail). A failed check, run in a child, must
 * die of SIGABRT after exactly one line naming file, line and condition;
 * a passing one must do nothing. The debug
 * level follows the build: with -DHS_DEBUG=1 (make check-debug) the
 * DEBUG_ASSERTs run and ALWAYS/NEVER assert, otherwise the DEBUG_ASSERTs'
 * conditions are not even evaluated and ALWAYS/NEVER are their condition.
 * Prints TAP.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/hs_assert.h"
#include "spy/spy.h"
#include "tap.h"

/* Runs fn in a child with stderr into a pipe; returns its wait status. */
static int in_child(void (*fn)(void), char *err, size_t cap) {
  int fds[2];
  if (pipe(fds)) { perror("pipe"); _exit(1); }
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    fn();
    _exit(0);
  }
  close(fds[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < cap && (r = read(fds[0], err + n, cap - 1 - n)) > 0) n += (size_t)r;
  err[n] = 0;
  close(fds[0]);
  int st;
  waitpid(pid, &st, 0);
  return st;
}

static int counter;
static int bump(void) { return ++counter; }

/* (each on one line: the enum is the check's line) */
static void cli_fails(void) { HS_ASSERT(1 + 1 == 3); } enum { CLI_FAILS_LINE = __LINE__ };
static void spy_fails(void) { SPY_ASSERT(2 * 2 == 5); } enum { SPY_FAILS_LINE = __LINE__ };
static void both_pass(void) {
  HS_ASSERT(1 + 1 == 2);
  SPY_ASSERT(2 * 2 == 4);
}
static void cli_debug_fails(void) { HS_DEBUG_ASSERT(0 > 1); }
static void spy_debug_fails(void) { SPY_DEBUG_ASSERT(0 > 1); }
static void cli_never_fails(void) { if (HS_NEVER(1)) _exit(3); }
static void spy_always_fails(void) { if (!SPY_ALWAYS(0)) _exit(3); }

static void died_of_abort(int st, const char *err, const char *want, const char *what) {
  ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "%s: the process dies of SIGABRT", what);
  is_str(err, want, "%s: one line, file, line and condition", what);
}

int main(void) {
  char err[1024], want[1024];
  int st;

  st = in_child(both_pass, err, sizeof err);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !err[0], "passing checks do nothing, print nothing");

  st = in_child(cli_fails, err, sizeof err);
  snprintf(want, sizeof want,
           "heapspy: internal error: tests/unit/test_assert.c:%d: cli_fails: assertion "
           "'1 + 1 == 3' failed\n", CLI_FAILS_LINE);
  died_of_abort(st, err, want, "HS_ASSERT");

  st = in_child(spy_fails, err, sizeof err);
  snprintf(want, sizeof want,
           "heapspy: internal error: tests/unit/test_assert.c:%d: assertion '2 * 2 == 5' "
           "failed\n", SPY_FAILS_LINE);
  died_of_abort(st, err, want, "SPY_ASSERT");

  counter = 0;
  HS_DEBUG_ASSERT(bump() == 1);
  SPY_DEBUG_ASSERT(bump() >= 1);
#if defined(HS_DEBUG) && HS_DEBUG
  is_int(counter, 2, "debug build: the DEBUG_ASSERTs' conditions run");
  st = in_child(cli_debug_fails, err, sizeof err);
  ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(err, "assertion '0 > 1' failed"),
     "debug build: a failing HS_DEBUG_ASSERT aborts");
  st = in_child(spy_debug_fails, err, sizeof err);
  ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(err, "assertion '0 > 1' failed"),
     "debug build: a failing SPY_DEBUG_ASSERT aborts");
  st = in_child(cli_never_fails, err, sizeof err);
  ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(err, "assertion '1' failed"),
     "debug build: HS_NEVER of a true condition aborts");
  st = in_child(spy_always_fails, err, sizeof err);
  ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT && strstr(err, "assertion '0' failed"),
     "debug build: SPY_ALWAYS of a false condition aborts");
  is_int(HS_ALWAYS(7 > 3), 1, "debug build: HS_ALWAYS of a true condition is 1");
  is_int(SPY_NEVER(7 < 3), 0, "debug build: SPY_NEVER of a false condition is 0");
#else
  is_int(counter, 0, "normal build: the DEBUG_ASSERTs' conditions are not evaluated");
  st = in_child(cli_debug_fails, err, sizeof err);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !err[0], "normal build: HS_DEBUG_ASSERT(0 > 1) is off");
  st = in_child(spy_debug_fails, err, sizeof err);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !err[0], "normal build: SPY_DEBUG_ASSERT(0 > 1) is off");
  st = in_child(cli_never_fails, err, sizeof err);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "normal build: HS_NEVER(1) is true, the branch runs");
  st = in_child(spy_always_fails, err, sizeof err);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 3, "normal build: SPY_ALWAYS(0) is false, the branch runs");
  is_int(HS_ALWAYS(7 > 3), 1, "normal build: HS_ALWAYS(7 > 3) is 1");
  is_int(SPY_NEVER(7 < 3), 0, "normal build: SPY_NEVER(7 < 3) is 0");
#endif
  return done_testing();
}
