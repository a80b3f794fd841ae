/*
 * util.c: error reporting, checked allocation, number formatting and the
 * one size parser (every SIZE a command takes) for the analyzer (the CLI
 * runs outside the spied program, so the real libc is fine here).
 */
#include <ctype.h>
#include <getopt.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>

#include "common/hs_assert.h"
#include "common/util.h"

static void vmsg(const char *prefix, const char *fmt, va_list ap) {
  fflush(stdout);
  fprintf(stderr, "heapspy: %s", prefix);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
}

void hs_die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmsg("", fmt, ap);
  va_end(ap);
  exit(code);
}

int hs_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmsg("", fmt, ap);
  va_end(ap);
  return -1;
}

void hs_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmsg("warning: ", fmt, ap);
  va_end(ap);
}

void *hs_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) hs_die(1, "out of memory (%zu bytes)", n);
  return p;
}

void *hs_xcalloc(size_t n, size_t m) {
  void *p = calloc(n ? n : 1, m ? m : 1);
  if (!p) hs_die(1, "out of memory (%zu x %zu bytes)", n, m);
  return p;
}

void *hs_xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (!p) hs_die(1, "out of memory (%zu bytes)", n);
  return p;
}

char *hs_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(hs_xmalloc(n), s, n);
}

const char *hs_commas(uint64_t v, char *buf) {
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), o = 0;
  for (int i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0) buf[o++] = ',';
    buf[o++] = tmp[i];
  }
  buf[o] = 0;
  return buf;
}

const char *hs_human_bytes(double v, char *buf) {
  static const char *const unit[] = { "B", "KB", "MB", "GB", "TB" };
  int u = 0;
  double a = v < 0 ? -v : v;
  while (a >= 1024 && u < 4) { a /= 1024; v /= 1024; u++; }
  snprintf(buf, 32, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
  return buf;
}

/* libdwfl reads a relative entry as relative to each module's folder:
 * the user's relative folders are made absolute here. */
const char *hs_debuginfo_path_check(const char *cmd, const char *path) {
  if (!*path) hs_die(HS_EXIT_USAGE, "%s: --debuginfo-path needs a folder", cmd);
  size_t cap = strlen(path) + 1, len = 0;
  char *out = hs_xmalloc(cap);
  out[0] = 0;
  for (const char *p = path; *p;) {
    size_t n = strcspn(p, ":");
    char dir[PATH_MAX], abs[PATH_MAX];
    struct stat st;
    if (n && n < sizeof dir) {
      memcpy(dir, p, n);
      dir[n] = 0;
      if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || !realpath(dir, abs))
        hs_die(HS_EXIT_USAGE, "%s: --debuginfo-path %s: not a folder", cmd, dir);
      size_t an = strlen(abs);
      out = hs_xrealloc(out, cap += an + 1);
      len += (size_t)sprintf(out + len, "%s%s", len ? ":" : "", abs);
    }
    p += n + (p[n] == ':');
  }
  return out;
}

/* ---- sizes ----------------------------------------------------------- */

/* Fraction digits past this many are ignored: even in T they are worth
 * less than a millionth of a byte. */
#define SIZE_FRAC_DIGITS 18

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int hs_parse_size(const char *s, uint64_t *out, const char **end) {
  const char *p = s;
  uint64_t whole = 0, frac = 0, scale = 1;
  if (!is_digit(*p)) return -1;                  /* no sign, no space, no ".5" */
  for (; is_digit(*p); p++) {
    unsigned d = (unsigned)(*p - '0');
    if (whole > (UINT64_MAX - d) / 10) return -1;
    whole = whole * 10 + d;
  }
  if (*p == '.') {
    if (!is_digit(p[1])) return -1;              /* "1." and "1..5" */
    for (int n = 0; is_digit(*++p); n++)
      if (n < SIZE_FRAC_DIGITS) { frac = frac * 10 + (uint64_t)(*p - '0'); scale *= 10; }
  }
  static const char units[] = "KMGTkmgt";
  const char *u = *p ? strchr(units, *p) : NULL;
  unsigned shift = u ? 10 * (unsigned)((u - units) % 4 + 1) : 0;
  if (u) p++;
  if (u && p[0] == 'i' && p[1] == 'B') p += 2;  /* KiB, MiB */
  else if (*p == 'B' || *p == 'b') p++;
  if (whole > UINT64_MAX >> shift) return -1;
  /* frac / scale < 1, so the fraction's bytes are below 1 << shift */
  uint64_t fbytes = (uint64_t)(((unsigned __int128)frac << shift) / scale);
  HS_ASSERT(frac < scale && fbytes < (1ull << shift));
  if ((whole << shift) > UINT64_MAX - fbytes) return -1;
  if (end) *end = p;
  else if (*p) return -1;
  *out = (whole << shift) + fbytes;
  return 0;
}

/* "4G", "512K" or "1000": v in its largest exact unit. */
static const char *size_text(uint64_t v, char *buf) {
  static const char units[] = "TGMK";
  for (int i = 0; i < 4; i++) {
    unsigned shift = 10 * (unsigned)(4 - i);
    if (v && !(v & ((1ull << shift) - 1))) {
      snprintf(buf, 32, "%llu%c", (unsigned long long)(v >> shift), units[i]);
      return buf;
    }
  }
  snprintf(buf, 32, "%llu", (unsigned long long)v);
  return buf;
}

uint64_t hs_size_arg(const char *cmd, const char *opt, const char *arg, int positive, uint64_t below) {
  uint64_t v;
  if (hs_parse_size(arg, &v, NULL) == 0 && (v || !positive) && (!below || v < below)) return v;
  char b[32];
  hs_die(HS_EXIT_USAGE, "%s: %s expects a size%s%s%s%s (like 64K, 1.5M or 2GiB), not '%s'",
         cmd, opt, positive ? " above 0" : "", positive && below ? " and" : "",
         below ? " below " : "", below ? size_text(below, b) : "", arg);
}

/* ---- command-line numbers: strict, one clear line when wrong ---- */

unsigned long long hs_count_arg(const char *cmd, const char *opt, const char *arg,
                                unsigned long long lo, unsigned long long hi) {
  char *end = NULL;
  errno = 0;
  unsigned long long v = 0;
  if (isdigit((unsigned char)arg[0])) v = strtoull(arg, &end, 10);   /* no sign, no spaces */
  if (!end || *end || errno || v < lo || v > hi)
    hs_die(HS_EXIT_USAGE, "%s: %s expects a number from %llu to %llu, not '%s'", cmd, opt, lo, hi,
           arg);
  return v;
}

const char *hs_optional_count(int argc, char **argv, const char *given) {
  if (given) return given;
  if (optind + 1 >= argc) return NULL;
  const char *a = argv[optind];
  if (!isdigit((unsigned char)a[0]) || a[strspn(a, "0123456789")]) return NULL;
  optind++;
  return a;
}

pid_t hs_parse_pid(const char *cmd, const char *arg) {
  char *end;
  errno = 0;
  long v = strtol(arg, &end, 10);
  if (!*arg || *end || errno || v <= 0 || v > 0x3fffffff)
    hs_die(HS_EXIT_USAGE, "%s: '%s' is not a process id", cmd, arg);
  return (pid_t)v;
}

uint64_t hs_parse_addr(const char *cmd, const char *arg) {
  const char *s = arg;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 16);
  if (!*s || *end || errno || !isxdigit((unsigned char)*s))
    hs_die(HS_EXIT_USAGE, "%s: '%s' is not an address (hexadecimal, like 0x7f12a000)",
           cmd, arg);
  return v;
}

double hs_parse_seconds(const char *cmd, const char *opt, const char *arg) {
  char *end;
  errno = 0;
  double v = strtod(arg, &end);
  if (!*arg || *end || errno || !isfinite(v) || v < 0 || v > 86400)
    hs_die(HS_EXIT_USAGE, "%s: %s wants seconds (like 0.5), not '%s'", cmd, opt, arg);
  return v;
}

double hs_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
