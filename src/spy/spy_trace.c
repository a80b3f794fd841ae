/*
 * spy_trace.c: --trace, every allocation, free and checkpoint as an event
 * in PROFILE.trace (layout and reasoning: hst_format.h).
 *
 * Each thread appends to a chunk of its own in the shared mapping: no
 * lock and no system call per event; a new chunk (64 KiB) takes the leaf
 * trace lock, and a full one is dropped from our mapping (MADV_DONTNEED:
 * the page cache keeps it), so the program's RSS holds one chunk per
 * thread. Compression happens later, in `heapspy run`, never in the
 * program's threads.
 *
 * What can be lost: nothing that was published; the event each thread
 * was writing when the process died. If the disk fills, or the file
 * reaches --trace-cap (trace_cap, default 1G), tracing stops with one
 * warning and the trace is flagged incomplete (capped: from when).
 *
 * Must never: allocate from the heap, hold the trace lock while calling
 * anything but mmap/fallocate, or write after a fork (the child would
 * scribble into its parent's chunks: a forked child is not traced; an
 * exec'd one followed with follow_children starts a trace of its own).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spy.h"
#include "profile/hst_codec.h"

#define TRACE_RESERVE (256ull << 30)   /* virtual reservation */
#define TRACE_GROW (16ull << 20)

int spy_trace_on;
uint64_t spy_trace_seq;                /* next sequence number */
static char *base;
static struct hst_header *hdr;
static int fd = -1;
static dev_t fd_dev;                   /* our file behind fd, see fd_ours */
static ino_t fd_ino;
static uint64_t mapped;
static uint64_t cap;                   /* trace_cap, page-aligned: the file's limit */
static uint32_t lock;

/* This thread's chunk and the state its deltas are relative to. */
static __thread struct {
  struct hst_chunk *c;
  uint8_t *p, *end;
  struct hst_enc e;
} me SPY_TLS;

static void stop(const char *why, int err) {
  spy_warn("--trace: %s (%s); the program continues, the trace ends here",
           why, strerror(err));
  __atomic_or_fetch(&hdr->flags, HST_FLAG_INCOMPLETE, __ATOMIC_RELAXED);
  spy_trace_on = 0;
}

/* --trace-cap reached: recording stops, once, with the time in both
 * headers so every report can say from when the trace is missing. */
static void capped(void) {
  uint32_t t = spy_now_ms();
  char size[32];
  if (cap % (1u << 20) == 0) spy_fmt(size, sizeof size, "%lluM", (unsigned long long)(cap >> 20));
  else spy_fmt(size, sizeof size, "%llu bytes", (unsigned long long)cap);
  spy_warn("--trace: the trace reached its cap of %s (--trace-cap) at %u ms; the program "
           "continues, recording stops here", size, t);
  hdr->capped_ms = t;
  spy_hdr->trace_capped_ms = t;
  __atomic_or_fetch(&spy_hdr->flags, HSP_FLAG_TRACE_CAPPED, __ATOMIC_RELAXED);
  __atomic_or_fetch(&hdr->flags, HST_FLAG_INCOMPLETE | HST_FLAG_CAPPED, __ATOMIC_RELAXED);
  spy_trace_on = 0;
}

void spy_trace_init(int flags, const struct spy_file_id *made) {
  if (!spy_opt.trace) return;
  char path[sizeof spy_opt.profile + 8];
  spy_fmt(path, sizeof path, "%s.trace", spy_opt.profile);
  cap = spy_size(spy_opt.trace_cap) & ~4095ull;
  if (cap < HST_HEADER_SIZE + HST_CHUNK_SIZE) cap = HST_HEADER_SIZE + HST_CHUNK_SIZE;
  if (cap > TRACE_RESERVE) cap = TRACE_RESERVE;
  uint64_t first = cap < TRACE_GROW ? cap : TRACE_GROW;
  base = spy_reserve(TRACE_RESERVE);
  if (!base) { spy_warn("--trace: cannot reserve address space; no trace"); return; }
  const char *why;
  fd = spy_open_private(path, HST_MAGIC, flags, made, &why);
  if (fd < 0 && why) {
    spy_warn("--trace: refusing to write %s: %s; no trace", path, why);
    munmap(base, TRACE_RESERVE);
    return;
  }
  if (fd >= 0) {
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 710);   /* clear of the program's fds */
    if (high >= 0) { close(fd); fd = high; }
  }
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0) { fd_dev = st.st_dev; fd_ino = st.st_ino; }
  int err = fd < 0 ? errno : posix_fallocate(fd, 0, (off_t)first);
  if (err || mmap(base, first, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
                 MAP_FAILED) {
    spy_warn("--trace: cannot create %s (%s); no trace", path, strerror(err ? err : errno));
    if (fd >= 0) close(fd);
    munmap(base, TRACE_RESERVE);
    return;
  }
  mapped = first;
  hdr = (struct hst_header *)base;
  memcpy(hdr->magic, HST_MAGIC, 8);
  hdr->version = HST_VERSION;
  hdr->header_size = HST_HEADER_SIZE;
  hdr->pid = spy_hdr->pid;
  hdr->start_unix_ns = spy_hdr->start_unix_ns;
  hdr->file_size = mapped;
  __atomic_store_n(&hdr->used, HST_HEADER_SIZE, __ATOMIC_RELEASE);
  spy_trace_on = 1;
}

static uint64_t released;        /* bytes of full chunks dropped from our RSS */

uint64_t spy_trace_vm(void) { return hdr ? TRACE_RESERVE : 0; }
uint64_t spy_trace_resident(void) {
  uint64_t used = hdr ? __atomic_load_n(&hdr->used, __ATOMIC_RELAXED) : 0;
  uint64_t gone = __atomic_load_n(&released, __ATOMIC_RELAXED);
  return used > gone ? used - gone : 0;
}

int spy_trace_owns(uint64_t addr) {
  uint64_t lo = (uint64_t)(uintptr_t)base;
  return hdr && addr >= lo && addr < lo + TRACE_RESERVE;
}

/* The program may close or replace any descriptor: never extend a file
 * that is not ours. */
static int fd_ours(void) {
  struct stat st;
  return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == fd_dev && st.st_ino == fd_ino;
}

/* A fresh chunk for this thread, or 0 (tracing stopped). */
static int next_chunk(void) {
  if (me.c) {                          /* full: out of our RSS, kept on disk */
    uintptr_t lo = ((uintptr_t)me.c + 4095) & ~(uintptr_t)4095;
    if (madvise((void *)lo, HST_CHUNK_SIZE - (lo - (uintptr_t)me.c), MADV_DONTNEED) == 0)
      __atomic_add_fetch(&released, HST_CHUNK_SIZE - (lo - (uintptr_t)me.c), __ATOMIC_RELAXED);
  }
  spy_lock(&lock);
  if (!spy_trace_on) { spy_unlock(&lock); return 0; }
  uint64_t off = hdr->used;
  if (off + HST_CHUNK_SIZE > cap) { capped(); spy_unlock(&lock); return 0; }
  if (off + HST_CHUNK_SIZE > mapped) {
    uint64_t add = mapped / 8 > TRACE_GROW ? (mapped / 8 + 4095) & ~4095ull : TRACE_GROW;
    if (mapped + add > cap) add = cap - mapped;    /* >= a chunk: checked above */
    int err = mapped + add > TRACE_RESERVE ? EFBIG
              : !fd_ours()               ? EBADF
                                         : posix_fallocate(fd, (off_t)mapped, (off_t)add);
    if (!err && mmap(base + mapped, add, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
                     (off_t)mapped) == MAP_FAILED)
      err = errno;
    if (err) { stop("cannot extend the trace", err); spy_unlock(&lock); return 0; }
    mapped += add;
    hdr->file_size = mapped;
  }
  struct hst_chunk *c = (struct hst_chunk *)(base + off);
  c->tid = spy_gettid();
  c->cap = HST_CHUNK_SIZE - sizeof *c;
  c->magic = HST_CHUNK_MAGIC;
  hdr->chunks++;
  __atomic_store_n(&hdr->used, off + HST_CHUNK_SIZE, __ATOMIC_RELEASE);
  spy_unlock(&lock);
  me.c = c;
  me.p = (uint8_t *)(c + 1);
  me.end = me.p + c->cap;
  return 1;
}

/* The tag and the common prefix; returns where the body goes. */
static inline uint8_t *begin(unsigned kind, unsigned family, uint64_t seq, uint32_t *now) {
  if (SPY_UNLIKELY(!me.c || me.p + HST_EVENT_MAX > me.end) && !next_chunk()) return NULL;
  uint32_t t = spy_now_ms();
  if (t < me.e.t) t = me.e.t;
  struct hst_chunk *c = me.c;
  if (!c->nevents) {
    c->t_first = t;
    c->seq_first = seq;
    me.e = (struct hst_enc){ .t = t, .seq = seq - 1, .inc = 1 };
  }
  *now = t;
  return hst_enc_head(&me.e, me.p, kind, family, spy_trace_realloc, t, seq);
}

/* Publish the event ending at p: the index fields first, `used` last. */
static inline void commit(uint8_t *p, uint32_t t, uint64_t seq, int mark) {
  struct hst_chunk *c = me.c;
  /* begin() left HST_EVENT_MAX bytes of room; the event, from me.p, fits it */
  SPY_DEBUG_ASSERT(p > me.p && p - me.p <= HST_EVENT_MAX && p <= me.end);
  me.p = p;
  c->t_last = t;
  c->seq_last = seq;
  c->nevents++;
  if (mark) c->marks++;
  __atomic_store_n(&c->used, (uint32_t)(p - (uint8_t *)(c + 1)), __ATOMIC_RELEASE);
}

__thread int spy_trace_realloc SPY_TLS;

void spy_trace_alloc(uint64_t seq, uint64_t addr, uint64_t size, unsigned family, uint32_t stack) {
  uint32_t t;
  uint8_t *p = begin(HST_EV_ALLOC, family, seq, &t);
  if (p) commit(hst_enc_block(&me.e, p, 1, addr, size, stack), t, seq, 0);
}

void spy_trace_free(uint64_t seq, const struct hsp_block *b, int restore) {
  uint32_t t;
  uint8_t *p = begin(restore ? HST_EV_RESTORE : HST_EV_FREE, HSP_BLOCK_FAMILY(b), seq, &t);
  if (!p) return;
  p = hst_enc_block(&me.e, p, 1, b->ptr, HSP_BLOCK_SIZE(b), b->stack);
  commit(hst_put(p, t > b->t_ms ? t - b->t_ms : 0), t, seq, 0);
}

/* A checkpoint: cut = the sequence number current while the checkpoint
 * held every shard lock. */
void spy_trace_mark(uint64_t cut, const char *name) {
  if (!spy_trace_on) return;
  uint32_t t;
  uint64_t seq = spy_trace_next_seq();
  uint8_t *p = begin(HST_EV_MARK, 0, seq, &t);
  if (!p) return;
  size_t n = strnlen(name, HST_NAME_MAX);
  p = hst_put(hst_put(p, cut), n);
  memcpy(p, name, n);
  commit(p + n, t, seq, 1);
}

/* A forked child never writes its parent's trace. */
void spy_trace_fork_child(void) {
  if (!hdr) return;
  spy_trace_on = 0;
  me.c = NULL;
  munmap(base, TRACE_RESERVE);
  if (fd >= 0) close(fd);
  fd = -1;
  hdr = NULL;
  lock = 0;
}
