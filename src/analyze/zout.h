/*
 * zout.h: a buffered output stream onto a FILE that compresses what is
 * written (gzip or zstd) or passes it through, for exports that other
 * tools read compressed (heaptrack's .zst/.gz data files).
 *
 * Errors are sticky: after the first failed write or compression step
 * every call is a no-op and hs_zout_close reports it. Must never write
 * anything to the FILE but the one compressed (or plain) stream, nor
 * close the FILE (the caller owns it).
 */
#ifndef HS_ZOUT_H
#define HS_ZOUT_H

#include <stddef.h>
#include <stdio.h>

enum hs_zcodec { HS_Z_PLAIN, HS_Z_GZIP, HS_Z_ZSTD };

/* The codec a file name asks for: ".zst" zstd, ".gz" gzip, else plain
 * (and plain for NULL, a pipe). */
enum hs_zcodec hs_zcodec_of(const char *path);

struct hs_zout;

/* NULL only if the compressor cannot start (err set). */
struct hs_zout *hs_zout_open(FILE *out, enum hs_zcodec codec, char *err, size_t errlen);
void hs_zout_write(struct hs_zout *z, const void *p, size_t n);
void hs_zout_printf(struct hs_zout *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Finishes the stream and frees z; 0, or -1 with err set. */
int hs_zout_close(struct hs_zout *z, char *err, size_t errlen);

/* One buffer compressed whole (gzip when gzip, else plain) onto out:
 * hs_zout_open, write, close. */
int hs_zout_all(FILE *out, enum hs_zcodec codec, const void *p, size_t n, char *err,
                size_t errlen);

#endif
