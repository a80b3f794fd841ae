/*
 * spy_util.c: the spy's own tiny libc: a printf-like formatter that never
 * allocates and is async-signal-safe, one-line warnings on stderr, and the
 * spy's lock. Used where the real libc is intercepted or unsafe (inside
 * malloc, in signal handlers, at exit).
 *
 * Must never: allocate, take libc locks, touch stdio or errno-visible state
 * beyond write(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spy.h"

size_t spy_strlcpy(char *dst, const char *src, size_t cap) {
  size_t n = 0;
  if (cap == 0) return 0;
  while (src[n] && n + 1 < cap) { dst[n] = src[n]; n++; }
  dst[n] = 0;
  return n;
}

struct out { char *buf; size_t cap, len; };

static void put(struct out *o, char c) {
  if (o->len + 1 < o->cap) o->buf[o->len] = c;
  o->len++;
}

static void put_num(struct out *o, unsigned long long v, unsigned base,
                    int neg, int width, char pad) {
  char tmp[24];
  int n = 0;
  do { tmp[n++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
  if (neg) tmp[n++] = '-';
  while (n < width--) put(o, pad);
  while (n) put(o, tmp[--n]);
}

/* Supports %s %c %d %i %u %x %p %% with l/ll/z modifiers, a width and
 * '0' padding. Anything else is printed literally. */
static size_t spy_vfmt(char *buf, size_t cap, const char *fmt, va_list ap) {
  struct out o = { buf, cap, 0 };
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') { put(&o, *f); continue; }
    f++;
    char pad = ' ';
    int width = 0, lng = 0;
    if (*f == '0') { pad = '0'; f++; }
    while (*f >= '0' && *f <= '9') width = width * 10 + (*f++ - '0');
    while (*f == 'l' || *f == 'z') { lng++; f++; }
    switch (*f) {
    case 's': {
      const char *s = va_arg(ap, const char *);
      if (!s) s = "(null)";
      while (*s) put(&o, *s++);
      break;
    }
    case 'c': put(&o, (char)va_arg(ap, int)); break;
    case 'd': case 'i': {
      long long v = lng ? va_arg(ap, long long) : va_arg(ap, int);
      put_num(&o, v < 0 ? -(unsigned long long)v : (unsigned long long)v, 10,
              v < 0, width, pad);
      break;
    }
    case 'u': case 'x': {
      unsigned long long v = lng ? va_arg(ap, unsigned long long)
                                 : va_arg(ap, unsigned);
      put_num(&o, v, *f == 'u' ? 10 : 16, 0, width, pad);
      break;
    }
    case 'p':
      put(&o, '0'); put(&o, 'x');
      put_num(&o, (unsigned long long)(uintptr_t)va_arg(ap, void *), 16, 0, 0, ' ');
      break;
    case '%': put(&o, '%'); break;
    case 0: f--; break;
    default: put(&o, '%'); put(&o, *f);
    }
  }
  if (cap) buf[o.len < cap ? o.len : cap - 1] = 0;
  return o.len < cap ? o.len : (cap ? cap - 1 : 0);
}

size_t spy_fmt(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t n = spy_vfmt(buf, cap, fmt, ap);
  va_end(ap);
  return n;
}

int spy_silent;

void spy_warn(const char *fmt, ...) {
  if (spy_silent) return;
  char line[512];
  int saved = errno;
  size_t n = spy_fmt(line, sizeof line, "heapspy: warning: ");
  va_list ap;
  va_start(ap, fmt);
  n += spy_vfmt(line + n, sizeof line - n - 1, fmt, ap);
  va_end(ap);
  line[n++] = '\n';
  for (size_t off = 0; off < n;) {
    ssize_t w = write(2, line + off, n - off);
    if (w <= 0) { if (w < 0 && errno == EINTR) continue; break; }
    off += (size_t)w;
  }
  errno = saved;
}

/* A broken invariant (spy_assert.h): one line, then SIGABRT, whose
 * handler (spy_crash.c) still writes the profile's exit state. */
void spy_assert_fail(const char *file, int line, const char *cond) {
  char msg[512];
  size_t n = spy_fmt(msg, sizeof msg - 1, "heapspy: internal error: %s:%d: assertion '%s' failed",
                     file, line, cond);
  msg[n++] = '\n';
  for (size_t off = 0; off < n;) {
    ssize_t w = write(2, msg + off, n - off);
    if (w <= 0) { if (w < 0 && errno == EINTR) continue; break; }
    off += (size_t)w;
  }
  abort();
}

void spy_lock_slow(uint32_t *l) {
  for (unsigned spins = 0;; spins++) {
    if (!__atomic_load_n(l, __ATOMIC_RELAXED) &&
        !__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
      return;
    if (spins < 64) __builtin_ia32_pause();
    else sched_yield();
  }
}

struct task_dirent {                   /* linux_dirent64 */
  uint64_t ino;
  int64_t off;
  unsigned short reclen;
  unsigned char type;
  char name[];
};

unsigned spy_for_each_task(void (*fn)(int tid, void *ctx), void *ctx) {
  int dir = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return 0;
  unsigned n = 0;
  char buf[4096];
  long got;
  while ((got = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
    for (long off = 0; off < got;) {
      const struct task_dirent *d = (const struct task_dirent *)(buf + off);
      off += d->reclen;
      int tid = 0;
      for (const char *c = d->name; *c >= '0' && *c <= '9'; c++) tid = tid * 10 + (*c - '0');
      if (tid <= 0) continue;
      n++;
      if (fn) fn(tid, ctx);
    }
  }
  close(dir);
  return n;
}

/* Lower-case hex digits at *s (as in /proc/self/maps), advancing *s past them. */
uint64_t spy_hex(const char **s) {
  uint64_t v = 0;
  for (;; (*s)++) {
    char c = **s;
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return v;
    v = v << 4 | (uint64_t)d;
  }
}

/* gdb's gcore wrote every byte of such a reservation as zeros: 64 GiB
 * for the profile's, 256 GiB for --trace's. The kernel's own dump skips
 * pages never touched, gdb's does not. */
void *spy_reserve(uint64_t size) {
  void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) return NULL;
  madvise(p, size, MADV_DONTDUMP);
  return p;
}
