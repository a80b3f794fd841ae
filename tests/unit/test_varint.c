/*
 * test_varint.c: the trace codec, its encoder (src/profile/hst_codec.h:
 * hst_put, hst_zigzag, hst_enc_head, hst_enc_block) against its decoder
 * (src/profile/hst_read.c: hst_cursor_next). Checks the exact bytes and
 * lengths of varints (0, 1, 127, 128, 2^14, 2^32, 2^63, 2^64-1) and of
 * zigzag codes, round trips of extreme sizes, address deltas and stack
 * deltas through whole events, the exact bytes of a small raw chunk (tag
 * bits, deltas, gaps, a varint family, a mark), the longest events
 * against HST_EVENT_MAX, and that every truncation or corruption of an
 * event is refused (-1) without reading past the buffer. Prints TAP.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "profile/hst_codec.h"
#include "profile/hst_read.h"
#include "tap.h"

/* The bytes as "80 01". */
static const char *hex(const uint8_t *p, size_t n) {
  static char out[3 * 160];
  size_t o = 0;
  for (size_t i = 0; i < n && o + 4 < sizeof out; i++)
    o += (size_t)snprintf(out + o, sizeof out - o, "%s%02x", i ? " " : "", p[i]);
  out[o] = 0;
  return out;
}

static void put_is(uint64_t v, const char *bytes) {
  uint8_t buf[16];
  size_t n = (size_t)(hst_put(buf, v) - buf);
  is_str(hex(buf, n), bytes, "varint %" PRIu64 " is %s", v, bytes);
}

/* A raw chunk's cursor state and the encoder's, both at the chunk's start. */
static struct hst_chunk chunk(uint32_t flags) {
  return (struct hst_chunk){ .magic = HST_CHUNK_MAGIC, .t_first = 100, .seq_first = 10,
                             .flags = flags };
}
static struct hst_enc enc_for(const struct hst_chunk *c) {
  uint32_t inc = (c->flags & HST_CHUNK_EPOCHS) ? 0 : 1;
  return (struct hst_enc){ .t = c->t_first, .seq = c->seq_first - inc, .inc = inc };
}

/* One ALLOC event of the given size, address and stack: encoded, then
 * decoded; returns 1 if it decodes to exactly that. */
static int alloc_round_trip(uint64_t addr, uint64_t size, uint32_t stack) {
  struct hst_chunk c = chunk(0);
  struct hst_enc s = enc_for(&c);
  uint8_t buf[HST_EVENT_MAX];
  uint8_t *p = hst_enc_head(&s, buf, HST_EV_ALLOC, 0, 0, 100, 10);
  p = hst_enc_block(&s, p, 1, addr, size, stack);
  struct hst_cursor k;
  struct hst_event e;
  hst_cursor_init(&k, &c, buf, (size_t)(p - buf));
  int r = hst_cursor_next(&k, &e);
  int good = r == 1 && e.kind == HST_EV_ALLOC && e.addr == addr && e.size == size &&
             e.stack == stack && hst_cursor_next(&k, &e) == 0;
  if (!good)
    diag("r %d, addr 0x%" PRIx64 ", size %" PRIu64 ", stack %u", r, e.addr, e.size, e.stack);
  return good;
}

/* Events one after another, as the spy writes a raw chunk. */
static uint8_t stream[512];
static size_t stream_len;
static struct hst_enc stream_enc;

static size_t ev_alloc(unsigned family, uint32_t t, uint64_t seq, uint64_t addr, uint64_t size,
                       uint32_t stack) {
  uint8_t *start = stream + stream_len;
  uint8_t *p = hst_enc_head(&stream_enc, start, HST_EV_ALLOC, family, 0, t, seq);
  p = hst_enc_block(&stream_enc, p, 1, addr, size, stack);
  stream_len = (size_t)(p - stream);
  return (size_t)(p - start);
}
static size_t ev_free(unsigned family, int realloc, uint32_t t, uint64_t seq, uint64_t addr,
                      uint64_t size, uint32_t stack, uint32_t age) {
  uint8_t *start = stream + stream_len;
  uint8_t *p = hst_enc_head(&stream_enc, start, HST_EV_FREE, family, realloc, t, seq);
  p = hst_put(hst_enc_block(&stream_enc, p, 1, addr, size, stack), age);
  stream_len = (size_t)(p - stream);
  return (size_t)(p - start);
}
static size_t ev_mark(uint32_t t, uint64_t seq, uint64_t cut, const char *name) {
  uint8_t *start = stream + stream_len;
  uint8_t *p = hst_enc_head(&stream_enc, start, HST_EV_MARK, 0, 0, t, seq);
  size_t n = strlen(name);
  p = hst_put(hst_put(p, cut), n);
  memcpy(p, name, n);
  stream_len = (size_t)(p + n - stream);
  return (size_t)(p + n - start);
}

/* Decoding buf[0..len) as a raw chunk: the first event's result. */
static int decode_one(const uint8_t *buf, size_t len, struct hst_event *e) {
  struct hst_chunk c = chunk(0);
  struct hst_cursor k;
  hst_cursor_init(&k, &c, buf, len);
  return hst_cursor_next(&k, e);
}

int main(void) {
  /* ---- varints: exact bytes ---- */
  put_is(0, "00");
  put_is(1, "01");
  put_is(127, "7f");
  put_is(128, "80 01");
  put_is(300, "ac 02");
  put_is(16383, "ff 7f");
  put_is(16384, "80 80 01");
  put_is(1ull << 32, "80 80 80 80 10");
  put_is(UINT32_MAX, "ff ff ff ff 0f");
  put_is(1ull << 63, "80 80 80 80 80 80 80 80 80 01");
  put_is(UINT64_MAX, "ff ff ff ff ff ff ff ff ff 01");

  /* ---- zigzag: small magnitudes first, either sign ---- */
  is_u64(hst_zigzag(0), 0, "zigzag 0 is 0");
  is_u64(hst_zigzag(-1), 1, "zigzag -1 is 1");
  is_u64(hst_zigzag(1), 2, "zigzag 1 is 2");
  is_u64(hst_zigzag(-2), 3, "zigzag -2 is 3");
  is_u64(hst_zigzag(-64), 127, "zigzag -64 is 127: one byte");
  is_u64(hst_zigzag(64), 128, "zigzag 64 is 128: two bytes");
  is_u64(hst_zigzag(INT64_MAX), UINT64_MAX - 1, "zigzag INT64_MAX is 2^64-2");
  is_u64(hst_zigzag(INT64_MIN), UINT64_MAX, "zigzag INT64_MIN is 2^64-1");

  /* ---- round trips through whole events ---- */
  static const uint64_t sizes[] = { 0, 1, 127, 128, 1ull << 32, UINT64_MAX };
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    ok(alloc_round_trip(0x1000, sizes[i], 1), "size %" PRIu64 " round-trips", sizes[i]);
  static const uint64_t addrs[] = { 0, 1, 0x7fffffffffffull, 1ull << 63, UINT64_MAX };
  for (size_t i = 0; i < sizeof addrs / sizeof *addrs; i++)
    ok(alloc_round_trip(addrs[i], 16, 1), "address 0x%" PRIx64 " (a delta from 0) round-trips",
       addrs[i]);
  ok(alloc_round_trip(0, 16, UINT32_MAX), "stack id 2^32-1 (delta +2^32-1) round-trips");

  /* ---- a raw chunk, byte for byte ---- */
  struct hst_chunk c = chunk(0);
  stream_enc = enc_for(&c);
  size_t n1 = ev_alloc(0, 100, 10, 0x1000, 16, 5);
  is_str(hex(stream, n1), "00 80 40 10 0a",
         "ALLOC, same time, next seq: tag 00, addr +0x1000, size 16, stack +5");
  size_t n2 = ev_free(1, 1, 103, 12, 0x1000, 16, 5, 3);
  is_str(hex(stream + n1, n2), "3d 03 01 00 10 00 03",
         "FREE in a realloc, family 1, 3 ms later, seq gap 1: tag 3d, dt 3, gap 1, deltas 0, age 3");
  size_t n3 = ev_mark(103, 13, 13, "half");
  is_str(hex(stream + n1 + n2, n3), "02 0d 04 68 61 6c 66", "MARK: tag 02, cut 13, \"half\"");
  size_t n4 = ev_alloc(9, 103, 14, 0xfe0, 1, 4);
  is_str(hex(stream + n1 + n2 + n3, n4), "e0 09 3f 01 01",
         "family 9: tag e0 then varint 9; addr -0x20 is zigzag 3f; stack -1 is 01");

  struct hst_cursor k;
  struct hst_event e;
  hst_cursor_init(&k, &c, stream, stream_len);
  ok(hst_cursor_next(&k, &e) == 1 && e.kind == HST_EV_ALLOC && e.family == 0 && !e.realloc &&
     e.t == 100 && e.seq == 10 && e.addr == 0x1000 && e.size == 16 && e.stack == 5 &&
     e.alloc_t == 100, "event 1 decodes: ALLOC 0x1000, 16 bytes, stack 5, t 100, seq 10");
  ok(hst_cursor_next(&k, &e) == 1 && e.kind == HST_EV_FREE && e.family == 1 && e.realloc &&
     e.t == 103 && e.seq == 12 && e.addr == 0x1000 && e.size == 16 && e.stack == 5 &&
     e.alloc_t == 100, "event 2 decodes: FREE (realloc) of family 1 at 103, seq 12, allocated at 100");
  ok(hst_cursor_next(&k, &e) == 1 && e.kind == HST_EV_MARK && e.t == 103 && e.seq == 13 &&
     e.cut == 13 && !strcmp(e.name, "half"), "event 3 decodes: MARK 'half', cut 13");
  ok(hst_cursor_next(&k, &e) == 1 && e.kind == HST_EV_ALLOC && e.family == 9 && e.seq == 14 &&
     e.addr == 0xfe0 && e.size == 1 && e.stack == 4, "event 4 decodes: family 9, 0xfe0, stack 4");
  is_int(hst_cursor_next(&k, &e), 0, "then the end of the chunk");

  /* ---- packed chunks: no addresses, seq as epochs (grows by 0) ---- */
  struct hst_chunk pc = chunk(HST_CHUNK_NOADDR | HST_CHUNK_EPOCHS);
  struct hst_enc ps = enc_for(&pc);
  uint8_t pbuf[64], *p = pbuf;
  p = hst_enc_block(&ps, hst_enc_head(&ps, p, HST_EV_ALLOC, 0, 0, 100, 10), 0, 0, 48, 7);
  p = hst_enc_block(&ps, hst_enc_head(&ps, p, HST_EV_ALLOC, 0, 0, 100, 10), 0, 0, 48, 7);
  is_str(hex(pbuf, (size_t)(p - pbuf)), "00 30 0e 00 30 00",
         "packed: two ALLOCs in one epoch, no address, no gap");
  hst_cursor_init(&k, &pc, pbuf, (size_t)(p - pbuf));
  ok(hst_cursor_next(&k, &e) == 1 && e.seq == 10 && e.addr == 0 && e.size == 48 && e.stack == 7 &&
     hst_cursor_next(&k, &e) == 1 && e.seq == 10 && e.size == 48 && e.stack == 7 &&
     hst_cursor_next(&k, &e) == 0, "packed: both decode with epoch 10, address 0, stack 7");

  /* ---- the longest events fit HST_EVENT_MAX ---- */
  stream_len = 0;
  stream_enc = (struct hst_enc){ .addr = 0, .seq = 0, .stack = UINT32_MAX, .t = 0, .inc = 1 };
  size_t worst = ev_free(0xffff, 1, UINT32_MAX, 0, 1ull << 63, UINT64_MAX, 0, UINT32_MAX);
  is_int((long long)worst, 49,
         "longest FREE: tag, dt 5, gap 10, family 3, addr 10, size 10, stack 5, age 5 = 49 bytes");
  stream_len = 0;
  stream_enc = (struct hst_enc){ .seq = 0, .inc = 1 };
  size_t wmark = ev_mark(UINT32_MAX, 0, UINT64_MAX, "123456789012345678901234567890123456789012345678901234567890123");
  is_int((long long)wmark, 90, "longest MARK: tag, dt 5, gap 10, cut 10, length 1, 63 bytes = 90");
  ok(worst <= HST_EVENT_MAX && wmark <= HST_EVENT_MAX, "both within HST_EVENT_MAX (%d)",
     HST_EVENT_MAX);

  /* ---- truncated and corrupt events are refused ---- */
  long page = sysconf(_SC_PAGESIZE);
  uint8_t *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED || mprotect(map + page, page, PROT_NONE)) { perror("mmap"); return 1; }
  /* event 2 (the FREE) decoded alone: 7 bytes; every shorter prefix ends
   * at the inaccessible page */
  uint8_t free_ev[] = { 0x3d, 0x03, 0x01, 0x00, 0x10, 0x00, 0x03 };
  int all = 1;
  for (size_t len = 1; len < sizeof free_ev; len++) {
    memcpy(map + page - len, free_ev, len);
    int r = decode_one(map + page - len, len, &e);
    if (r != -1) { diag("a prefix of %zu bytes gave %d", len, r); all = 0; }
  }
  ok(all, "each of the 6 truncations of a 7-byte FREE is refused, nothing read past it");
  memcpy(map + page - sizeof free_ev, free_ev, sizeof free_ev);
  ok(decode_one(map + page - sizeof free_ev, sizeof free_ev, &e) == 1 && e.alloc_t == 100,
     "the whole event, ending at the page's end, decodes");
  is_int(decode_one(map + page, 0, &e), 0, "an empty buffer is the end, not an event");
  static const uint8_t mark_cut[] = { 0x02, 0x0d, 0x04, 'h', 'a', 'l' };
  memcpy(map + page - sizeof mark_cut, mark_cut, sizeof mark_cut);
  is_int(decode_one(map + page - sizeof mark_cut, sizeof mark_cut, &e), -1,
         "a MARK whose name runs past the buffer is refused");
  static const uint8_t long_name[] = { 0x02, 0x00, 0x40 };
  is_int(decode_one(long_name, sizeof long_name, &e), -1, "a MARK name of 64 bytes is refused");
  static const uint8_t eleven[] = { 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                    0x80, 0x80, 0x80, 0x80, 0x01, 0x01, 0x01 };
  is_int(decode_one(eleven, sizeof eleven, &e), -1, "an 11-byte varint is refused");
  static const uint8_t above[] = { 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0x02, 0x00 };
  is_int(decode_one(above, sizeof above, &e), -1, "a varint above 2^64-1 (10th byte 02) is refused");
  static const uint8_t max_size[] = { 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0x01, 0x00 };
  ok(decode_one(max_size, sizeof max_size, &e) == 1 && e.size == UINT64_MAX,
     "while 2^64-1 (10th byte 01) is read");
  static const uint8_t old_age[] = { 0x01, 0x00, 0x10, 0x00, 0x65 };
  is_int(decode_one(old_age, sizeof old_age, &e), -1,
         "a FREE aged 101 ms at t 100 (allocated before the start) is refused");
  static const uint8_t neg_stack[] = { 0x00, 0x00, 0x10, 0x01 };
  is_int(decode_one(neg_stack, sizeof neg_stack, &e), -1, "a stack delta below id 0 is refused");
  static const uint8_t big_family[] = { 0xe0, 0x80, 0x80, 0x04, 0x00, 0x10, 0x00 };
  is_int(decode_one(big_family, sizeof big_family, &e), -1, "a family above 0xffff is refused");
  munmap(map, 2 * page);
  return done_testing();
}
