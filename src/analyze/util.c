/*
 * util.c: error reporting and checked allocation for the analyzer (the
 * CLI runs outside the spied program, so the real libc is fine here).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
