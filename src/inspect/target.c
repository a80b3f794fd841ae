/*
 * target.c: target memory of a live process (see target.h): pread on
 * /proc/PID/mem through a small read window, mappings from
 * /proc/PID/maps. Core files share the window and the lookups; their
 * opening is in target_core.c.
 *
 * Must never: write to /proc/PID/mem, or read more than asked plus one
 * window.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "inspect/target.h"

#define WINDOW (256u << 10)       /* bytes read at once for small reads */
#define SMALL 4096                /* reads up to this size go through the window */

static void free_maps(struct hs_target *t) {
  hs_target_drop_copy(t);
  for (size_t i = 0; i < t->nmaps; i++) free(t->maps[i].path);
  free(t->maps);
  t->maps = NULL;
  t->nmaps = 0;
}

int hs_target_reload_maps(struct hs_target *t) {
  char path[64], *line = NULL;
  size_t len = 0, cap = 0;
  snprintf(path, sizeof path, "/proc/%d/maps", (int)t->pid);
  FILE *f = fopen(path, "r");
  if (!f) return errno == ENOENT ? -ESRCH : -errno;
  free_maps(t);
  while (getline(&line, &len, f) >= 0) {
    unsigned long long a, b, off, inode;
    unsigned maj, min;
    char perms[5];
    int used = 0;
    if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &a, &b, perms, &off, &maj, &min,
               &inode, &used) < 7)
      continue;
    if (t->nmaps == cap) t->maps = hs_xrealloc(t->maps, (cap = cap ? cap * 2 : 64) * sizeof *t->maps);
    struct hs_tmap *m = &t->maps[t->nmaps++];
    memset(m, 0, sizeof *m);
    m->start = a;
    m->end = b;
    m->offset = off;
    memcpy(m->perms, perms, sizeof m->perms);
    char *p = line + used;
    p[strcspn(p, "\n")] = 0;
    m->path = hs_xstrdup(p);
  }
  free(line);
  fclose(f);
  hs_target_flush(t);
  return t->nmaps ? 0 : -ESRCH;
}

int hs_target_open_live(struct hs_target *t, pid_t pid) {
  memset(t, 0, sizeof *t);
  t->kind = HS_TARGET_LIVE;
  t->pid = pid;
  t->pagemap_fd = -1;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  t->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (t->fd < 0) {
    int e = errno == ENOENT ? ESRCH : errno;
    return -e;
  }
  int r = hs_target_reload_maps(t);
  if (r) {
    close(t->fd);
    t->fd = -1;
    return r;
  }
  snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
  t->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
  return 0;
}

void hs_target_close(struct hs_target *t) {
  if (t->fd >= 0) close(t->fd);
  if (t->kind == HS_TARGET_LIVE && t->pagemap_fd >= 0) close(t->pagemap_fd);
  t->fd = t->pagemap_fd = -1;
  free_maps(t);
  for (size_t i = 0; i < t->nfiles; i++) free(t->files[i]);
  free(t->files);
  free(t->threads);
  free(t->win);
  t->files = NULL;
  t->nfiles = 0;
  t->threads = NULL;
  t->win = NULL;
}

void hs_target_flush(struct hs_target *t) {
  t->win_len = 0;
}

const struct hs_tmap *hs_target_map(const struct hs_target *t, uint64_t addr) {
  size_t lo = 0, hi = t->nmaps;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->maps[mid].end <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo < t->nmaps && t->maps[lo].start <= addr ? &t->maps[lo] : NULL;
}

/* A read from the copy of a stopped target (hs_target_copy): a page it
 * copied from there; a page the process had never touched reads as zeros
 * when anonymous (what it held then) and from the process when a file's
 * (the file's bytes, unless the process has written them since). */
static size_t copy_read(struct hs_target *t, const struct hs_tmap *m, uint64_t addr, void *buf,
                        size_t len) {
  size_t got = 0;
  while (got < len) {
    uint64_t a = addr + got, page = (a - m->start) / 4096;
    size_t n = (size_t)(((a & ~4095ull) + 4096) - a);
    if (n > len - got) n = len - got;
    if (HS_PAGEMAP_TOUCHED(m->pagemap[page])) {
      memcpy((char *)buf + got, m->copy + (a - m->start), n);
    } else if (!m->path[0] || m->path[0] == '[') {
      memset((char *)buf + got, 0, n);
    } else {
      ssize_t r = pread(t->fd, (char *)buf + got, n, (off_t)a);
      if (r != (ssize_t)n) break;
    }
    got += n;
  }
  if (got < len) t->read_failures++;
  return got;
}

/* Raw read of [addr, addr+len) that stays inside one mapping. */
static size_t raw_read(struct hs_target *t, const struct hs_tmap *m, uint64_t addr, void *buf,
                       size_t len) {
  t->reads++;
  if (m->copy) return copy_read(t, m, addr, buf, len);
  if (t->kind == HS_TARGET_LIVE) {
    size_t got = 0;
    while (got < len) {
      ssize_t r = pread(t->fd, (char *)buf + got, len - got, (off_t)(addr + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    if (got < len) t->read_failures++;
    return got;
  }
  /* core: the bytes the core holds; past them, a file mapping's bytes
   * come from the file (cores leave out unmodified file pages); an
   * anonymous page the core left out cannot be read */
  uint64_t rel = addr - m->start;
  size_t got = 0;
  if (rel < m->core_len) {
    size_t n = len;
    if (rel + n > m->core_len) n = (size_t)(m->core_len - rel);
    while (got < n) {
      ssize_t r = pread(t->fd, (char *)buf + got, n - got, (off_t)(m->core_off + rel + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    if (got < n) return got;
  }
  if (got < len && m->path[0] == '/') {
    int fd = open(m->path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t r = pread(fd, (char *)buf + got, len - got, (off_t)(m->offset + rel + got));
      if (r > 0) got += (size_t)r;
      close(fd);
    }
  }
  if (got < len) t->read_failures++;
  return got;
}

size_t hs_target_read(struct hs_target *t, uint64_t addr, void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    uint64_t a = addr + done;
    const struct hs_tmap *m = hs_target_map(t, a);
    if (!m) break;
    size_t n = len - done;
    if (a + n > m->end || a + n < a) n = (size_t)(m->end - a);
    if (n <= SMALL) {
      if (!(t->win_len && a >= t->win_addr && a + n <= t->win_addr + t->win_len)) {
        if (!t->win) t->win = hs_xmalloc(WINDOW);
        uint64_t wa = a & ~(uint64_t)4095;
        size_t wl = WINDOW;
        if (wa + wl > m->end) wl = (size_t)(m->end - wa);
        t->win_addr = wa;
        t->win_len = raw_read(t, m, wa, t->win, wl);
        if (!(a >= t->win_addr && a + n <= t->win_addr + t->win_len)) {
          t->win_len = 0;
          size_t got = raw_read(t, m, a, (char *)buf + done, n);
          done += got;
          if (got < n) break;
          continue;
        }
      }
      memcpy((char *)buf + done, t->win + (a - t->win_addr), n);
      done += n;
    } else {
      size_t got = raw_read(t, m, a, (char *)buf + done, n);
      done += got;
      if (got < n) break;
    }
  }
  return done;
}

int hs_target_u64(struct hs_target *t, uint64_t addr, uint64_t *v) {
  return hs_target_read(t, addr, v, 8) == 8 ? 0 : -1;
}
