/*
 * hst_read.c: validating reader for PROFILE.trace (see hst_read.h).
 *
 * Must never: read outside [header_size, end), trust a length before
 * checking it against the chunk it lies in, or decode past a payload.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "profile/hst_read.h"

void hst_path_of(const char *profile, char *buf, size_t cap) {
  snprintf(buf, cap, "%s.trace", profile);
}

static int read_at(struct hst_trace *t, void *buf, size_t len, uint64_t off) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = pread(t->fd, (char *)buf + got, len - got, (off_t)(off + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  return 0;
}

int hst_open(struct hst_trace *t, const char *path, char *err, size_t errlen) {
  memset(t, 0, sizeof *t);
  snprintf(t->path, sizeof t->path, "%s", path);
  t->fd = open(path, O_RDONLY | O_CLOEXEC);
  if (t->fd < 0) {
    snprintf(err, errlen, "cannot open trace %s: %s%s", path, strerror(errno),
             errno == ENOENT ? " (was the program run with --trace?)" : "");
    return -1;
  }
  struct stat st;
  const char *what = NULL;
  if (fstat(t->fd, &st) < 0 || !S_ISREG(st.st_mode)) what = "not a regular file";
  else if ((uint64_t)st.st_size < HST_HEADER_SIZE) what = "trace truncated: header incomplete";
  else if (read_at(t, &t->hdr, sizeof t->hdr, 0) < 0) what = "cannot read the header";
  else if (memcmp(t->hdr.magic, HST_MAGIC, 8)) what = "not a heapspy trace (bad magic)";
  else if (t->hdr.version > HST_VERSION) what = "trace version is newer than this heapspy";
  else if (t->hdr.version != HST_VERSION) what = "trace version is older than this heapspy";
  else if (t->hdr.header_size != HST_HEADER_SIZE) what = "bad header size";
  if (what) {
    snprintf(err, errlen, "%s: %s", path, what);
    close(t->fd);
    t->fd = -1;
    return -1;
  }
  t->size = (uint64_t)st.st_size;
  t->end = t->hdr.used < t->size ? t->hdr.used : t->size;
  return 0;
}

void hst_close(struct hst_trace *t) {
  if (t->fd >= 0) close(t->fd);
  t->fd = -1;
}

int hst_next_chunk(struct hst_trace *t, uint64_t *pos, uint64_t *off, struct hst_chunk *c,
                   char *err, size_t errlen) {
  if (*pos < HST_HEADER_SIZE) *pos = HST_HEADER_SIZE;
  if (*pos + sizeof *c > t->end) return 0;
  if (read_at(t, c, sizeof *c, *pos) < 0) {
    snprintf(err, errlen, "%s: cannot read the chunk at %llu", t->path, (unsigned long long)*pos);
    return -1;
  }
  const char *what = NULL;
  uint64_t total = sizeof *c + (uint64_t)c->cap;
  if (c->magic != HST_CHUNK_MAGIC) what = "bad chunk magic";
  else if (c->cap > (1u << 30) || *pos + total > t->end) what = "chunk runs past the end of the trace";
  else if (c->codec == HST_RAW && (c->used > c->cap || c->nsummary)) what = "raw chunk longer than its room";
  else if (c->codec == HST_ZSTD &&
           (c->raw_len > HST_PACK_MAX || (uint64_t)c->used + c->sum_len > c->cap ||
            c->nsummary > c->nevents || c->nevents > c->raw_len || (c->nsummary && !c->sum_len)))
    what = "packed chunk longer than its room";
  else if (c->codec > HST_ZSTD) what = "unknown chunk codec";
  else if (c->t_first > c->t_last || c->seq_first > c->seq_last) what = "chunk range reversed";
  if (what) {
    snprintf(err, errlen, "%s: %s at offset %llu", t->path, what, (unsigned long long)*pos);
    return -1;
  }
  *off = *pos;
  *pos += total;
  return 1;
}

long hst_chunk_events(struct hst_trace *t, uint64_t off, const struct hst_chunk *c,
                      uint8_t *buf, char *err, size_t errlen) {
  if (c->codec == HST_RAW) {
    if (read_at(t, buf, c->used, off + sizeof *c) < 0) goto unreadable;
    return c->used;
  }
  static uint8_t zbuf[HST_PACK_MAX + HST_PACK_MAX / 64 + 4096];
  static ZSTD_DCtx *dctx;
  if (c->used > sizeof zbuf) {
    snprintf(err, errlen, "%s: compressed chunk too large at offset %llu", t->path,
             (unsigned long long)off);
    return -1;
  }
  if (read_at(t, zbuf, c->used, off + sizeof *c) < 0) goto unreadable;
  if (!dctx && !(dctx = ZSTD_createDCtx())) {
    snprintf(err, errlen, "out of memory for zstd");
    return -1;
  }
  size_t n = ZSTD_decompressDCtx(dctx, buf, HST_PACK_MAX, zbuf, c->used);
  if (ZSTD_isError(n) || n != c->raw_len) {
    snprintf(err, errlen, "%s: chunk at offset %llu does not decompress (%s)", t->path,
             (unsigned long long)off, ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong length");
    return -1;
  }
  return (long)n;
unreadable:
  snprintf(err, errlen, "%s: cannot read the chunk at offset %llu", t->path, (unsigned long long)off);
  return -1;
}

static int get(struct hst_cursor *k, uint64_t *v);
static inline int64_t unzig(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

int hst_chunk_summary(struct hst_trace *t, uint64_t off, const struct hst_chunk *c,
                      struct hst_sum *out, char *err, size_t errlen) {
  if (c->codec == HST_RAW || !c->nsummary) return 0;
  size_t cap = (size_t)c->nsummary * HST_SUM_MAX_BYTES;
  uint8_t *z = malloc(c->sum_len), *v = malloc(cap);
  const char *what = NULL;
  if (!z || !v) what = "out of memory for the index";
  else if (read_at(t, z, c->sum_len, off + sizeof *c + c->used) < 0) what = "cannot read the index";
  size_t n = what ? 0 : ZSTD_decompress(v, cap, z, c->sum_len);
  if (!what && ZSTD_isError(n)) what = "the index does not decompress";
  struct hst_cursor k = { .p = v, .end = what ? v : v + n };
  uint32_t stack = 0;
  for (uint32_t i = 0; !what && i < c->nsummary; i++) {
    uint64_t ds, fam, b, nb;
    if (get(&k, &ds) || get(&k, &fam) || get(&k, &b) || get(&k, &nb) || ds > UINT32_MAX - stack ||
        fam > 0xffff)
      what = "corrupt index";
    else {
      stack += (uint32_t)ds;
      out[i] = (struct hst_sum){ stack, (uint16_t)fam, 0, unzig(b), unzig(nb) };
    }
  }
  free(z);
  free(v);
  if (!what) return 0;
  snprintf(err, errlen, "%s: %s of the chunk at offset %llu", t->path, what, (unsigned long long)off);
  return -1;
}

void hst_cursor_init(struct hst_cursor *k, const struct hst_chunk *c, const uint8_t *ev,
                     size_t len) {
  k->p = ev;
  k->end = ev + len;
  k->addrs = !(c->flags & HST_CHUNK_NOADDR);
  k->addr = 0;
  k->stack = 0;
  k->t = c->t_first;
  k->inc = (c->flags & HST_CHUNK_EPOCHS) ? 0 : 1;
  k->seq = c->seq_first - k->inc;
}

static int get(struct hst_cursor *k, uint64_t *v) {
  uint64_t r = 0;
  for (unsigned sh = 0; sh < 64; sh += 7) {
    if (k->p >= k->end) return -1;
    uint8_t b = *k->p++;
    if (sh == 63 && b > 1) return -1;   /* the 10th byte holds bit 63 only */
    r |= (uint64_t)(b & 0x7f) << sh;
    if (!(b & 0x80)) { *v = r; return 0; }
  }
  return -1;
}

int hst_cursor_next(struct hst_cursor *k, struct hst_event *e) {
  if (k->p >= k->end) return 0;
  unsigned tag = *k->p++;
  uint64_t v;
  e->kind = tag & 3;
  e->realloc = (tag & HST_TAG_REALLOC) != 0;
  e->family = tag >> HST_TAG_FAM_SHIFT;
  if (tag & HST_TAG_DT) {
    if (get(k, &v) || v > UINT32_MAX - k->t) return -1;
    k->t += (uint32_t)v;
  }
  k->seq += k->inc;
  if (tag & HST_TAG_GAP) {
    if (get(k, &v) || v > UINT64_MAX - k->seq) return -1;
    k->seq += v;
  }
  if (e->family == HST_TAG_FAM_VARINT) {
    if (get(k, &v) || v > 0xffff) return -1;
    e->family = (unsigned)v;
  }
  e->t = k->t;
  e->seq = k->seq;
  if (e->kind == HST_EV_MARK) {
    uint64_t n;
    if (get(k, &e->cut) || get(k, &n) || n > HST_NAME_MAX || n > (uint64_t)(k->end - k->p)) return -1;
    memcpy(e->name, k->p, n);
    e->name[n] = 0;
    k->p += n;
    return 1;
  }
  uint64_t da = 0, ds;
  if ((k->addrs && get(k, &da)) || get(k, &e->size) || get(k, &ds)) return -1;
  k->addr += (uint64_t)unzig(da);
  int64_t st = (int64_t)k->stack + unzig(ds);
  if (st < 0 || st > UINT32_MAX) return -1;
  k->stack = (uint32_t)st;
  e->addr = k->addr;
  e->stack = k->stack;
  e->alloc_t = k->t;
  if (e->kind != HST_EV_ALLOC) {
    if (get(k, &v) || v > k->t) return -1;
    e->alloc_t = k->t - (uint32_t)v;
  }
  return 1;
}
