/*
 * trace_pack.c: see trace_pack.h. Memory: one chunk's buffers and one
 * chunk's index (bounded by the chunk's events), whatever the trace size.
 *
 * Must never: leave a half-written trace under the final name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "trace_pack.h"
#include "trace_tally.h"
#include "util.h"

#define LEVEL 3

static int write_all(int fd, const void *buf, size_t len, uint64_t off) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    done += (size_t)n;
  }
  return 0;
}

/* Decode one raw chunk: fix its header from what is really there (the
 * index fields may run one event ahead of `used` after a kill) and tally
 * its heap change. Returns the events, or -1. */
static long scan(struct hst_chunk *c, const uint8_t *ev, long len, struct hs_tally *tally) {
  struct hst_cursor k;
  struct hst_event e;
  hst_cursor_init(&k, c, ev, (size_t)len);
  long n = 0;
  int r;
  uint32_t marks = 0;
  while ((r = hst_cursor_next(&k, &e)) == 1) {
    hs_tally_event(tally, &e);
    marks += e.kind == HST_EV_MARK;
    c->t_last = e.t;
    c->seq_last = e.seq;
    n++;
  }
  if (r < 0) return -1;
  c->nevents = (uint32_t)n;
  c->marks = (uint16_t)marks;
  return n;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int hs_trace_pack(const char *path, struct hs_pack_stats *st, char *err, size_t errlen) {
  double t0 = now_s();
  memset(st, 0, sizeof *st);
  struct hst_trace t;
  if (hst_open(&t, path, err, errlen) < 0) return -1;
  if (t.hdr.flags & HST_FLAG_PACKED) {
    st->packed_bytes = t.size;
    st->raw_bytes = t.hdr.raw_bytes;
    st->events = t.hdr.events;
    st->chunks = t.hdr.chunks;
    hst_close(&t);
    return 0;
  }
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    hst_close(&t);
    return -1;
  }
  ZSTD_CCtx *cctx = ZSTD_createCCtx();
  size_t zcap = ZSTD_compressBound(HST_CHUNK_SIZE);
  uint8_t *ev = hs_xmalloc(HST_CHUNK_SIZE), *z = hs_xmalloc(zcap + 8);
  struct hs_tally tally;
  hs_tally_init(&tally);
  uint64_t pos = 0, off, w = HST_HEADER_SIZE, raw = 0;
  struct hst_chunk c;
  int r, bad = !cctx;
  while (!bad && (r = hst_next_chunk(&t, &pos, &off, &c, err, errlen)) == 1) {
    long len = hst_chunk_events(&t, off, &c, ev, err, errlen);
    if (len < 0) { bad = 1; break; }
    hs_tally_clear(&tally);
    long n = scan(&c, ev, len, &tally);
    if (n < 0) {
      snprintf(err, errlen, "%s: corrupt events in the chunk at offset %llu", path,
               (unsigned long long)off);
      bad = 1;
      break;
    }
    if (!n) continue;
    size_t zn = ZSTD_compressCCtx(cctx, z, zcap, ev, (size_t)len, LEVEL);
    if (ZSTD_isError(zn)) {
      snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(zn));
      bad = 1;
      break;
    }
    size_t zpad = (zn + 7) & ~(size_t)7;
    memset(z + zn, 0, zpad - zn);
    size_t nsum = hs_tally_pack(&tally);
    c.codec = HST_ZSTD;
    c.raw_len = (uint32_t)len;
    c.used = (uint32_t)zn;
    c.nsummary = (uint32_t)nsum;
    c.cap = (uint32_t)(zpad + nsum * sizeof(struct hst_sum));
    if (write_all(out, &c, sizeof c, w) || write_all(out, z, zpad, w + sizeof c) ||
        write_all(out, tally.slot, nsum * sizeof(struct hst_sum), w + sizeof c + zpad)) {
      snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
      bad = 1;
      break;
    }
    w += sizeof c + c.cap;
    raw += (uint64_t)len;
    st->events += (uint64_t)n;
    st->chunks++;
  }
  if (!bad && r < 0) bad = 1;
  if (!bad) {
    struct hst_header h = t.hdr;
    h.flags |= HST_FLAG_PACKED;
    h.used = h.file_size = w;
    h.chunks = st->chunks;
    h.events = st->events;
    h.raw_bytes = raw;
    uint8_t page[HST_HEADER_SIZE] = { 0 };
    memcpy(page, &h, sizeof h);
    if (write_all(out, page, sizeof page, 0) || close(out) < 0) {
      snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
      bad = 1;
    } else if (rename(tmp, path) < 0) {
      snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
      bad = 1;
    }
    out = -1;
  }
  if (out >= 0) close(out);
  if (bad) unlink(tmp);
  st->packed_bytes = w;
  st->raw_bytes = raw;
  st->seconds = now_s() - t0;
  hs_tally_free(&tally);
  free(ev);
  free(z);
  ZSTD_freeCCtx(cctx);
  hst_close(&t);
  return bad ? -1 : 0;
}
