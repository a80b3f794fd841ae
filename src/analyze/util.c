/*
 * util.c: error reporting and checked allocation for the analyzer (the
 * CLI runs outside the spied program, so the real libc is fine here).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>

#include "util.h"

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
