/*
 * test_size.c: hs_parse_size (src/common/util.c), the one SIZE grammar
 * of every heapspy option that takes a size. Checks exact bytes for each
 * spelling (fractions, units in either case, B, b, iB), the largest size
 * that fits in 64 bits and the first that does not, what the end pointer
 * leaves for the caller ("/s" of a growth rate), and that malformed
 * sizes are refused. Then hs_size_arg, the options' front end: a good
 * size returned, a bad, zero or too large one ends a child process with
 * exit 125 and the exact one-line message. Prints TAP.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "tap.h"

/* Each helper is one check: the exact rc and value, with both printed on
 * failure. */
static void size_is(const char *s, uint64_t want) {
  uint64_t v = 12345;
  int rc = hs_parse_size(s, &v, NULL);
  if (!ok(rc == 0 && v == want, "'%s' is %" PRIu64 " bytes", s, want))
    diag("got rc %d, %" PRIu64, rc, v);
}

static void refused(const char *s) {
  uint64_t v = 12345;
  int rc = hs_parse_size(s, &v, NULL);
  if (!ok(rc < 0 && v == 12345, "'%s' is refused, *out untouched", s))
    diag("got rc %d, %" PRIu64, rc, v);
}

static void prefix_is(const char *s, uint64_t want, const char *rest) {
  uint64_t v = 0;
  const char *end = NULL;
  int rc = hs_parse_size(s, &v, &end);
  if (!ok(rc == 0 && v == want && end && !strcmp(end, rest), "'%s' is %" PRIu64 " bytes, then '%s'",
          s, want, rest))
    diag("got rc %d, %" PRIu64 ", '%s'", rc, v, end ? end : "(null)");
}

/* hs_size_arg in a child: its exit status (or 0 if it returned v), its
 * stderr into msg. */
static int size_arg_child(const char *opt, const char *arg, int positive, uint64_t below,
                          uint64_t *v, char *msg, size_t cap) {
  int fds[2];
  if (pipe(fds)) { perror("pipe"); _exit(1); }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    uint64_t got = hs_size_arg("run", opt, arg, positive, below);
    if (write(fds[1], &got, sizeof got) != sizeof got) _exit(2);
    _exit(0);
  }
  close(fds[1]);
  size_t n = 0;
  ssize_t r;
  while (n + 1 < cap && (r = read(fds[0], msg + n, cap - 1 - n)) > 0) n += (size_t)r;
  msg[n] = 0;
  close(fds[0]);
  int st;
  waitpid(pid, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == sizeof *v) {
    memcpy(v, msg, sizeof *v);
    msg[0] = 0;
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void arg_is(const char *arg, int positive, uint64_t below, uint64_t want) {
  char msg[512];
  uint64_t v = 0;
  int rc = size_arg_child("--quarantine", arg, positive, below, &v, msg, sizeof msg);
  if (!ok(rc == 0 && v == want, "hs_size_arg '%s' is %" PRIu64, arg, want))
    diag("got exit %d, %" PRIu64 ", '%s'", rc, v, msg);
}

static void arg_refused(const char *arg, int positive, uint64_t below, const char *want) {
  char msg[512];
  uint64_t v = 0;
  int rc = size_arg_child("--quarantine", arg, positive, below, &v, msg, sizeof msg);
  is_int(rc, HS_EXIT_USAGE, "hs_size_arg '%s' exits with a usage error", arg);
  is_str(msg, want, "... saying so in one line");
}

int main(void) {
  size_is("0", 0);
  size_is("4096", 4096);
  size_is("64K", 65536);
  size_is("64k", 65536);
  size_is("1.5M", 1572864);
  size_is("1.5k", 1536);
  size_is("10mb", 10485760);
  size_is("10MB", 10485760);
  size_is("2KiB", 2048);
  size_is("3GiB", 3221225472u);
  size_is("1g", 1073741824);
  size_is("1T", 1099511627776u);
  size_is("2t", 2199023255552u);
  size_is("100B", 100);
  size_is("100b", 100);
  size_is("0.1K", 102);                       /* 102.4: rounded down */
  size_is("0.046875K", 48);
  size_is("1.000", 1);
  size_is("007K", 7168);
  size_is("18446744073709551615", UINT64_MAX);
  size_is("16777215T", UINT64_MAX - ((1ull << 40) - 1));
  size_is("16777215.999999999999999999T", UINT64_MAX);  /* 18 fraction digits */
  refused("18446744073709551616");
  refused("99999999999999999999");
  refused("16777216T");
  refused("17179869184G");
  refused("");
  refused("-1");
  refused("+1");
  refused(" 1");
  refused("1 ");
  refused("1 K");
  refused("1Q");
  refused("1..5M");
  refused("1.");
  refused(".5");
  refused("1.5.2");
  refused("1e3");
  refused("0x10");
  refused("inf");
  refused("nan");
  refused("1iB");
  refused("1Ki");
  refused("1Kib");
  refused("1KBB");
  refused("1MK");
  prefix_is("10M/s", 10485760, "/s");
  prefix_is("10MiB/s", 10485760, "/s");
  prefix_is("1.5kb/s", 1536, "/s");
  prefix_is("512", 512, "");
  refused("12x");
  refused("12X");
  refused("K");
  refused("12 ");
  size_is("1.5", 1);                          /* bytes round down too */
  size_is("1.999B", 1);
  prefix_is("12x", 12, "x");                  /* with end, the caller judges the rest */

  arg_is("16M", 0, 0, 16777216);
  arg_is("0", 0, 0, 0);
  arg_is("4095M", 1, 4ull << 30, 4095ull << 20);
  arg_refused("12x", 0, 0,
              "heapspy: run: --quarantine expects a size (like 64K, 1.5M or 2GiB), not '12x'\n");
  arg_refused("0", 1, 0,
              "heapspy: run: --quarantine expects a size above 0 (like 64K, 1.5M or 2GiB), "
              "not '0'\n");
  arg_refused("4G", 1, 4ull << 30,
              "heapspy: run: --quarantine expects a size above 0 and below 4G (like 64K, 1.5M "
              "or 2GiB), not '4G'\n");
  arg_refused("1000", 0, 1000,
              "heapspy: run: --quarantine expects a size below 1000 (like 64K, 1.5M or 2GiB), "
              "not '1000'\n");
  arg_refused("", 0, 0,
              "heapspy: run: --quarantine expects a size (like 64K, 1.5M or 2GiB), not ''\n");
  return done_testing();
}
