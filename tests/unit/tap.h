/*
 * tap.h: the C unit tests' TAP helper (header only; tests/unit/test_*.c
 * include it, prove runs them): plan, ok, is_int, is_u64, is_str, skip,
 * diag and done_testing, which gives main its exit status. A failed is_*
 * prints what it got and what it expected as "#" lines, with control
 * bytes escaped so a diagnostic never breaks the TAP stream.
 *
 * Must never hide a failure: done_testing returns non-zero when any check
 * failed or when the number run differs from the plan. Never allocates,
 * never prints anywhere but stdout.
 */
#ifndef HS_TAP_H
#define HS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed, tap_planned = -1;

/* Declare how many checks follow ("1..n" first). Without a plan,
 * done_testing prints it at the end. */
static inline void plan(int n) {
  tap_planned = n;
  printf("1..%d\n", n);
  fflush(stdout);
}

static inline void tap_vline(int pass, const char *fmt, va_list ap) {
  printf("%s %d - ", pass ? "ok" : "not ok", ++tap_run);
  vprintf(fmt, ap);
  putchar('\n');
  fflush(stdout);                    /* a crash later keeps the results so far */
  if (!pass) tap_failed++;
}

/* "# " then the message, as one line. */
static inline __attribute__((format(printf, 1, 2))) void diag(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("#   ", stdout);
  vprintf(fmt, ap);
  putchar('\n');
  va_end(ap);
}

/* One check: passes when cond is true. Returns cond. */
static inline __attribute__((format(printf, 2, 3))) int ok(int cond, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tap_vline(cond, fmt, ap);
  va_end(ap);
  return cond;
}

/* Signed integers, compared exactly. */
static inline __attribute__((format(printf, 3, 4))) int is_int(long long got, long long want,
                                                               const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tap_vline(got == want, fmt, ap);
  va_end(ap);
  if (got != want) {
    diag("got:      %lld", got);
    diag("expected: %lld", want);
  }
  return got == want;
}

/* Unsigned 64-bit values (sizes, addresses), compared exactly. */
static inline __attribute__((format(printf, 3, 4))) int is_u64(unsigned long long got,
                                                               unsigned long long want,
                                                               const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tap_vline(got == want, fmt, ap);
  va_end(ap);
  if (got != want) {
    diag("got:      %llu (0x%llx)", got, got);
    diag("expected: %llu (0x%llx)", want, want);
  }
  return got == want;
}

/* A string for a diagnostic line: quoted, bytes below 0x20 or at and above
 * 0x7f as \xNN, NULL as (null). */
static inline void tap_quoted(const char *label, const char *s) {
  fputs("#   ", stdout);
  fputs(label, stdout);
  if (!s) { puts("(null)"); return; }
  putchar('\'');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x20 || *p >= 0x7f || *p == '\\') printf("\\x%02x", *p);
    else putchar(*p);
  }
  puts("'");
}

/* Strings, compared exactly; two NULLs are equal, NULL and "" are not. */
static inline __attribute__((format(printf, 3, 4))) int is_str(const char *got, const char *want,
                                                               const char *fmt, ...) {
  int pass = got == want || (got && want && strcmp(got, want) == 0);
  va_list ap;
  va_start(ap, fmt);
  tap_vline(pass, fmt, ap);
  va_end(ap);
  if (!pass) {
    tap_quoted("got:      ", got);
    tap_quoted("expected: ", want);
  }
  return pass;
}

/* A check that cannot run here, and why; counts as run, never as failed. */
static inline __attribute__((format(printf, 2, 3))) void skip(const char *why, const char *fmt,
                                                              ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("ok %d - ", ++tap_run);
  vprintf(fmt, ap);
  printf(" # SKIP %s\n", why);
  va_end(ap);
}

/* The test program's exit status: 0 when every check passed and as many
 * ran as planned (the plan is printed now if none was declared). */
static inline int done_testing(void) {
  if (tap_planned < 0) printf("1..%d\n", tap_run);
  else if (tap_run != tap_planned) {
    printf("# ran %d tests, planned %d\n", tap_run, tap_planned);
    fflush(stdout);
    return 1;
  }
  if (tap_failed) printf("# failed %d of %d\n", tap_failed, tap_run);
  fflush(stdout);
  return tap_failed != 0;
}

#endif
