/*
 * spy_origin.c: where does a pointer that no live block holds point? For
 * --check's invalid frees: a stack, a module's globals, unmapped memory,
 * or anonymous memory; and, there, whether glibc's free would take it as
 * a chunk of its own (a block malloc made before the spy started), which
 * is then passed on rather than reported.
 *
 * Must never: allocate (it runs inside free), read outside the mapping
 * that holds the pointer, or hold maps_lock across anything but reading
 * /proc/self/maps.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "spy.h"
#include "spy_check.h"

static uint32_t maps_lock;

void spy_origin_reset_lock(void) { maps_lock = 0; }   /* fork child */

/* One line of /proc/self/maps: 1, *where and the mapping's bounds if it
 * holds a. */
static int maps_line(const char *s, uint64_t a, uint64_t sp, int *where, uint64_t bounds[2]) {
  uint64_t lo = spy_hex(&s);
  if (*s++ != '-') return 0;
  uint64_t hi = spy_hex(&s);
  if (a < lo || a >= hi) return 0;
  bounds[0] = lo, bounds[1] = hi;
  for (int field = 0; field < 4 && *s; field++) {     /* perms offset dev inode */
    while (*s == ' ') s++;
    while (*s && *s != ' ') s++;
  }
  while (*s == ' ') s++;
  if (!*s || *s == '\n') *where = sp >= lo && sp < hi ? SPY_AT_STACK : SPY_AT_HEAP;
  else if (!strncmp(s, "[stack", 6)) *where = SPY_AT_STACK;
  else if (!strncmp(s, "[heap]", 6)) *where = SPY_AT_HEAP;
  else *where = SPY_AT_MODULE;
  return 1;
}

int spy_pointer_origin(uint64_t a, uint64_t bounds[2]) {
  uint64_t sp = (uint64_t)(uintptr_t)__builtin_frame_address(0);
  static char buf[8192];
  int where = SPY_AT_UNMAPPED, fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return SPY_AT_HEAP;                          /* cannot tell: trust it */
  spy_lock(&maps_lock);
  size_t have = 0;
  for (int found = 0; !found;) {
    ssize_t r = read(fd, buf + have, sizeof buf - 1 - have);
    if (r <= 0) break;
    have += (size_t)r;
    buf[have] = 0;
    char *line = buf, *nl;
    while (!found && (nl = strchr(line, '\n'))) {
      *nl = 0;
      found = maps_line(line, a, sp, &where, bounds);
      line = nl + 1;
    }
    have -= (size_t)(line - buf);
    memmove(buf, line, have);
  }
  spy_unlock(&maps_lock);
  close(fd);
  return where;
}

/* Does user, in the anonymous mapping [lo,hi), carry a header glibc's free
 * would accept (a block glibc made without us, e.g. before the spy's
 * start)? Mirrors free's own sanity checks: alignment, a sane size, an
 * mmap'd chunk that is whole pages, or an arena chunk whose successor
 * lies in the mapping and marks it in use. Reads only [lo,hi). */
int spy_glibc_chunk(uint64_t user, uint64_t lo, uint64_t hi) {
  if (user & 15 || user < lo + 16) return 0;
  const uint64_t *h = (const uint64_t *)(uintptr_t)user;
  uint64_t size = h[-1] & ~(uint64_t)7, chunk = user - 16;
  if (size < 32 || size & 15 || size > hi - chunk) return 0;
  if (h[-1] & 2) {                                     /* IS_MMAPPED */
    uint64_t pre = h[-2];
    return pre <= chunk - lo && !((chunk - pre) & 4095) && !((pre + size) & 4095);
  }
  if (size + 16 > hi - chunk) return 0;
  return *(const uint64_t *)(uintptr_t)(chunk + size + 8) & 1;   /* next's PREV_INUSE */
}
