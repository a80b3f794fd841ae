/*
 * attach_census.c: the census of the heap at attach (attach_census.h).
 * Two walks: one at the safe point where the process is made to dlopen
 * the spy, one where it is made to start it. A block in the second but
 * not the first was allocated in between: by the loader for the spy, or
 * by the program in those few milliseconds; both are left out (counted).
 *
 * Must never: die between the stop and the resume (hs_die there would
 * leave the process to target_stop's emergency path).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/attach_census.h"
#include "common/util.h"
#include "profile/hsp_format.h"

void hs_attach_census_init(struct hs_attach_census *c, pid_t pid,
                           const struct hs_attach_census *base, int fd) {
  memset(c, 0, sizeof *c);
  c->base = base;
  c->fd = fd;
  c->written = -1;
  if (base) {                          /* the same process: its libc is known */
    c->libc = base->libc;
    c->usable = base->taken;
    if (!c->usable) snprintf(c->why, sizeof c->why, "%s", base->why);
    return;
  }
  struct hs_target t;
  if (hs_target_open_live(&t, pid) != 0) {
    snprintf(c->why, sizeof c->why, "the process's memory cannot be read");
    return;
  }
  char msg[1400];
  enum hs_libc_status st = hs_libc_locate(&t, 0, &c->libc, msg, sizeof msg);
  c->usable = st == HS_LIBC_OK || st == HS_LIBC_NO_ARENA;
  c->arena_later = st == HS_LIBC_NO_ARENA;
  if (!c->usable) snprintf(c->why, sizeof c->why, "%.299s", msg);
  hs_target_close(&t);
}

/* at's blocks that were also in before_load (same address and size) to
 * fd as struct hsp_before records; the others are counted as left out.
 * Returns the records written, or -1. */
static long write_census(const struct hs_attach_census *at,
                         const struct hs_attach_census *before_load, int fd,
                         uint64_t *left_blocks, uint64_t *left_bytes) {
  *left_blocks = *left_bytes = 0;
  if (!at->taken || !before_load->taken) return -1;
  struct hsp_before *out = hs_xmalloc((at->n + 1) * sizeof *out);
  size_t n = 0, j = 0;
  for (size_t i = 0; i < at->n; i++) {       /* both sorted by address */
    while (j < before_load->n && before_load->addr[j] < at->addr[i]) j++;
    if (j < before_load->n && before_load->addr[j] == at->addr[i] &&
        before_load->size[j] == at->size[i]) {
      out[n++] = (struct hsp_before){ .ptr = at->addr[i], .size = at->size[i] };
    } else {
      ++*left_blocks;
      *left_bytes += at->size[i];
    }
  }
  size_t bytes = n * sizeof *out, done = 0;
  while (done < bytes) {
    ssize_t w = write(fd, (const char *)out + done, bytes - done);
    if (w <= 0) break;
    done += (size_t)w;
  }
  free(out);
  return done == bytes ? (long)n : -1;
}

void hs_attach_census_take(struct hs_target *t, void *ctx) {
  struct hs_attach_census *c = ctx;
  if (!c->usable || c->taken) return;
  double t0 = hs_now();
  if (c->arena_later && hs_libc_search_arena(t, &c->libc) != 0) {
    snprintf(c->why, sizeof c->why, "glibc's main_arena was not found");
    c->usable = 0;
    return;
  }
  c->arena_later = 0;
  struct hs_heap h;
  memset(&h, 0, sizeof h);
  hs_heap_walk(t, &c->libc, 0, &h);
  if (h.nproblems) {
    snprintf(c->why, sizeof c->why, "the heap did not validate (%.200s)", h.problems[0]);
  } else {
    c->addr = hs_xmalloc((h.nblocks + 1) * sizeof *c->addr);
    c->size = hs_xmalloc((h.nblocks + 1) * sizeof *c->size);
    for (size_t i = 0; i < h.nblocks; i++) {
      c->addr[i] = h.blocks[i].addr;
      c->size[i] = h.blocks[i].usable;
    }
    c->n = h.nblocks;
    c->taken = 1;
  }
  hs_heap_free(&h);
  if (c->taken && c->base)
    c->written = write_census(c, c->base, c->fd, &c->left_blocks, &c->left_bytes);
  c->walk_ms = (hs_now() - t0) * 1000;
}

void hs_attach_census_free(struct hs_attach_census *c) {
  free(c->addr);
  free(c->size);
  c->addr = c->size = NULL;
  c->n = 0;
}
