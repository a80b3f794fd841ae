/*
 * test_profile_read.c: the profile reader never trusts the file. Builds
 * small profiles by hand (the layout of src/profile/hsp_format.h), then
 * checks that valid ones read back exactly and that truncated, corrupt,
 * cyclic and future-version ones are refused with a message naming the
 * problem. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile/hsp_read.h"
#include "tap.h"

#define SIZE (1 << 20)
static uint8_t img[SIZE];
static char path[] = "/tmp/hsp-unit-XXXXXX";

static struct hsp_header *hdr(void) { return (struct hsp_header *)img; }

/* A valid profile: 2 shards used, 3 live blocks (one duplicated as after a
 * death mid-delete), 1 stack, 2 modules, 1 mark. */
static uint64_t build(void) {
  memset(img, 0, sizeof img);
  struct hsp_header *h = hdr();
  memcpy(h->magic, HSP_MAGIC, 8);
  h->version = HSP_VERSION;
  h->header_size = HSP_HEADER_SIZE;
  h->shards_off = HSP_HEADER_SIZE;
  h->nfamilies = 3;
  uint64_t off = HSP_HEADER_SIZE + sizeof(struct hsp_shard) * HSP_SHARDS;
  struct hsp_shard *sh = (struct hsp_shard *)(img + h->shards_off);
  struct hsp_block *t = (struct hsp_block *)(img + off);
  sh[0].table_off = off;
  sh[0].capacity = 4;
  sh[0].count = 3;
  t[0] = (struct hsp_block){ 0x1000, 16 << 8 | HSP_FAM_MALLOC, 0, 5 };
  t[1] = (struct hsp_block){ 0x3000, 48 << 8 | HSP_FAM_NEW, 0, 7 };
  t[2] = (struct hsp_block){ 0x1000, 16 << 8 | HSP_FAM_MALLOC, 0, 5 };
  sh[0].fam[HSP_FAM_MALLOC] = (struct hsp_family_counts){ 10, 9, 200, 16, 1 };
  sh[1].fam[HSP_FAM_NEW] = (struct hsp_family_counts){ 3, 2, 90, 48, 1 };
  off += 4 * sizeof *t;
  struct hsp_stack *s = (struct hsp_stack *)(img + off);
  struct hsp_frame *fr = (struct hsp_frame *)(img + off + 80);
  fr[0] = (struct hsp_frame){ 0x402000, 0, 1 };           /* the outermost */
  fr[1] = (struct hsp_frame){ 0x401000, (uint32_t)((off + 80) / 16), 2 };
  s->depth = 2;
  s->leaf = (uint32_t)((off + 96) / 16);
  uint32_t sid = (uint32_t)(off / 8);
  t[0].stack = t[1].stack = t[2].stack = sid;
  off += 128;
  struct hsp_module *m1 = (struct hsp_module *)(img + off);
  h->modules_off = off;
  m1->base = 0x400000;
  m1->path_len = 4;
  memcpy(m1->path, "/bin", 5);
  off += 128;
  struct hsp_module *m2 = (struct hsp_module *)(img + off);
  m1->next_off = off;
  m2->path_len = 8;
  memcpy(m2->path, "/lib/a.so", 9);
  m2->path_len = 9;
  off += 128;
  struct hsp_mark *mk = (struct hsp_mark *)(img + off);
  h->marks_off = off;
  strcpy(mk->name, "halfway");
  mk->in_use_bytes = 64;
  off += (sizeof *mk + 7) & ~(size_t)7;
  h->arena_used = off;
  h->file_size = off;
  return off;
}

static int write_img(size_t len) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fwrite(img, 1, len, f);
  return fclose(f);
}

static int open_err(size_t len, char *err, size_t errlen) {
  struct hsp_profile p;
  write_img(len);
  int r = hsp_open(&p, path, err, errlen);
  if (r == 0) hsp_close(&p);
  return r;
}

int main(void) {
  int fd = mkstemp(path);
  if (fd < 0) return 1;
  close(fd);
  char err[2048];
  plan(20);

  uint64_t len = build();
  struct hsp_profile p;
  write_img(len);
  ok(hsp_open(&p, path, err, sizeof err) == 0, "a valid profile opens");
  struct hsp_block *b;
  size_t nb = hsp_live_blocks(&p, &b);
  ok(nb == 2 && b[0].ptr == 0x1000 && b[1].ptr == 0x3000,
        "live blocks are deduplicated and sorted by address");
  free(b);
  struct hsp_family_counts fc[HSP_MAX_FAMILIES];
  hsp_family_totals(&p, fc);
  ok(fc[0].allocs == 10 && fc[0].frees == 9 && fc[1].bytes_allocated == 90,
        "family counters are summed over shards");
  const struct hsp_module *mods[8];
  ok(hsp_modules(&p, mods, 8) == 2 && !strcmp(mods[1]->path, "/lib/a.so"),
        "module list is read in order");
  const struct hsp_stack *st = hsp_stack(&p, (uint32_t)((HSP_HEADER_SIZE +
      sizeof(struct hsp_shard) * HSP_SHARDS + 4 * sizeof(struct hsp_block)) / 8));
  uint64_t pcs[4];
  ok(st && st->depth == 2 && hsp_stack_frames(&p, st, pcs, 4) == 2 && pcs[0] == 0x401000 &&
     pcs[1] == 0x402000, "stacks are found by id, their frames innermost first");
  ok(st && hsp_stack_frames(&p, st, pcs, 1) == 1 && pcs[0] == 0x401000,
     "a stack's frames stop at the caller's room");
  ok(hsp_stack(&p, (uint32_t)(SIZE / 8 + 100)) == NULL, "a stack id past the end is refused");
  const struct hsp_mark *mk[4];
  ok(hsp_marks(&p, mk, 4) == 1 && !strcmp(mk[0]->name, "halfway"), "checkpoints are read");
  hsp_close(&p);

  ok(open_err(100, err, sizeof err) < 0 && strstr(err, "header incomplete"),
        "a file shorter than the header: 'header incomplete'");
  ok(open_err(0, err, sizeof err) < 0 && strstr(err, "may not have started"),
        "an empty file: says the program may not have started");
  ok(open_err(len - 200, err, sizeof err) < 0 && strstr(err, "truncated"),
        "records past the end of the file: 'truncated'");
  build();
  img[0] = 'X';
  ok(open_err(len, err, sizeof err) < 0 && strstr(err, "bad magic"), "bad magic is named");
  build();
  hdr()->version = HSP_VERSION + 1;
  ok(open_err(len, err, sizeof err) < 0 && strstr(err, "newer than this heapspy"),
        "a future version asks for an upgrade");
  build();
  hdr()->nfamilies = 1000;
  ok(open_err(len, err, sizeof err) < 0 && strstr(err, "family count"), "a corrupt family count is named");

  /* a module list that loops back must end, not hang */
  build();
  struct hsp_module *m2 = (struct hsp_module *)(img + ((struct hsp_module *)(img + hdr()->modules_off))->next_off);
  m2->next_off = hdr()->modules_off;
  write_img(len);
  ok(hsp_open(&p, path, err, sizeof err) == 0 && hsp_modules(&p, mods, 8) == 2,
        "a cyclic module list stops after each record once");
  hsp_close(&p);

  /* a frame node pointing back at itself (a cycle) ends the walk */
  build();
  uint64_t soff = HSP_HEADER_SIZE + sizeof(struct hsp_shard) * HSP_SHARDS + 4 * sizeof(struct hsp_block);
  struct hsp_frame *leaf = (struct hsp_frame *)(img + soff + 96);
  leaf->parent = (uint32_t)((soff + 96) / 16);
  write_img(len);
  const struct hsp_stack *cs = NULL;
  ok(hsp_open(&p, path, err, sizeof err) == 0 && (cs = hsp_stack(&p, (uint32_t)(soff / 8))) &&
     hsp_stack_frames(&p, cs, pcs, 4) == 1, "a frame node that is its own parent ends the walk");
  hsp_close(&p);
  build();
  ((struct hsp_frame *)(img + soff + 80))->depth = 3;
  write_img(len);
  ok(hsp_open(&p, path, err, sizeof err) == 0 && (cs = hsp_stack(&p, (uint32_t)(soff / 8))) &&
     hsp_stack_frames(&p, cs, pcs, 4) == 1, "a node whose depth does not fit its place ends the walk");
  hsp_close(&p);

  /* a shard table pointing outside the file is skipped */
  build();
  ((struct hsp_shard *)(img + hdr()->shards_off))[0].table_off = SIZE * 4;
  write_img(len);
  ok(hsp_open(&p, path, err, sizeof err) == 0 && hsp_live_blocks(&p, &b) == 0,
        "a shard table outside the file yields no blocks, no crash");
  free(b);
  hsp_close(&p);

  /* disk-full profiles open, flagged incomplete */
  build();
  hdr()->flags |= HSP_FLAG_INCOMPLETE;
  hdr()->arena_used = len + 4096;
  write_img(len);
  ok(hsp_open(&p, path, err, sizeof err) == 0 && p.incomplete,
        "a disk-full profile opens and says it is incomplete");
  hsp_close(&p);
  ok(hsp_open(&p, "/nonexistent/x.hsp", err, sizeof err) < 0 && strstr(err, "No such file"),
        "a missing profile names the system error");
  unlink(path);
  return done_testing();
}
