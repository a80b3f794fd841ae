/*
 * spy_records.c: the live blocks a spied process keeps beside themselves
 * instead of in its profile's table (struct hsp_records: exact mode's and
 * --check's records), read from the process's memory, for the commands
 * that look at a live process (`heapspy heap`, `maps`), or from a core
 * file of it (`heapspy heap CORE`).
 *
 * The bitmap says where a record lies; each record is believed only if
 * its seal holds (the process may have written over it, or freed the
 * block since the read of its bit if it runs).
 *
 * Must never: write to the process, or trust a pointer read from it
 * beyond what the read (process_vm_readv, the core's segments) lets
 * through.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "common/util.h"
#include "inspect/spy_records.h"

static int live_read(void *ctx, uint64_t addr, void *buf, size_t len) {
  pid_t pid = *(const pid_t *)ctx;
  struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* Records of the bits in pairs[0, n), whose first covers base. */
static size_t region_blocks(hs_mem_read read, void *ctx, const struct hsp_records *rec, uint64_t base,
                            const struct hsp_rec_pair *pairs, uint64_t n, struct hsp_block **v,
                            size_t count, size_t *cap) {
  for (uint64_t w = 0; w < n; w++)
    for (uint64_t bits = pairs[w].live; bits; bits &= bits - 1) {
      uint64_t user = base + (w << 10) + ((uint64_t)__builtin_ctzll(bits) << 4), r[2];
      struct hsp_block b;
      if (read(ctx, user - rec->rec_off, r, sizeof r) != 0 || !hsp_rec_decode(rec->secret, user, r, &b))
        continue;
      if (count == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        *v = hs_xrealloc(*v, *cap * sizeof **v);
      }
      (*v)[count++] = b;
    }
  return count;
}

size_t hs_spy_records_append_from(hs_mem_read read, void *ctx, const struct hsp_header *h,
                                  struct hsp_block **v, size_t n) {
  const struct hsp_records *rec = &h->records;
  if (!(h->flags & HSP_FLAG_RECORDS) || !rec->top_addr || !rec->rec_off) return n;
  uint64_t *top = hs_xcalloc(HSP_REC_TOP, sizeof *top);
  size_t cap = n;
  if (read(ctx, rec->top_addr, top, HSP_REC_TOP * sizeof *top) == 0) {
    for (uint64_t i = 0; i < HSP_REC_TOP; i++) {
      uint64_t head[2], words = (1ull << HSP_REC_SHIFT) >> 10;   /* lo, hi */
      if (!top[i] || read(ctx, top[i], head, sizeof head) != 0) continue;
      if (head[0] >= head[1] || head[1] > words) continue;
      uint64_t len = (head[1] - head[0]) * sizeof(struct hsp_rec_pair);
      struct hsp_rec_pair *pairs = hs_xmalloc(len);
      if (read(ctx, top[i] + offsetof(struct hsp_rec_region, w) + head[0] * sizeof *pairs, pairs,
               len) == 0)
        n = region_blocks(read, ctx, rec, (i << HSP_REC_SHIFT) + (head[0] << 10), pairs, head[1] - head[0], v,
                          n, &cap);
      free(pairs);
    }
  }
  free(top);
  return n;
}

size_t hs_spy_records_append(pid_t pid, const struct hsp_header *h, struct hsp_block **v, size_t n) {
  return hs_spy_records_append_from(live_read, &pid, h, v, n);
}
