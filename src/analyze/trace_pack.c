/*
 * trace_pack.c: see trace_pack.h. Memory: one raw chunk and OPEN_GROUPS
 * packed chunks being filled (HST_PACK_MAX each) with their indexes
 * (bounded by their events), whatever the trace size.
 *
 * Must never: leave a half-written trace under the final name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "analyze/trace_pack.h"
#include "profile/hst_codec.h"
#include "analyze/trace_tally.h"
#include "common/hs_assert.h"
#include "common/private_file.h"
#include "common/util.h"

#define LEVEL 7                 /* zstd: 20% smaller than 3, 40% slower */
#define OPEN_GROUPS 8           /* threads packed side by side */

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

/* One packed chunk being filled: the events of consecutive raw chunks
 * of one thread, re-encoded without addresses, and their heap change. */
struct group {
  struct hst_chunk c;
  struct hst_enc e;
  uint8_t *ev;
  size_t len;
  struct hs_tally tally;
};

static void group_add(struct group *g, const struct hst_event *e) {
  size_t was = g->len;
  if (!g->c.nevents) {
    g->c.t_first = e->t;
    g->c.seq_first = e->seq;
    g->e = (struct hst_enc){ .t = e->t, .seq = e->seq, .inc = 0 };
  }
  uint8_t *p = hst_enc_head(&g->e, g->ev + g->len, e->kind, e->family, e->realloc, e->t, e->seq);
  if (e->kind == HST_EV_MARK) {
    size_t n = strlen(e->name);
    p = hst_put(hst_put(p, e->cut), n);
    memcpy(p, e->name, n);
    p += n;
    g->c.marks++;
  } else {
    p = hst_enc_block(&g->e, p, 0, 0, e->size, e->stack);
    if (e->kind != HST_EV_ALLOC) p = hst_put(p, e->t - e->alloc_t);
  }
  g->len = (size_t)(p - g->ev);
  /* the caller flushed with less than HST_EVENT_MAX bytes of room left */
  HS_ASSERT(g->len - was <= HST_EVENT_MAX && g->len <= HST_PACK_MAX);
  g->c.t_last = e->t;
  g->c.seq_last = e->seq;
  g->c.nevents++;
  hs_tally_event(&g->tally, e);
}

static int by_stack(const void *a, const void *b) {
  const struct hst_sum *x = a, *y = b;
  if (x->stack != y->stack) return x->stack < y->stack ? -1 : 1;
  return (x->family > y->family) - (x->family < y->family);
}

struct packer {
  uint8_t *sum;             /* the index as varints: HST_PACK_MAX / 2 entries at most */
  int out;
  uint64_t w;               /* next write offset */
  ZSTD_CCtx *cctx;
  uint8_t *z;
  size_t zcap;
  struct hs_pack_stats *st;
  uint64_t raw;
};

/* Compress and write the group; returns 0 or -1 (errno set). */
static int group_flush(struct packer *k, struct group *g) {
  if (!g->c.nevents) return 0;
  size_t zn = ZSTD_compressCCtx(k->cctx, k->z, k->zcap, g->ev, g->len, LEVEL);
  if (ZSTD_isError(zn)) { errno = ENOMEM; return -1; }
  size_t nsum = hs_tally_pack(&g->tally);
  /* an entry per (stack, family) of at least one event of 3 bytes or more:
   * k->sum holds HST_PACK_MAX / 2 entries */
  HS_ASSERT(nsum <= g->c.nevents && nsum <= HST_PACK_MAX / 2);
  qsort(g->tally.slot, nsum, sizeof *g->tally.slot, by_stack);
  uint8_t *p = k->sum;
  uint32_t last = 0;
  for (size_t i = 0; i < nsum; i++) {     /* the index, as varints */
    const struct hst_sum *e = &g->tally.slot[i];
    p = hst_put(hst_put(p, e->stack - last), e->family);
    p = hst_put(hst_put(p, hst_zigzag(e->bytes)), hst_zigzag(e->blocks));
    last = e->stack;
  }
  size_t sn = nsum ? ZSTD_compressCCtx(k->cctx, k->z + zn, k->zcap * 2 - zn, k->sum,
                                       (size_t)(p - k->sum), LEVEL) : 0;
  if (ZSTD_isError(sn)) { errno = ENOMEM; return -1; }
  g->c.magic = HST_CHUNK_MAGIC;
  g->c.codec = HST_ZSTD;
  g->c.flags = HST_CHUNK_NOADDR | HST_CHUNK_EPOCHS;
  g->c.raw_len = (uint32_t)g->len;
  g->c.used = (uint32_t)zn;
  g->c.nsummary = (uint32_t)nsum;
  g->c.sum_len = (uint32_t)sn;
  g->c.cap = (uint32_t)(zn + sn);
  if (write_all(k->out, &g->c, sizeof g->c, k->w) ||
      write_all(k->out, k->z, zn + sn, k->w + sizeof g->c))
    return -1;
  k->w += sizeof g->c + g->c.cap;
  k->raw += g->len;
  k->st->events += g->c.nevents;
  k->st->chunks++;
  int32_t tid = g->c.tid;
  memset(&g->c, 0, sizeof g->c);
  g->c.tid = tid;
  g->len = 0;
  hs_tally_clear(&g->tally);
  return 0;
}

/* The checkpoint cuts of the trace, sorted (first pass: only chunks that
 * hold marks are decoded). */
struct cuts { uint64_t *v; size_t n, cap; };

static int by_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static int collect_cuts(struct hst_trace *t, uint8_t *ev, struct cuts *cs, char *err,
                        size_t errlen) {
  uint64_t pos = 0, off;
  struct hst_chunk c;
  int r;
  while ((r = hst_next_chunk(t, &pos, &off, &c, err, errlen)) == 1) {
    if (!c.marks) continue;
    long len = hst_chunk_events(t, off, &c, ev, err, errlen);
    if (len < 0) return -1;
    struct hst_cursor k;
    struct hst_event e;
    hst_cursor_init(&k, &c, ev, (size_t)len);
    while (hst_cursor_next(&k, &e) == 1) {
      if (e.kind != HST_EV_MARK) continue;
      if (cs->n == cs->cap) cs->v = hs_xrealloc(cs->v, (cs->cap = cs->cap * 2 + 8) * sizeof *cs->v);
      cs->v[cs->n++] = e.cut;
    }
  }
  qsort(cs->v, cs->n, sizeof *cs->v, by_u64);
  return r;
}

/* The number of cuts at or below seq. */
static uint64_t epoch(const struct cuts *cs, uint64_t seq) {
  size_t lo = 0, hi = cs->n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cs->v[mid] <= seq) lo = mid + 1; else hi = mid;
  }
  return lo;
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
  /* a new name beside the trace (O_EXCL, never a link someone planted),
   * private, then renamed over it: rename replaces the name, never
   * writes through a link */
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
  int out = mkostemp(tmp, O_CLOEXEC);
  if (out >= 0 && fchmod(out, hs_file_mode) < 0) {
    close(out);
    unlink(tmp);
    out = -1;
  }
  if (out < 0) {
    snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
    hst_close(&t);
    return -1;
  }
  struct packer k = { NULL, out, HST_HEADER_SIZE, ZSTD_createCCtx(), NULL,
                      ZSTD_compressBound(HST_PACK_MAX / 2 * HST_SUM_MAX_BYTES), st, 0 };
  k.z = hs_xmalloc(k.zcap * 2);
  k.sum = hs_xmalloc(HST_PACK_MAX / 2 * HST_SUM_MAX_BYTES);
  /* one open group per recent thread: threads' raw chunks interleave in
   * the file, and a group per stretch of one thread would compress worse */
  struct group gs[OPEN_GROUPS];
  uint64_t last_use[OPEN_GROUPS] = { 0 }, clock = 0;
  memset(gs, 0, sizeof gs);
  for (int i = 0; i < OPEN_GROUPS; i++) hs_tally_init(&gs[i].tally);
  uint8_t *ev = hs_xmalloc(HST_PACK_MAX);
  uint64_t pos = 0, off;
  struct hst_chunk c;
  struct cuts cs = { 0 };
  int r = 0, bad = !k.cctx || collect_cuts(&t, ev, &cs, err, errlen) < 0;
  const char *werr = NULL;
  while (!bad && (r = hst_next_chunk(&t, &pos, &off, &c, err, errlen)) == 1) {
    long len = hst_chunk_events(&t, off, &c, ev, err, errlen);
    if (len < 0) { bad = 1; break; }
    int gi = 0;
    for (int i = 0; i < OPEN_GROUPS; i++) {
      if (gs[i].ev && gs[i].c.tid == c.tid) { gi = i; break; }
      if (last_use[i] < last_use[gi]) gi = i;      /* else the least recently used */
    }
    struct group *gp = &gs[gi];
    if (!gp->ev) gp->ev = hs_xmalloc(HST_PACK_MAX);
    if (gp->c.tid != c.tid && group_flush(&k, gp) < 0) { werr = tmp; break; }
    gp->c.tid = c.tid;
    last_use[gi] = ++clock;
    struct hst_cursor cur;
    struct hst_event e;
    hst_cursor_init(&cur, &c, ev, (size_t)len);
    while ((r = hst_cursor_next(&cur, &e)) == 1) {
      if (gp->len + HST_EVENT_MAX > HST_PACK_MAX && group_flush(&k, gp) < 0) { werr = tmp; break; }
      e.seq = epoch(&cs, e.seq);
      if (e.kind == HST_EV_MARK) e.cut = epoch(&cs, e.cut);
      group_add(gp, &e);
    }
    if (werr) break;
    if (r < 0) {
      snprintf(err, errlen, "%s: corrupt events in the chunk at offset %llu", path,
               (unsigned long long)off);
      bad = 1;
    }
  }
  for (int i = 0; i < OPEN_GROUPS && !bad && !werr; i++)
    if (group_flush(&k, &gs[i]) < 0) werr = tmp;
  if (werr) {
    snprintf(err, errlen, "cannot write %s: %s", werr, strerror(errno));
    bad = 1;
  }
  if (!bad && r < 0) bad = 1;
  uint64_t w = k.w, raw = k.raw;
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
  for (int i = 0; i < OPEN_GROUPS; i++) {
    hs_tally_free(&gs[i].tally);
    free(gs[i].ev);
  }
  free(ev);
  free(cs.v);
  free(k.z);
  free(k.sum);
  ZSTD_freeCCtx(k.cctx);
  hst_close(&t);
  return bad ? -1 : 0;
}
