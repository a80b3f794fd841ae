/*
 * hsp_live_blocks.c: prints the live blocks of a heapspy profile, one
 * "0xADDR SIZE" line each, sorted by address (what the spy knows is in
 * use right now: the profile is a shared mapping the spied process keeps
 * up to date). The truth side of t1700-heap-truth.sh.
 *
 * usage: hsp_live_blocks PROFILE [PID]
 *
 * With the PID of the spied process, the blocks it records beside
 * themselves too (exact mode's records, read from its memory), each as
 * glibc holds it: its front included (the address glibc returned, the
 * bytes asked of glibc).
 */
#include <stdio.h>
#include <stdlib.h>

#include "inspect/spy_records.h"
#include "profile/hsp_read.h"

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) return 2;
  struct hsp_profile p;
  char err[512];
  if (hsp_open(&p, argv[1], err, sizeof err) != 0) {
    fprintf(stderr, "hsp_live_blocks: %s\n", err);
    return 1;
  }
  struct hsp_block *b;
  size_t n = hsp_live_blocks_copy(&p, &b), listed = n;
  if (argc == 3) n = hs_spy_records_append((pid_t)atoi(argv[2]), p.hdr, &b, n);
  uint64_t front = p.hdr->records.rec_off;
  for (size_t i = listed; i < n; i++) {      /* as glibc holds it */
    b[i].ptr -= front;
    b[i].size_fam += front << 8;
  }
  n = b ? hsp_blocks_sort(b, n) : 0;
  for (size_t i = 0; i < n; i++)
    printf("0x%llx %llu\n", (unsigned long long)b[i].ptr, (unsigned long long)HSP_BLOCK_SIZE(&b[i]));
  free(b);
  hsp_close(&p);
  return 0;
}
