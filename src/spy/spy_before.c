/*
 * spy_before.c: the blocks glibc held before `heapspy attach`. heapspy
 * walked the heap from outside while every thread was stopped, just
 * before heapspy_attach_begin (src/cli/attach_census.c), and names the
 * file of struct hsp_before records in the option `before`; they are read
 * once into the profile (attach.before_off), sorted by address.
 *
 * A free or realloc of a block the live table does not know marks its
 * entry gone *before* glibc gets the block back, so a scan that sees an
 * entry not gone may read it (through spy_safe_read: a pre-attach mmap'd
 * chunk may still be unmapped under it by an unheld thread).
 *
 * Must never: call malloc (the records live in the profile's arena),
 * trust the file (entries out of order or overlapping are dropped), or
 * take a lock: the free path runs here on every unknown pointer.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spy.h"

static struct hsp_before *before;
static uint64_t nbefore;

int spy_before_load(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0) return -1;
  if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof *before) {
    close(fd);
    return -1;
  }
  uint64_t n = (uint64_t)st.st_size / sizeof *before, off = 0;
  struct hsp_before *b = spy_arena_alloc((size_t)st.st_size, &off);
  size_t got = 0;
  while (b && got < (size_t)st.st_size) {
    ssize_t r = read(fd, (char *)b + got, (size_t)st.st_size - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  if (!b || got != (size_t)st.st_size) return -1;
  uint64_t kept = 0, end = 0;
  for (uint64_t i = 0; i < n; i++) {       /* sorted, disjoint, or dropped */
    if (b[i].ptr < end || b[i].ptr + b[i].size < b[i].ptr) continue;
    end = b[i].ptr + b[i].size;
    b[kept] = b[i];
    b[kept].kind = HSP_LEAK_UNCLASSIFIED;
    b[kept++].pad = 0;
  }
  before = b;
  nbefore = kept;
  spy_hdr->attach.before_count = kept;
  __atomic_store_n(&spy_hdr->attach.before_off, off, __ATOMIC_RELEASE);
  return 0;
}

struct hsp_before *spy_before_table(uint64_t *n) {
  *n = nbefore;
  return before;
}

/* The entry starting at p, or -1. */
static int64_t find(uint64_t p) {
  uint64_t lo = 0, hi = nbefore;
  while (lo < hi) {
    uint64_t mid = (lo + hi) / 2;
    if (before[mid].ptr < p) lo = mid + 1; else hi = mid;
  }
  return lo < nbefore && before[lo].ptr == p ? (int64_t)lo : -1;
}

int64_t spy_before_gone(const void *p) {
  int64_t i = find((uint64_t)(uintptr_t)p);
  if (i >= 0) __atomic_store_n(&before[i].kind, HSP_BEFORE_GONE, __ATOMIC_RELEASE);
  return i;
}

void spy_before_back(int64_t i) {
  if (i >= 0) __atomic_store_n(&before[i].kind, HSP_LEAK_UNCLASSIFIED, __ATOMIC_RELEASE);
}
