/*
 * hst_read.h: a validating reader for PROFILE.trace (hst_format.h). Like
 * hsp_read it never trusts the file: every chunk, length and varint is
 * bounds-checked, so a truncated or corrupted trace yields a one-line
 * error naming what is wrong, never a crash or a hang.
 *
 * The file is read with pread one chunk at a time, never mapped whole:
 * a 10 GB trace costs one chunk buffer, and pages already read do not
 * stay in the reader's RSS.
 */
#ifndef HST_READ_H
#define HST_READ_H

#include <stddef.h>
#include <stdint.h>
#include "profile/hst_format.h"

struct hst_trace {
  int fd;
  uint64_t size;            /* bytes of the file */
  uint64_t end;             /* chunks lie below this */
  struct hst_header hdr;
  char path[1024];
};

/* Opens and validates path's header. Returns 0, or -1 with err set. */
int hst_open(struct hst_trace *t, const char *path, char *err, size_t errlen);
void hst_close(struct hst_trace *t);

/* The chunk header at *pos (start: t->hdr.header_size); advances *pos to
 * the next chunk. Returns 1, 0 at the end, -1 with err set. */
int hst_next_chunk(struct hst_trace *t, uint64_t *pos, uint64_t *off, struct hst_chunk *c,
                   char *err, size_t errlen);

/* The chunk's events, decompressed into buf (HST_PACK_MAX bytes).
 * Returns their length, or -1 with err set. */
long hst_chunk_events(struct hst_trace *t, uint64_t off, const struct hst_chunk *c,
                      uint8_t *buf, char *err, size_t errlen);

/* A packed chunk's index: its nsummary entries into out (caller sizes it
 * by c->nsummary, which hst_next_chunk bounds). Returns 0 or -1. */
int hst_chunk_summary(struct hst_trace *t, uint64_t off, const struct hst_chunk *c,
                      struct hst_sum *out, char *err, size_t errlen);

struct hst_event {
  unsigned kind;            /* HST_EV_* */
  unsigned family;
  int realloc;              /* part of a realloc call */
  uint32_t t;               /* ms since start */
  uint64_t seq;
  uint64_t addr, size;      /* addr: 0 in packed chunks */
  uint32_t stack;
  uint32_t alloc_t;         /* FREE, RESTORE: the block's allocation time */
  uint64_t cut;             /* MARK */
  char name[HST_NAME_MAX + 1];
};

struct hst_cursor {
  const uint8_t *p, *end;
  int addrs;                /* events carry addresses (raw chunks) */
  uint32_t inc;             /* seq step without a gap: 1, or 0 with epochs */
  uint64_t addr, seq;
  uint32_t stack, t;
};
void hst_cursor_init(struct hst_cursor *k, const struct hst_chunk *c, const uint8_t *ev,
                     size_t len);
/* Returns 1 with *e filled, 0 at the end, -1 if the bytes are corrupt. */
int hst_cursor_next(struct hst_cursor *k, struct hst_event *e);

/* PROFILE + ".trace" into buf. */
void hst_path_of(const char *profile, char *buf, size_t cap);

#endif
