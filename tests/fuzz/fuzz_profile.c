/*
 * fuzz_profile.c: libFuzzer harness for the profile reader
 * (src/profile/hsp_read.c). Each input becomes a profile file, which is
 * opened and walked the way the analyzer walks it: live blocks, their
 * stacks and verdicts, every recorded stack, modules, marks, timeline,
 * family totals, samples. The reader must reject or survive anything:
 * any crash, out-of-bounds read (ASan), hang (-timeout) or runaway
 * allocation (-rss_limit_mb, -malloc_limit_mb) is a bug in the reader.
 *
 * Real profiles are sparse ~2 MB files of which a few KB are not zero, so
 * an input is either
 *   - the raw file bytes, or
 *   - "HSPZ", u32 file size (at most 16 MB), then chunks of
 *     { u32 offset, u16 length, bytes }: the file is that many zero bytes
 *     with the chunks written over them (tests/fuzz/mkseed.py makes seeds
 *     in this form from real profiles, so mutations land on real records).
 *
 * Build (tests/cases/t1200-fuzz-profile.sh does):
 *   clang -g -O1 -fsanitize=fuzzer,address -D_GNU_SOURCE -Isrc/profile \
 *     tests/fuzz/fuzz_profile.c src/profile/hsp_read.c -o fuzz_profile
 *
 * Must never: write anywhere but its own memfd, or keep state between
 * inputs beyond that descriptor.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "profile/hsp_read.h"

#define MAX_FILE (16u << 20)

static int fd = -1;
static char path[64];
static volatile uint64_t sink;   /* keeps the reads the harness makes */

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }

/* Materialize the input as the file at path; returns 0 on success. */
static int materialize(const uint8_t *data, size_t size) {
  if (ftruncate(fd, 0) < 0) return -1;
  if (size < 8 || memcmp(data, "HSPZ", 4) != 0)
    return pwrite(fd, data, size, 0) == (ssize_t)size ? 0 : -1;
  uint32_t fsize = rd32(data + 4);
  if (fsize > MAX_FILE) fsize = MAX_FILE;
  if (ftruncate(fd, fsize) < 0) return -1;
  for (size_t i = 8; i + 6 <= size;) {
    uint32_t off = rd32(data + i);
    uint16_t len = rd16(data + i + 4);
    i += 6;
    if (len > size - i) len = (uint16_t)(size - i);
    if (off < fsize) {
      uint32_t n = fsize - off < len ? fsize - off : len;
      if (pwrite(fd, data + i, n, off) != (ssize_t)n) return -1;
    }
    i += len;
  }
  return 0;
}

static void touch(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t s = 0;
  for (size_t i = 0; i < n; i++) s += b[i];
  sink += s;
}

static void walk_stack(const struct hsp_profile *p, uint32_t id) {
  const struct hsp_stack *s = hsp_stack(p, id);
  if (!s) return;
  uint64_t pc[HSP_STACK_MAX_DEPTH];
  uint32_t n = hsp_stack_frames(p, s, pc, HSP_STACK_MAX_DEPTH);
  sink += s->allocs + s->bytes;
  for (uint32_t i = 0; i < n; i++) sink += pc[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (fd < 0) {
    fd = memfd_create("fuzz-profile", 0);
    if (fd < 0) abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (materialize(data, size) < 0) return 0;

  struct hsp_profile p;
  char err[1200];
  if (hsp_open(&p, path, err, sizeof err) < 0) {
    if (!err[0] || !memchr(err, 0, sizeof err)) abort();   /* a message, always */
    return 0;
  }
  struct hsp_block *b = NULL;
  size_t n = hsp_live_blocks(&p, &b);
  for (size_t i = 0; i < n; i++) {
    walk_stack(&p, b[i].stack);
    sink += hsp_verdict_for(&p, b[i].ptr);
    sink += HSP_BLOCK_SIZE(&b[i]) + HSP_BLOCK_FAMILY(&b[i]);
  }
  free(b);

  uint32_t *ids = NULL;
  size_t nids = hsp_stack_ids(&p, &ids);
  for (size_t i = 0; i < nids; i++) walk_stack(&p, ids[i]);
  free(ids);

  const struct hsp_module *mods[256];
  size_t nm = hsp_modules(&p, mods, 256);
  for (size_t i = 0; i < nm && i < 256; i++) {
    touch(mods[i]->build_id, mods[i]->build_id_len);
    sink += strlen(mods[i]->path) + mods[i]->start + mods[i]->end + mods[i]->base;
  }

  const struct hsp_mark *marks[256];
  size_t nk = hsp_marks(&p, marks, 256);
  for (size_t i = 0; i < nk && i < 256; i++)
    sink += strlen(marks[i]->name) + marks[i]->t_ms + marks[i]->in_use_bytes;

  const struct hsp_tick *t;
  size_t nt = hsp_timeline(&p, &t);
  for (size_t i = 0; i < nt; i++) sink += t[i].t_ms + (uint64_t)t[i].heap_bytes + t[i].rss_bytes;

  struct hsp_family_counts fam[HSP_MAX_FAMILIES];
  hsp_family_totals(&p, fam);
  sink += fam[0].allocs + fam[HSP_MAX_FAMILIES - 1].in_use_bytes;

  /* samples as the analyzer's model reads them */
  uint64_t count = p.hdr->samples_count;
  const struct hsp_sample *s = count < (1ull << 32)
      ? hsp_at(&p, p.hdr->samples_off, count * sizeof *s) : NULL;
  for (uint64_t i = 0; s && i < count; i++)
    if (s[i].len <= HSP_SAMPLE_BYTES) touch(s[i].data, s[i].len);

  touch(p.hdr->program, strnlen(p.hdr->program, sizeof p.hdr->program));
  hsp_close(&p);
  return 0;
}
