/*
 * fuzz_trace.c: libFuzzer harness for the trace reader
 * (src/profile/hst_read.c). Each input is a PROFILE.trace file, opened and
 * walked the way `heapspy report --at/--between/--trace-stats` walk it:
 * every chunk header, every chunk's index, every event. The reader must
 * reject or survive anything: any crash, out-of-bounds read (ASan), hang
 * (-timeout) or runaway allocation is a bug in the reader.
 *
 * Build (tests/cases/t1205-fuzz-trace.sh does):
 *   clang -g -O1 -fsanitize=fuzzer,address -D_GNU_SOURCE -Isrc/profile \
 *     tests/fuzz/fuzz_trace.c src/profile/hst_read.c -lzstd -o fuzz_trace
 *
 * Must never: write anywhere but its own memfd.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "profile/hst_read.h"

static int fd = -1;
static char path[64];
static volatile uint64_t sink;
static uint8_t buf[HST_PACK_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (fd < 0) {
    fd = memfd_create("trace", 0);
    if (fd < 0) abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size) abort();
  struct hst_trace t;
  char err[1200];
  if (hst_open(&t, path, err, sizeof err) < 0) return 0;
  uint64_t pos = 0, off;
  struct hst_chunk c;
  for (int n = 0; n < 4096 && hst_next_chunk(&t, &pos, &off, &c, err, sizeof err) == 1; n++) {
    struct hst_sum *sum = malloc((c.nsummary + 1) * sizeof *sum);
    if (sum && hst_chunk_summary(&t, off, &c, sum, err, sizeof err) == 0)
      for (uint32_t i = 0; i < c.nsummary; i++) sink += (uint64_t)sum[i].bytes + sum[i].stack;
    free(sum);
    long len = hst_chunk_events(&t, off, &c, buf, err, sizeof err);
    if (len < 0) continue;
    struct hst_cursor k;
    struct hst_event e;
    hst_cursor_init(&k, &c, buf, (size_t)len);
    while (hst_cursor_next(&k, &e) == 1) sink += e.size + e.stack + e.t + e.cut;
  }
  hst_close(&t);
  return 0;
}
