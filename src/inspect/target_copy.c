/*
 * target_copy.c: the copy that lets `heapspy heap` resume a process
 * before it walks and scans the heap (see target.h). While every thread
 * is stopped, each private writable mapping (heaps, arenas, modules'
 * data, stacks, TLS, anonymous memory) has its pagemap read once and its
 * touched pages copied with process_vm_readv, many ranges a call; the
 * walk, the census and the leak scan then read that copy, so the target
 * is stopped only for the copy. Read-only and shared mappings are not
 * copied: code and constants do not change, and the program's pointers
 * live in writable memory.
 *
 * Memory: the copy is laid out like the mappings in anonymous memory
 * reserved without backing, so only the copied pages (the target's
 * touched writable memory, about its heap) become heapspy's RSS; the
 * pagemap arrays are backed only where pages were touched. Memory beyond
 * half of what the system has available is not copied: the target is
 * then read while stopped, as without a copy.
 *
 * Must never: read a page the target never touched (pagemap decides, as
 * the scan's own reads do), write to the target, or keep half a copy (any
 * failure drops all of it and the caller reads the stopped target).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/util.h"
#include "inspect/target.h"

#define PAGE 4096ull
#define MAX_VIRTUAL (64ull << 30)   /* copyable mappings' size, in all: beyond, no copy */
#define BATCH 512                   /* pagemap entries a read */
#define IOVS 512                    /* ranges a process_vm_readv (IOV_MAX is 1024) */

static int copyable(const struct hs_tmap *m) {
  return m->perms[0] == 'r' && m->perms[1] == 'w' && m->perms[3] == 'p' &&
         strncmp(m->path, "/dev/", 5) != 0;
}

static void *reserve(size_t len) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* m's pagemap into m->pagemap; a batch with no touched page is not
 * written (it stays zero and unbacked). 0 or -1. */
static int read_pagemap(struct hs_target *t, struct hs_tmap *m) {
  size_t n = (size_t)((m->end - m->start) / PAGE);
  uint64_t buf[BATCH], vpn = m->start / PAGE;
  for (size_t i = 0; i < n;) {
    size_t k = n - i < BATCH ? n - i : BATCH;
    if (pread(t->pagemap_fd, buf, k * 8, (off_t)((vpn + i) * 8)) != (ssize_t)(k * 8)) return -1;
    for (size_t j = 0; j < k; j++)
      if (HS_PAGEMAP_TOUCHED(buf[j])) {
        memcpy(m->pagemap + i, buf, k * 8);
        break;
      }
    i += k;
  }
  return 0;
}

struct batch {
  struct iovec local[IOVS], remote[IOVS];
  size_t n;
  size_t bytes;
};

/* Reads the batch's ranges; /proc/PID/mem when process_vm_readv falls
 * short (not permitted, or a range it cannot read). 0 or -EIO. */
static int flush(struct hs_target *t, struct batch *b) {
  if (!b->n) return 0;
  ssize_t r = process_vm_readv(t->pid, b->local, b->n, b->remote, b->n, 0);
  if (r != (ssize_t)b->bytes)
    for (size_t i = 0; i < b->n; i++) {
      size_t got = 0, len = b->local[i].iov_len;
      while (got < len) {
        ssize_t k = pread(t->fd, (char *)b->local[i].iov_base + got, len - got,
                          (off_t)((uint64_t)(uintptr_t)b->remote[i].iov_base + got));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -EIO;
        got += (size_t)k;
      }
    }
  t->copied_bytes += b->bytes;
  b->n = 0;
  b->bytes = 0;
  return 0;
}

/* Reserves m's copy and reads its pagemap; adds its touched bytes to
 * *bytes. 0 or -errno. */
static int plan_map(struct hs_target *t, struct hs_tmap *m, uint64_t *bytes) {
  size_t pages = (size_t)((m->end - m->start) / PAGE);
  m->copy = reserve((size_t)(m->end - m->start));
  m->pagemap = reserve(pages * 8);
  if (!m->copy || !m->pagemap) return -ENOMEM;
  if (read_pagemap(t, m) != 0) return -EIO;
  for (size_t p = 0; p < pages; p++)
    if (HS_PAGEMAP_TOUCHED(m->pagemap[p])) *bytes += PAGE;
  return 0;
}

/* Half the memory the system has available (MemAvailable): a process
 * whose writable memory is larger is read while stopped, not copied. */
static uint64_t budget(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[128];
  unsigned long long kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
  if (f) fclose(f);
  return (uint64_t)kb * 1024 / 2;
}

/* Queues m's runs of touched pages. 0 or -errno. */
static int copy_map(struct hs_target *t, struct hs_tmap *m, struct batch *b) {
  size_t pages = (size_t)((m->end - m->start) / PAGE);
  for (size_t p = 0; p < pages;) {
    if (!HS_PAGEMAP_TOUCHED(m->pagemap[p])) {
      p++;
      continue;
    }
    size_t q = p;
    while (q < pages && HS_PAGEMAP_TOUCHED(m->pagemap[q])) q++;
    int err = b->n == IOVS ? flush(t, b) : 0;
    if (err) return err;
    b->local[b->n].iov_base = m->copy + p * PAGE;
    b->remote[b->n].iov_base = (void *)(uintptr_t)(m->start + p * PAGE);
    b->local[b->n].iov_len = b->remote[b->n].iov_len = (q - p) * PAGE;
    b->bytes += (q - p) * PAGE;
    b->n++;
    p = q;
  }
  return 0;
}

int hs_target_copy(struct hs_target *t) {
  if (t->kind != HS_TARGET_LIVE || t->pagemap_fd < 0) return -ENOTSUP;
  double t0 = hs_now();
  uint64_t virt = 0;
  for (size_t i = 0; i < t->nmaps; i++)
    if (copyable(&t->maps[i])) virt += t->maps[i].end - t->maps[i].start;
  if (virt > MAX_VIRTUAL) return -E2BIG;
  static struct batch b;            /* 16 KB: not on the stack */
  b.n = b.bytes = 0;
  t->copied_bytes = 0;
  int err = 0;
  uint64_t touched = 0;
  for (size_t i = 0; i < t->nmaps && !err; i++)
    if (copyable(&t->maps[i])) err = plan_map(t, &t->maps[i], &touched);
  if (!err && touched > budget()) err = -ENOMEM;
  for (size_t i = 0; i < t->nmaps && !err; i++)
    if (copyable(&t->maps[i])) err = copy_map(t, &t->maps[i], &b);
  if (!err) err = flush(t, &b);
  if (err) {
    hs_target_drop_copy(t);
    return err;
  }
  hs_target_flush(t);
  t->copy_ms = (hs_now() - t0) * 1000.0;
  return 0;
}

void hs_target_drop_copy(struct hs_target *t) {
  for (size_t i = 0; i < t->nmaps; i++) {
    struct hs_tmap *m = &t->maps[i];
    if (m->copy) munmap(m->copy, (size_t)(m->end - m->start));
    if (m->pagemap) munmap(m->pagemap, (size_t)((m->end - m->start) / PAGE * 8));
    m->copy = NULL;
    m->pagemap = NULL;
  }
  t->copied_bytes = 0;
  hs_target_flush(t);
}

const uint8_t *hs_target_view(const struct hs_target *t, uint64_t addr, size_t len) {
  const struct hs_tmap *m = hs_target_map(t, addr);
  if (!m || !m->copy || !len || addr + len > m->end || addr + len < addr) return NULL;
  for (uint64_t p = (addr - m->start) / PAGE; p <= (addr + len - 1 - m->start) / PAGE; p++)
    if (!HS_PAGEMAP_TOUCHED(m->pagemap[p])) return NULL;
  return m->copy + (addr - m->start);
}

int hs_target_has_pagemap(struct hs_target *t) {
  return t->kind == HS_TARGET_LIVE && t->pagemap_fd >= 0;
}

size_t hs_target_pagemap(struct hs_target *t, uint64_t vpn, uint64_t *out, size_t n) {
  if (!hs_target_has_pagemap(t) || !n) return 0;
  uint64_t a = vpn * PAGE;
  const struct hs_tmap *m = hs_target_map(t, a);
  if (m && m->pagemap) {
    size_t k = (size_t)((m->end - a) / PAGE);
    if (k > n) k = n;
    memcpy(out, m->pagemap + (a - m->start) / PAGE, k * 8);
    return k;
  }
  /* from the kernel, up to the next copied mapping */
  for (size_t i = 0; i < t->nmaps; i++) {
    const struct hs_tmap *c = &t->maps[i];
    if (c->pagemap && c->start > a && (c->start - a) / PAGE < n) n = (size_t)((c->start - a) / PAGE);
  }
  ssize_t got = pread(t->pagemap_fd, out, n * 8, (off_t)(vpn * 8));
  return got > 0 ? (size_t)got / 8 : 0;
}
