/*
 * zout.c: see zout.h. Text is gathered in a 64 KiB buffer and handed to
 * the compressor (zlib with a gzip header, or libzstd's streaming API)
 * or to fwrite when it fills and at the close.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "analyze/zout.h"
#include "common/util.h"

#define ZOUT_BUF 65536

struct hs_zout {
  FILE *out;
  enum hs_zcodec codec;
  z_stream gz;
  ZSTD_CCtx *zs;
  int failed;               /* sticky; the message is in why */
  char why[96];
  size_t len;
  uint8_t buf[ZOUT_BUF];
  uint8_t cbuf[ZOUT_BUF];   /* compressed bytes on their way to out */
};

enum hs_zcodec hs_zcodec_of(const char *path) {
  size_t n = path ? strlen(path) : 0;
  if (n > 4 && !strcmp(path + n - 4, ".zst")) return HS_Z_ZSTD;
  if (n > 3 && !strcmp(path + n - 3, ".gz")) return HS_Z_GZIP;
  return HS_Z_PLAIN;
}

static void fail(struct hs_zout *z, const char *why) {
  if (!z->failed) snprintf(z->why, sizeof z->why, "%s", why);
  z->failed = 1;
}

static void put(struct hs_zout *z, const void *p, size_t n) {
  if (n && !z->failed && fwrite(p, 1, n, z->out) != n) fail(z, "writing the file failed");
}

/* Compresses z->buf[0, len); with finish, ends the stream. */
static void drain(struct hs_zout *z, int finish) {
  if (z->failed) return;
  if (z->codec == HS_Z_PLAIN) {
    put(z, z->buf, z->len);
  } else if (z->codec == HS_Z_GZIP) {
    z->gz.next_in = z->buf;
    z->gz.avail_in = (uInt)z->len;
    int rc;
    do {
      z->gz.next_out = z->cbuf;
      z->gz.avail_out = sizeof z->cbuf;
      rc = deflate(&z->gz, finish ? Z_FINISH : Z_NO_FLUSH);
      put(z, z->cbuf, sizeof z->cbuf - z->gz.avail_out);
    } while (!z->failed && (finish ? rc == Z_OK : z->gz.avail_in > 0) );
    if (finish && rc != Z_STREAM_END) fail(z, "gzip compression failed");
  } else {
    ZSTD_inBuffer in = { z->buf, z->len, 0 };
    size_t left;
    do {
      ZSTD_outBuffer o = { z->cbuf, sizeof z->cbuf, 0 };
      left = ZSTD_compressStream2(z->zs, &o, &in, finish ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(left)) { fail(z, "zstd compression failed"); break; }
      put(z, z->cbuf, o.pos);
    } while (!z->failed && (finish ? left != 0 : in.pos < in.size));
  }
  z->len = 0;
}

struct hs_zout *hs_zout_open(FILE *out, enum hs_zcodec codec, char *err, size_t errlen) {
  struct hs_zout *z = hs_xcalloc(1, sizeof *z);
  z->out = out;
  z->codec = codec;
  if (codec == HS_Z_GZIP &&
      deflateInit2(&z->gz, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    snprintf(err, errlen, "cannot start gzip compression");
    free(z);
    return NULL;
  }
  if (codec == HS_Z_ZSTD && !(z->zs = ZSTD_createCCtx())) {
    snprintf(err, errlen, "cannot start zstd compression");
    free(z);
    return NULL;
  }
  return z;
}

void hs_zout_write(struct hs_zout *z, const void *p, size_t n) {
  const uint8_t *s = p;
  while (n && !z->failed) {
    size_t k = ZOUT_BUF - z->len < n ? ZOUT_BUF - z->len : n;
    memcpy(z->buf + z->len, s, k);
    z->len += k, s += k, n -= k;
    if (z->len == ZOUT_BUF) drain(z, 0);
  }
}

void hs_zout_printf(struct hs_zout *z, const char *fmt, ...) {
  char line[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return fail(z, "formatting a line failed");
  if ((size_t)n < sizeof line) return hs_zout_write(z, line, (size_t)n);
  char *big = hs_xmalloc((size_t)n + 1);   /* a long string: rare */
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  hs_zout_write(z, big, (size_t)n);
  free(big);
}

int hs_zout_close(struct hs_zout *z, char *err, size_t errlen) {
  drain(z, 1);
  if (z->codec == HS_Z_GZIP) deflateEnd(&z->gz);
  ZSTD_freeCCtx(z->zs);
  int rc = z->failed ? -1 : 0;
  if (rc) snprintf(err, errlen, "%s", z->why);
  free(z);
  return rc;
}

int hs_zout_all(FILE *out, enum hs_zcodec codec, const void *p, size_t n, char *err,
                size_t errlen) {
  struct hs_zout *z = hs_zout_open(out, codec, err, errlen);
  if (!z) return -1;
  hs_zout_write(z, p, n);
  return hs_zout_close(z, err, errlen);
}
